import { type DynamicModule, Global, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { RequestContextHook } from './request-context.hook';
import { ensureRequestId } from './request-id';
import { StructuredLogger } from './structured-logger';

/** Whether `url` is one of `paths` or below it (`/health` matches `/health/ready`). */
export function isExcludedPath(url: string | undefined, paths: readonly string[]): boolean {
  const path = (url ?? '').split('?')[0];
  return paths.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** nestjs-pino's parameters for the application's {@link StructuredLogger}. */
export function pinoParams(
  structured: StructuredLogger,
  options: ResolvedObservabilityOptions,
): Params {
  const { logging } = options;
  const { redactor } = structured;
  // pino's serializers return objects with their own prototype: copy to a plain object first.
  const scrubRecord = (value: Record<string, unknown>) => {
    const copy = redactor.scrub({ ...value });
    if (typeof copy?.url === 'string') return { ...copy, url: redactor.scrubUrl(copy.url) };
    return copy;
  };
  return {
    pinoHttp: {
      logger: structured.root,
      genReqId: (request, response) => ensureRequestId(request, response, logging.requestIdHeader),
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'request_id' },
      autoLogging: logging.enabled
        ? {
            ignore: (request) =>
              isExcludedPath(
                (request as { originalUrl?: string }).originalUrl ?? request.url,
                logging.excludePaths,
              ),
          }
        : false,
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500
          ? 'error'
          : response.statusCode >= 400
            ? 'warn'
            : 'info',
      serializers: {
        req: scrubRecord,
        res: scrubRecord,
        err: (error: Record<string, unknown>) => redactor.scrub({ ...error }),
      },
    },
    // Nest 11 path syntax for "every route"; none when logging is off, so pino-http costs nothing.
    forRoutes: logging.enabled ? [{ path: '{*path}', method: RequestMethod.ALL }] : [],
  };
}

/**
 * Wires nestjs-pino to the application's {@link StructuredLogger} and opens the request
 * context (request id) on every HTTP request. Imported by `ObservabilityModule`.
 */
// Global like nestjs-pino's LoggerModule. The request id is assigned in the adapter's first
// request hook, before pino-http's middleware (which would otherwise keep Fastify's `req.id`).
@Global()
@Module({ providers: [RequestContextHook] })
export class ObservabilityLoggingModule {
  /**
   * Built when `ObservabilityModule.forRoot()` is called, not when this file loads:
   * nestjs-pino creates the `@InjectPinoLogger(context)` providers from the contexts
   * decorated so far.
   */
  static register(): DynamicModule {
    return {
      module: ObservabilityLoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [StructuredLogger, OBSERVABILITY_OPTIONS],
          useFactory: pinoParams,
        }),
      ],
    };
  }
}
