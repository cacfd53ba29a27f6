import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { loadOptional } from '../config/optional-module';
import { Messages } from '../observability.messages';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { BufferedDestination } from './buffered.destination';
import type { LogLevel, ResolvedLoggingOptions } from './logging-options.interface';
import { type ProcessEndHandler, registerProcessEnd, unregisterProcessEnd } from './process-end';
import { Redactor } from './redaction';
import { RequestContext } from './request-context';
import { PREPARED, type PreparedLineWriter, type RequestLineLevel } from './request-log';
import { noTraceContext, type TraceContextSource } from './trace-context';

/** The mixin's answer when it has nothing to add: pino then writes the log object as is. */
const NO_FIELDS: Record<string, never> = Object.freeze({}) as Record<string, never>;

let lastMillis = -1;
let lastTime = '';
/**
 * pino's ISO `time` field, formatted once per millisecond: a busy server writes many lines in
 * the same millisecond, and `Date#toISOString` is a good part of a line's cost.
 */
const isoTime = (): string => {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
};

const threshold = (level: LogLevel): number =>
  level === 'silent' ? Infinity : pino.levels.values[level];

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** Streams that need pino's per-line metadata (`pino.multistream`) get every line from pino. */
const NEEDS_METADATA = Symbol.for('pino.metadata');

/**
 * The text between a root line's time and its fields (`,"service":…`: the bindings as pino
 * serialises them), found by letting pino write a probe line with `config`.
 * `undefined` when pino's line does not have the expected shape: pino then writes every line.
 */
function probeBindings(config: LoggerOptions): string | undefined {
  const TIME = ',"time":"probe"';
  let written = '';
  try {
    const probe = pino(
      { ...config, enabled: true, level: 'info', hooks: {}, timestamp: () => TIME },
      { write: (line: string) => void (written += line) },
    );
    probe.info({ [PREPARED]: true, request_id: 'probe' }, 'probe');
  } catch {
    return undefined;
  }
  const head = `{"level":"info"${TIME}`;
  const tail = ',"request_id":"probe","msg":"probe"}\n';
  if (!written.startsWith(head) || !written.endsWith(tail)) return undefined;
  return written.slice(head.length, written.length - tail.length);
}

/** Standard output: batched unless `logging.sync` (pino's default destination then). */
const stdout = (logging: ResolvedLoggingOptions): DestinationStream | undefined =>
  logging.sync ? undefined : new BufferedDestination(1);

function destinationFor(
  logging: ResolvedLoggingOptions,
  environment: string,
): DestinationStream | undefined {
  if (logging.stream) return logging.stream as DestinationStream;
  if (logging.pretty === false) return stdout(logging);
  if (logging.pretty === undefined && environment !== 'development') return stdout(logging);
  const pretty = loadOptional<PrettyFactory | { default: PrettyFactory }>('pino-pretty');
  if (!pretty) {
    if (logging.pretty) throw new Error(Messages.prettyNotInstalled());
    return stdout(logging);
  }
  const factory = typeof pretty === 'function' ? pretty : pretty.default;
  return factory({ sync: true, translateTime: 'SYS:standard' });
}

/**
 * The request lines' writer (see {@link PreparedLineWriter}), or `undefined` when pino must
 * write them: pino's own standard output (`logging.sync`), a stream that needs pino's metadata,
 * or an envelope the probe did not recognise.
 */
function preparedLineWriter(
  config: LoggerOptions,
  destination: DestinationStream | undefined,
  enabled: (level: RequestLineLevel) => boolean,
): PreparedLineWriter | undefined {
  if (!destination || typeof destination.write !== 'function') return undefined;
  if ((destination as unknown as Record<symbol, unknown>)[NEEDS_METADATA]) return undefined;
  const bindings = probeBindings(config);
  if (bindings === undefined) return undefined;
  const head: Record<RequestLineLevel, string> = {
    info: '{"level":"info"',
    warn: '{"level":"warn"',
    error: '{"level":"error"',
  };
  const on: Record<RequestLineLevel, boolean> = {
    info: enabled('info'),
    warn: enabled('warn'),
    error: enabled('error'),
  };
  return (level, fields, message) => {
    if (!on[level]) return;
    destination.write(
      `${head[level]}${isoTime()}${bindings}${fields},"msg":${JSON.stringify(message)}}\n`,
    );
  };
}

/**
 * The application's pino logger, built once from the resolved options: JSON lines with
 * `service`, `environment`, `version`, request fields (`request_id`, `user_id`,
 * `workspace_id`, `trace_id`, `span_id`) and every secret redacted. Inject it to log from your
 * code: `logs.logger` is the current request's logger (with its `RequestContext.assign()`
 * fields), or the root outside a request.
 */
export class StructuredLogger {
  /** The root logger; lines written in a request go through {@link logger} instead. */
  readonly root: Logger;
  /** Scrubs secrets from log lines and Sentry events alike. @internal */
  readonly redactor: Redactor;

  /** Where `trace_id`/`span_id` come from. @internal */
  readonly traceContext: TraceContextSource;

  /**
   * Writes request lines without pino's generic serialisation (a request line has a fixed
   * shape): set when a probe line at boot proved pino's envelope, and the destination takes
   * plain lines. @internal
   */
  readonly preparedLine: PreparedLineWriter | undefined;

  private readonly buffered: BufferedDestination | undefined;
  private readonly processEnd: ProcessEndHandler | undefined;

  /**
   * @param options the resolved options
   * @param traceContext the active span's ids, added to every line as `trace_id`/`span_id`
   *
   * @internal
   */
  constructor(
    options: ResolvedObservabilityOptions,
    traceContext: TraceContextSource = noTraceContext,
  ) {
    this.traceContext = traceContext;
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
      timestamp: isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactor.scrub(bindings),
        // The request log line is built scrubbed (see RequestLog).
        log: (object) => (object[PREPARED as never] ? object : redactor.scrub(object)),
      },
      serializers: {
        err: (error: Error) => redactor.scrub({ ...pino.stdSerializers.err(error) }),
      },
      mixin: (object) => {
        if ((object as Record<symbol, unknown>)[PREPARED]) return NO_FIELDS;
        const store = RequestContext.current();
        const trace = traceContext();
        if (!store && !trace) return NO_FIELDS;
        const fields: Record<string, string | number> = {};
        if (store) {
          fields.request_id = store.requestId;
          const user = userContext(store.request);
          if (user?.userId !== undefined && user.userId !== null) fields.user_id = user.userId;
          if (user?.workspaceId !== undefined && user.workspaceId !== null) {
            fields.workspace_id = user.workspaceId;
          }
        }
        if (trace) {
          fields.trace_id = trace.traceId;
          fields.span_id = trace.spanId;
        }
        return fields;
      },
      // pino's default copies the log object into the mixin's; nothing to merge, no copy.
      mixinMergeStrategy: (object, fields) =>
        fields === NO_FIELDS ? object : Object.assign(fields, object),
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
    this.buffered = destination instanceof BufferedDestination ? destination : undefined;
    this.preparedLine = logging.enabled
      ? preparedLineWriter(
          config,
          destination,
          (level) => threshold(level) >= base && this.root.isLevelEnabled(level),
        )
      : undefined;
    if (logging.enabled) {
      const root = this.root;
      this.processEnd = {
        fatal: (error, origin) => {
          try {
            // `throw 'text'` throws no Error: log what was thrown as the message.
            const err = error instanceof Error ? error : { message: String(error) };
            root.fatal(
              { err, origin },
              origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception',
            );
          } catch {
            // never stand between the error and the crash
          }
          this.flush();
        },
        exit: () => this.flush(),
      };
      registerProcessEnd(this.processEnd);
    }
  }

  /**
   * The logger of the current request (with the fields `RequestContext.assign()` added), or the
   * root logger. Lines get `request_id` and the user fields from the request context either way.
   */
  get logger(): Logger {
    return (RequestContext.current() as { logger?: Logger } | undefined)?.logger ?? this.root;
  }

  /** Writes out what the destination buffers. @internal */
  flush(): void {
    try {
      if (this.buffered) this.buffered.flushSync();
      else this.root.flush();
    } catch {
      // a destination without flush
    }
  }

  /**
   * Flushes and stops batching (lines logged during the rest of a shutdown are written at once),
   * and stops watching the process's end: the application is closing.
   */
  close(): void {
    if (this.processEnd) unregisterProcessEnd(this.processEnd);
    if (this.buffered) this.buffered.close();
    else this.flush();
  }
}
