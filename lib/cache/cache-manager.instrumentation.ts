import { performance } from 'node:perf_hooks';
import type { CacheRecorder, CacheResult } from './cache-metrics.types';

const INSTRUMENTED = Symbol.for('nestjs-observability.cache-manager');

type Fn = (...args: unknown[]) => Promise<unknown>;

interface CacheManagerLike {
  on?: (event: string, listener: (data: unknown) => void) => unknown;
  [method: string]: unknown;
}

/** Calls in flight, by operation and key: the cache reports a swallowed error by an event. */
type Pending = Map<string, Array<{ failed: boolean }>>;

const WRITES = ['set', 'mset', 'del', 'mdel', 'clear', 'ttl'] as const;
const FAILED: Array<[CacheResult, number]> = [['error', 1]];
const SUCCESS: Array<[CacheResult, number]> = [['success', 1]];
const HIT: Array<[CacheResult, number]> = [['hit', 1]];
const MISS: Array<[CacheResult, number]> = [['miss', 1]];

function keyOf(args: unknown[]): string {
  const key = args[0];
  if (typeof key === 'string') return key;
  if (Array.isArray(key)) {
    return key
      .map((entry) =>
        typeof entry === 'object' && entry ? (entry as { key?: unknown }).key : entry,
      )
      .join('\u0000');
  }
  return '';
}

function keyOfEvent(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const { key, keys, list } = data as { key?: unknown; keys?: unknown; list?: unknown };
  if (typeof key === 'string') return key;
  if (Array.isArray(keys)) return keys.join('\u0000');
  if (Array.isArray(list)) {
    return list.map((entry) => (entry as { key?: unknown })?.key).join('\u0000');
  }
  return '';
}

/**
 * Wraps the methods of a `cache-manager` cache in place. cache-manager swallows store errors
 * (it emits them as events and answers `undefined`), so each call registers itself under its
 * key while it runs and an event with an `error` marks it failed: a store down is counted as
 * `error`, not as a `miss`. @internal
 */
export function instrumentCacheManager(
  target: object,
  cache: string,
  recorder: CacheRecorder,
): void {
  const manager = target as CacheManagerLike & { [INSTRUMENTED]?: boolean };
  if (manager[INSTRUMENTED]) return;
  if (typeof manager.get !== 'function' || typeof manager.set !== 'function') {
    throw new TypeError('the object has no get() and set(); is it a cache-manager cache?');
  }
  Object.defineProperty(manager, INSTRUMENTED, { value: true });
  const pending = new Map<string, Pending>();

  const track = (operation: string): Pending => {
    const calls: Pending = new Map();
    pending.set(operation, calls);
    if (typeof manager.on === 'function') {
      manager.on(operation, (data: unknown) => {
        const error =
          operation === 'clear' ? data : (data as { error?: unknown } | undefined)?.error;
        if (error === undefined || error === null) return;
        const waiting = calls.get(operation === 'clear' ? '' : keyOfEvent(data));
        const call = waiting?.find((entry) => !entry.failed);
        if (call) call.failed = true;
      });
    }
    return calls;
  };

  const wrap = (
    operation: string,
    result: (value: unknown, args: unknown[]) => Array<[CacheResult, number]>,
  ): void => {
    const original = manager[operation];
    if (typeof original !== 'function') return;
    const calls = track(operation);
    manager[operation] = function instrumented(this: unknown, ...args: unknown[]) {
      const key = keyOf(args);
      const call = { failed: false };
      let list = calls.get(key);
      if (!list) calls.set(key, (list = []));
      list.push(call);
      const started = performance.now();
      const finish = (outcome: Array<[CacheResult, number]>): void => {
        const index = list.indexOf(call);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0) calls.delete(key);
        recorder.observe(cache, operation, (performance.now() - started) / 1000);
        for (const [what, count] of outcome) recorder.count(cache, operation, what, count);
      };
      let pending: Promise<unknown>;
      try {
        pending = (original as Fn).apply(this, args);
      } catch (error) {
        finish(FAILED);
        throw error;
      }
      // One `then` on the cache's own promise: no extra async frame per call.
      return Promise.resolve(pending).then(
        (value) => {
          finish(call.failed ? FAILED : result(value, args));
          return value;
        },
        (error: unknown) => {
          finish(FAILED);
          throw error;
        },
      );
    };
  };

  const hitOrMiss = (value: unknown): CacheResult =>
    value === undefined || value === null ? 'miss' : 'hit';

  wrap('get', (value) => (hitOrMiss(value) === 'hit' ? HIT : MISS));
  wrap('mget', (value) => {
    const values = Array.isArray(value) ? value : [];
    const hits = values.filter((entry) => hitOrMiss(entry) === 'hit').length;
    return [
      ['hit', hits],
      ['miss', values.length - hits],
    ];
  });
  for (const operation of WRITES) wrap(operation, () => SUCCESS);

  // `wrap(key, fn)`: a miss when it had to run `fn`, a hit otherwise.
  const originalWrap = manager.wrap;
  if (typeof originalWrap === 'function') {
    manager.wrap = async function instrumentedWrap(this: unknown, ...args: unknown[]) {
      const fn = args[1];
      let ran = false;
      if (typeof fn === 'function') {
        args[1] = function (this: unknown, ...fnArgs: unknown[]) {
          ran = true;
          return (fn as Fn).apply(this, fnArgs);
        };
      }
      const started = performance.now();
      try {
        const value = await (originalWrap as Fn).apply(this, args);
        recorder.observe(cache, 'wrap', (performance.now() - started) / 1000);
        recorder.count(cache, 'wrap', ran ? 'miss' : 'hit');
        return value;
      } catch (error) {
        recorder.observe(cache, 'wrap', (performance.now() - started) / 1000);
        recorder.count(cache, 'wrap', 'error');
        throw error;
      }
    };
  }
}
