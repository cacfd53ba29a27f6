import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { loadOptional } from '../config/optional-module';
import { activeTraceContext } from '../errors/sentry-sdk';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { Messages } from '../observability.messages';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { LogLevel, ResolvedLoggingOptions } from './logging-options.interface';
import { Redactor } from './redaction';
import { RequestContext } from './request-context';

const threshold = (level: LogLevel): number =>
  level === 'silent' ? Infinity : pino.levels.values[level];

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

function destinationFor(
  logging: ResolvedLoggingOptions,
  environment: string,
): DestinationStream | undefined {
  if (logging.stream) return logging.stream as DestinationStream;
  if (logging.pretty === false) return undefined;
  if (logging.pretty === undefined && environment !== 'development') return undefined;
  const pretty = loadOptional<PrettyFactory | { default: PrettyFactory }>('pino-pretty');
  if (!pretty) {
    if (logging.pretty) throw new Error(Messages.prettyNotInstalled());
    return undefined;
  }
  const factory = typeof pretty === 'function' ? pretty : pretty.default;
  return factory({ sync: true, translateTime: 'SYS:standard' });
}

/**
 * The application's pino logger, built once from the resolved options: JSON lines with
 * `service`, `environment`, `version`, request fields (`request_id`, `user_id`,
 * `workspace_id`, `trace_id`, `span_id`) and every secret redacted. nestjs-pino's request
 * loggers are children of {@link StructuredLogger.root}.
 */
@Injectable()
export class StructuredLogger implements OnApplicationShutdown {
  /** The root logger; lines written in a request go through {@link logger} instead. */
  readonly root: Logger;
  /** Scrubs secrets from log lines and Sentry events alike. */
  readonly redactor: Redactor;

  constructor(@Inject(OBSERVABILITY_OPTIONS) options: ResolvedObservabilityOptions) {
    const { logging } = options;
    this.redactor = new Redactor(options.redact);
    const redactor = this.redactor;
    const userContext = logging.userContext;

    const contextLevels = Object.entries(logging.levels);
    const base = threshold(logging.level);
    const minimum = contextLevels.reduce(
      (min, [, level]) => (threshold(level) < threshold(min) ? level : min),
      logging.level,
    );
    const perContext = new Map(
      contextLevels.map(([context, level]) => [context, threshold(level)]),
    );

    const config: LoggerOptions = {
      enabled: logging.enabled,
      level: minimum,
      base: {
        service: options.service,
        environment: options.environment,
        version: options.version,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactor.scrub(bindings),
        log: (object) => redactor.scrub(object),
      },
      serializers: {
        err: (error: Error) => redactor.scrub({ ...pino.stdSerializers.err(error) }),
      },
      mixin: () => {
        const fields: Record<string, string | number> = {};
        const store = RequestContext.current();
        if (store) {
          try {
            const user = userContext(store.request);
            if (user?.userId !== undefined && user.userId !== null) fields.user_id = user.userId;
            if (user?.workspaceId !== undefined && user.workspaceId !== null) {
              fields.workspace_id = user.workspaceId;
            }
          } catch {
            // a throwing extractor must not lose the line
          }
        }
        const trace = activeTraceContext();
        if (trace) {
          fields.trace_id = trace.traceId;
          fields.span_id = trace.spanId;
        }
        return fields;
      },
    };
    if (perContext.size > 0) {
      config.hooks = {
        logMethod(args, method, level) {
          const first = args[0] as unknown as { context?: unknown } | undefined;
          const context = first && typeof first === 'object' ? first.context : undefined;
          const min =
            typeof context === 'string' && perContext.has(context)
              ? perContext.get(context)!
              : base;
          if (level >= min) method.apply(this, args);
        },
      };
    }
    const destination = destinationFor(logging, options.environment);
    this.root = destination ? pino(config, destination) : pino(config);
  }

  /** The logger of the current request (with its `request_id`), or the root logger. */
  get logger(): Logger {
    const request = RequestContext.current()?.request as
      { raw?: { allLogs?: Logger[] }; allLogs?: Logger[] } | undefined;
    // pino-http's request logger; `req.log` may be Fastify's own, as nestjs-pino also knows.
    const logs = (request?.raw ?? request)?.allLogs;
    return logs?.[logs.length - 1] ?? this.root;
  }

  onApplicationShutdown(): void {
    try {
      this.root.flush();
    } catch {
      // a destination without flush
    }
  }
}
