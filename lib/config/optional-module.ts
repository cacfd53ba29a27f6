/**
 * Loads an optional peer dependency synchronously, or returns `undefined` when it is not
 * installed. Other errors (a broken install) propagate.
 *
 * Synchronous on purpose: Sentry must be initialised before the application's modules are
 * imported, and pino-pretty is needed while the logger is built. This is the single place
 * that touches the module loader; under ESM it becomes `createRequire(import.meta.url)`.
 */
export function loadOptional<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const message = String((error as { message?: unknown })?.message ?? '');
    if (code === 'MODULE_NOT_FOUND' && message.includes(`'${name}'`)) return undefined;
    throw error;
  }
}
