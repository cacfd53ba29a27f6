import type { QueryDone, QueryRecorder } from './database-metrics.types';

const INSTRUMENTED = Symbol.for('nestjs-observability.mysql2');

type Fn = (...args: unknown[]) => unknown;

/** The parts of a mysql2 pool (callback API) read and wrapped here. @internal */
export interface MySqlPoolLike {
  getConnection: Fn;
  on(event: 'connection', listener: (connection: object) => void): unknown;
  config?: { connectionLimit?: unknown };
  /** Private queues of mysql2's pool, read for `database_connections`. */
  _allConnections?: { length: number; toArray?: () => unknown[] };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  _closed?: boolean;
}

/** The core (callback) pool of a mysql2 pool, or of its promise wrapper; else `undefined`. */
export function mySqlPoolOf(target: object): MySqlPoolLike | undefined {
  const candidate = (target as { pool?: unknown }).pool ?? target;
  const pool = candidate as Partial<MySqlPoolLike>;
  return typeof pool === 'object' &&
    pool !== null &&
    typeof pool.getConnection === 'function' &&
    typeof pool.on === 'function' &&
    pool._allConnections !== undefined
    ? (pool as MySqlPoolLike)
    : undefined;
}

/** The connection statistics of a mysql2 pool, or `undefined` once it is closed. @internal */
export function mySqlPoolStats(
  pool: MySqlPoolLike,
): { total: number; idle: number; waiting: number; max: number | undefined } | undefined {
  if (pool._closed) return undefined;
  const limit = pool.config?.connectionLimit;
  return {
    total: pool._allConnections?.length ?? 0,
    idle: pool._freeConnections?.length ?? 0,
    waiting: pool._connectionQueue?.length ?? 0,
    max: typeof limit === 'number' && limit > 0 ? limit : undefined,
  };
}

function sqlOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const sql = (arg as { sql?: unknown } | null)?.sql;
  return typeof sql === 'string' ? sql : undefined;
}

/** Wraps `query` or `execute` of one connection (callback API). */
function wrapMethod(target: Record<string, unknown>, method: string, recorder: QueryRecorder) {
  const original = target[method];
  if (typeof original !== 'function') return;
  target[method] = function instrumented(this: unknown, ...args: unknown[]): unknown {
    let done: QueryDone | undefined;
    try {
      done = recorder.start({ system: 'mysql', sql: sqlOf(args[0]) });
      const command = args[0] as { onResult?: unknown } | null;
      const end = done;
      const wrap = (callback: Fn): Fn =>
        function (this: unknown, error: unknown, ...rest: unknown[]) {
          end(error ?? undefined);
          return callback.call(this, error, ...rest);
        };
      if (command && typeof command === 'object' && typeof command.onResult === 'function') {
        // A command built by the pool (`pool.query()`), already holding its callback.
        command.onResult = wrap(command.onResult as Fn);
        done = undefined;
      } else {
        let index = args.length - 1;
        while (index >= 0 && typeof args[index] !== 'function') index--;
        if (index > 0) {
          args[index] = wrap(args[index] as Fn);
          done = undefined;
        }
      }
    } catch {
      done = undefined;
    }
    let result: unknown;
    try {
      result = (original as Fn).apply(this, args);
    } catch (error) {
      done?.(error);
      throw error;
    }
    // No callback: the command reports through its events (`.stream()`, event handlers).
    const emitter = result as { once?: Fn } | undefined;
    if (done && typeof emitter?.once === 'function') {
      const end = done;
      emitter.once('error', (error: unknown) => end(error ?? new Error('query failed')));
      emitter.once('end', () => end());
    }
    return result;
  };
}

/** Wraps `query` and `execute` of one mysql2 connection (callback API). @internal */
export function instrumentMySqlConnection(connection: object, recorder: QueryRecorder): void {
  const target = connection as Record<string | symbol, unknown>;
  if (target[INSTRUMENTED]) return;
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  wrapMethod(target as Record<string, unknown>, 'query', recorder);
  wrapMethod(target as Record<string, unknown>, 'execute', recorder);
}

/**
 * Instruments a mysql2 pool: every connection it opens (and those already open), and
 * connection failures of `getConnection()` (which `pool.query()` and `pool.execute()` use).
 * `false` when it was instrumented already.
 * @internal
 */
export function instrumentMySqlPool(pool: MySqlPoolLike, recorder: QueryRecorder): boolean {
  const target = pool as MySqlPoolLike & { [INSTRUMENTED]?: boolean };
  if (target[INSTRUMENTED]) return false;
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  pool.on('connection', (connection) => instrumentMySqlConnection(connection, recorder));
  for (const connection of pool._allConnections?.toArray?.() ?? []) {
    if (connection && typeof connection === 'object') {
      instrumentMySqlConnection(connection, recorder);
    }
  }
  const getConnection = pool.getConnection;
  pool.getConnection = function instrumentedGetConnection(this: unknown, ...args: unknown[]) {
    const callback = args[0];
    if (typeof callback === 'function') {
      args[0] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        if (error) recorder.connectionFailed(error);
        return (callback as Fn).call(this, error, ...rest);
      };
    }
    return getConnection.apply(this, args);
  };
  return true;
}
