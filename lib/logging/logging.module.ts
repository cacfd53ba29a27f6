import { Global, Module } from '@nestjs/common';
import { RequestContextHook } from './request-context.hook';
import { StructuredNestLogger } from './structured-nest.logger';

/**
 * Nest's side of structured logging: the `LoggerService` over the application's
 * `StructuredLogger` (for `useStructuredLogger()`) and, per HTTP request, the request id,
 * request context and request line (`RequestContextHook`).
 */
@Global()
@Module({ providers: [RequestContextHook, StructuredNestLogger], exports: [StructuredNestLogger] })
export class ObservabilityLoggingModule {}
