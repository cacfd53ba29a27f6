import { Injectable, type LoggerService } from '@nestjs/common';
import type { Level } from 'pino';
import { StructuredLogger } from './structured-logger';

/** A stack trace as Nest's exception handlers pass it: `error(message, stack, context)`. */
const STACK = /\n\s*at /;

/**
 * Nest's `LoggerService` over the structured logger: `app.useLogger()` with it (see
 * `useStructuredLogger()`) sends Nest's own lines and every `new Logger(context)` line through
 * the JSON logger, with the Nest context in `context`, the request fields when in a request,
 * and secrets redacted. The last optional parameter is the context, as Nest passes it.
 *
 * @internal Reached through `useStructuredLogger(app)`.
 */
@Injectable()
export class StructuredNestLogger implements LoggerService {
  constructor(private readonly structured: StructuredLogger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: Level, message: unknown, optionalParams: unknown[]): void {
    const logger = this.structured.logger;
    if (!logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      logger[level](fields, message.message, ...params);
    } else if (message !== null && typeof message === 'object') {
      logger[level]({ ...fields, ...(message as Record<string, unknown>) }, ...(params as []));
    } else if (
      level === 'error' &&
      typeof message === 'string' &&
      params.length === 1 &&
      typeof params[0] === 'string' &&
      STACK.test(params[0])
    ) {
      // Nest's ExceptionsHandler: error(message, stack, context).
      const err = new Error(message);
      err.stack = params[0];
      logger.error({ ...fields, err }, message);
    } else {
      logger[level](fields, String(message), ...params);
    }
  }
}
