import type { QueryDone, QueryRecorder } from './database-metrics.types';

/** The parts of a `pg` `Pool` read and wrapped here. @internal */
export interface PgPoolLike {
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
  ended?: boolean;
  options?: { max?: unknown };
  connect: (...args: unknown[]) => unknown;
  on(event: 'connect', listener: (client: object) => void): unknown;
  /** The pool's clients (a private field of `pg-pool`, read to instrument clients already open). */
  _clients?: unknown[];
}

const INSTRUMENTED = Symbol.for('nestjs-observability.pg');

type QueryFn = (...args: unknown[]) => unknown;

/** Whether `target` looks like a `pg` (pg-pool) `Pool`. @internal */
export function isPgPool(target: object): target is PgPoolLike {
  const pool = target as Partial<PgPoolLike>;
  return (
    typeof pool.connect === 'function' &&
    typeof pool.on === 'function' &&
    typeof pool.totalCount === 'number' &&
    typeof pool.idleCount === 'number'
  );
}

function sqlOf(config: unknown): string | undefined {
  if (typeof config === 'string') return config;
  if (config && typeof config === 'object') {
    const text = (config as { text?: unknown }).text;
    if (typeof text === 'string') return text;
  }
  return undefined;
}

/**
 * Wraps `client.query` of one `pg` client: every form (promise, callback, submittable such as
 * `pg-cursor` and `pg-query-stream`) is measured from the call to its completion, and the call
 * itself is passed through untouched. @internal
 */
export function instrumentPgClient(client: object, recorder: QueryRecorder): void {
  const target = client as { query?: QueryFn; [INSTRUMENTED]?: boolean };
  if (target[INSTRUMENTED] || typeof target.query !== 'function') return;
  const original = target.query;
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  target.query = function instrumentedQuery(this: unknown, ...args: unknown[]): unknown {
    let done: QueryDone | undefined;
    try {
      done = recorder.start({ system: 'postgresql', sql: sqlOf(args[0]) });
      const config = args[0] as { submit?: unknown; once?: QueryFn; callback?: unknown } | null;
      if (config && typeof config === 'object' && typeof config.submit === 'function') {
        // A submittable: pg returns it and reports through its events.
        if (typeof config.once === 'function') {
          const end = done;
          config.once('end', () => end());
          config.once('error', (error: unknown) => end(error ?? new Error('query failed')));
        }
        done = undefined;
      } else {
        const index = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
        if (index >= 0) {
          const callback = args[index] as QueryFn;
          const end = done;
          args[index] = function (this: unknown, error: unknown, ...rest: unknown[]) {
            end(error ?? undefined);
            return callback.call(this, error, ...rest);
          };
          done = undefined;
        } else if (config && typeof config === 'object' && typeof config.callback === 'function') {
          const callback = config.callback as QueryFn;
          const end = done;
          args[0] = {
            ...config,
            callback(this: unknown, error: unknown, ...rest: unknown[]) {
              end(error ?? undefined);
              return callback.call(this, error, ...rest);
            },
          };
          done = undefined;
        }
      }
    } catch {
      done = undefined;
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      done?.(error);
      throw error;
    }
    if (done && result && typeof (result as Promise<unknown>).then === 'function') {
      const end = done;
      (result as Promise<unknown>).then(
        () => end(),
        (error: unknown) => end(error ?? new Error('query failed')),
      );
    } else {
      done?.();
    }
    return result;
  };
}

/**
 * Instruments a `pg` `Pool`: every client it opens (and those already open), and connection
 * failures of `pool.connect()` and `pool.query()`. `false` when it was instrumented already.
 * @internal
 */
export function instrumentPgPool(pool: PgPoolLike, recorder: QueryRecorder): boolean {
  const target = pool as PgPoolLike & { [INSTRUMENTED]?: boolean };
  if (target[INSTRUMENTED]) return false;
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  pool.on('connect', (client) => instrumentPgClient(client, recorder));
  for (const client of pool._clients ?? []) {
    if (client && typeof client === 'object') instrumentPgClient(client, recorder);
  }
  const connect = pool.connect;
  // `pool.query()` gets its client through `this.connect(callback)`, so this sees its failures.
  pool.connect = function instrumentedConnect(this: unknown, ...args: unknown[]): unknown {
    const callback = args[0];
    if (typeof callback === 'function') {
      args[0] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        if (error) recorder.connectionFailed(error);
        return (callback as QueryFn).call(this, error, ...rest);
      };
      return connect.apply(this, args);
    }
    const result = connect.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => undefined,
        (error: unknown) => recorder.connectionFailed(error),
      );
    }
    return result;
  };
  return true;
}
