import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import { RequestContextHook } from './request-context.hook';
import { StructuredLogger } from './structured-logger';

/**
 * nestjs-pino's parameters: its `Logger`/`PinoLogger` write through the application's
 * {@link StructuredLogger}. Its pino-http middleware is not mounted (no route): the request id,
 * the request context and the request log line come from {@link RequestContextHook}, in the
 * adapter's first request hook, for a fraction of the CPU per request.
 */
export function pinoParams(structured: StructuredLogger): Params {
  return { pinoHttp: { logger: structured.root }, forRoutes: [] };
}

/**
 * Wires nestjs-pino to the application's {@link StructuredLogger} and, per HTTP request, the
 * request id, the request context and the request log line. Imported by `ObservabilityModule`.
 */
// Global like nestjs-pino's LoggerModule.
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
          inject: [StructuredLogger],
          useFactory: pinoParams,
        }),
      ],
    };
  }
}
