type AnyFunction = (...args: unknown[]) => unknown;

/** Runs one call of an instrumented method for the instance it is bound to. */
export type MethodRunner = (fn: AnyFunction, self: object, args: unknown[]) => unknown;

/** reflect-metadata's API, present when the application loaded it (every Nest app does). */
interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

/** The per-instance runners of each wrapped method, keyed by the wrapper. */
const RUNNERS = new WeakMap<object, WeakMap<object, MethodRunner>>();

/**
 * Wraps method `key` of `proto` (where it is defined, up the prototype chain) once, with a
 * `Proxy` that keeps `name`, `length` and every metadata key of the original, and returns the
 * runners of its instances: an instance with a runner (or whose prototype has one: request-scoped
 * and transient classes get a new instance per request) is run through it, any other instance
 * calls the method untouched. Each application binds its own instances, so two applications
 * sharing a class never record into each other.
 *
 * Returns `undefined` when `key` is not a method.
 */
export function instrumentMethod(
  proto: object,
  key: string,
): WeakMap<object, MethodRunner> | undefined {
  let owner: object | null = proto;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, key)) {
    owner = Object.getPrototypeOf(owner) as object | null;
  }
  if (!owner || owner === Object.prototype) return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  const original = descriptor?.value as AnyFunction | undefined;
  if (typeof original !== 'function' || !descriptor?.writable) return undefined;
  const known = RUNNERS.get(original);
  if (known) return known;
  const runners = new WeakMap<object, MethodRunner>();
  const wrapped = new Proxy(original, {
    apply(fn, self, args) {
      const runner =
        self && typeof self === 'object'
          ? (runners.get(self as object) ?? runners.get(Object.getPrototypeOf(self) as object))
          : undefined;
      return runner ? runner(fn, self as object, args) : Reflect.apply(fn, self, args);
    },
  });
  const metadata = Reflect as unknown as Partial<ReflectMetadata>;
  if (typeof metadata.getOwnMetadataKeys === 'function') {
    const api = metadata as ReflectMetadata;
    for (const metadataKey of api.getOwnMetadataKeys(original)) {
      api.defineMetadata(metadataKey, api.getOwnMetadata(metadataKey, original), wrapped);
    }
  }
  Object.defineProperty(owner, key, { ...descriptor, value: wrapped });
  RUNNERS.set(wrapped, runners);
  return runners;
}
