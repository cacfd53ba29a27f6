import type { Attributes } from '@opentelemetry/api';
import { getTracer, runInSpan } from './span-runner';

type AnyFunction = (...args: unknown[]) => unknown;

/** reflect-metadata's API, present when the application loaded it (every Nest app does). */
interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

/** Wrappers made here, so a method is never wrapped twice. */
const WRAPPERS = new WeakSet<object>();

/** Whether `fn` is a span wrapper made by {@link tracedFunction}. */
export function isTracedFunction(fn: unknown): boolean {
  return typeof fn === 'function' && WRAPPERS.has(fn);
}

/** Copies every own metadata key of `from` onto `to` (route, guard, event metadata). */
export function copyMetadata(from: object, to: object): void {
  const api = Reflect as unknown as Partial<ReflectMetadata>;
  if (typeof api.getOwnMetadataKeys !== 'function') return;
  const metadata = api as ReflectMetadata;
  for (const key of metadata.getOwnMetadataKeys(from)) {
    metadata.defineMetadata(key, metadata.getOwnMetadata(key, from), to);
  }
}

/**
 * A `Proxy` of `original` whose every call runs in a span `name` with `attributes`: `name`,
 * `length` and every metadata key of the original survive, so Nest's route, guard and event
 * metadata still read from it. The tracer is looked up per call, so a method decorated before
 * tracing started is traced once it runs.
 */
export function tracedFunction<F extends AnyFunction>(
  original: F,
  name: string,
  attributes: Attributes | undefined,
): F {
  const wrapped = new Proxy(original, {
    apply(fn, self, args: unknown[]) {
      return runInSpan(getTracer(), name, attributes, fn, self, args);
    },
  });
  copyMetadata(original, wrapped);
  WRAPPERS.add(wrapped);
  return wrapped;
}
