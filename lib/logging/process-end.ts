/** What a logger does when the process ends (both must be synchronous and never throw). */
export interface ProcessEndHandler {
  /** An error nobody caught: the process crashes once the handlers have run. */
  fatal(error: unknown, origin: NodeJS.UncaughtExceptionOrigin): void;
  /** The `exit` event: last chance to write, synchronously. */
  exit(): void;
}

/**
 * The loggers alive in this process. Each application registers its own and removes it when it
 * closes; one listener per event serves them all, so many applications (tests) never pile up
 * listeners on `process`.
 */
const handlers = new Set<ProcessEndHandler>();

const onFatal = (error: unknown, origin: NodeJS.UncaughtExceptionOrigin): void => {
  for (const handler of handlers) handler.fatal(error, origin);
};
const onExit = (): void => {
  for (const handler of handlers) handler.exit();
};

/**
 * Calls `handler` on an uncaught exception or unhandled rejection and on `exit`, until
 * {@link unregisterProcessEnd}. It listens with `uncaughtExceptionMonitor`, which observes the
 * crash without changing it: Node still prints the error and exits non-zero, or the
 * application's own `uncaughtException` handler decides.
 * @internal
 */
export function registerProcessEnd(handler: ProcessEndHandler): void {
  if (handlers.size === 0) {
    process.on('uncaughtExceptionMonitor', onFatal);
    process.on('exit', onExit);
  }
  handlers.add(handler);
}

/** Stops calling `handler`. @internal */
export function unregisterProcessEnd(handler: ProcessEndHandler): void {
  if (!handlers.delete(handler) || handlers.size > 0) return;
  process.removeListener('uncaughtExceptionMonitor', onFatal);
  process.removeListener('exit', onExit);
}
