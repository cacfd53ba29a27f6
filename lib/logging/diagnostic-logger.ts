import type { Logger } from 'pino';

/**
 * Where the library reports on itself (a dropped event, a failed delivery, a port in use).
 * Nest's `Logger` fits it, and so does a pino logger wrapped by {@link pinoDiagnostics}.
 */
export interface DiagnosticLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/** Returns the diagnostic logger of one context (`Observability`, `Alerting`, ...). */
export type DiagnosticLoggerFactory = (context: string) => DiagnosticLogger;

/**
 * Diagnostics written by `root` as JSON lines with a `context` field, the shape the Nest module
 * gives Nest's own `Logger` lines: the standalone core reports on itself in the same log as
 * the application.
 */
export function pinoDiagnostics(root: Logger): DiagnosticLoggerFactory {
  return (context) => {
    const logger = root.child({ context });
    return {
      log: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message, stack) => (stack ? logger.error({ stack }, message) : logger.error(message)),
    };
  };
}
