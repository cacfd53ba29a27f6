/**
 * Simulated prom-client releases that change what the library's fast path relies on, applied
 * to a freshly loaded prom-client: call {@link loadChangedPromClient} inside
 * `jest.isolateModules()`, before the library is required there, so nothing leaks into the
 * prom-client the other tests load.
 */
export type PromClientChange =
  /** Its series map (`hashMap`) is no longer a public field (as with a `#private` one). */
  | 'hidden-series-map'
  /** Its series keys have another format (`a:x;b:y;` instead of `a:x,b:y,`). */
  | 'new-key-format'
  /**
   * Its exposition reads a copy of the series that only its own methods refresh, so writes
   * from outside are lost.
   */
  | 'exposition-copy'
  /**
   * `inc`/`observe` are prototype methods, and `incWithoutExemplar`/`observeWithoutExemplar`
   * are gone.
   */
  | 'prototype-methods';

type Fn = (this: any, ...args: any[]) => any;

/**
 * Keeps `field` out of sight except while one of the class's own methods runs (until it
 * settles, for an async one).
 */
function hideField(prototype: Record<string, unknown>, field: string): void {
  const stored = Symbol(`${field} (hidden)`);
  const depth = Symbol('depth');
  const leave = (self: any): void => {
    self[depth] -= 1;
    if (self[depth] === 0 && Object.hasOwn(self, field)) {
      self[stored] = self[field];
      delete self[field];
    }
  };
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
    const original = descriptor.value as Fn;
    prototype[name] = function (this: any, ...args: unknown[]) {
      this[depth] = (this[depth] ?? 0) + 1;
      if (this[depth] === 1 && !Object.hasOwn(this, field) && stored in this) {
        this[field] = this[stored];
      }
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (error) {
        leave(this);
        throw error;
      }
      if (result instanceof Promise) return result.finally(() => leave(this));
      leave(this);
      return result;
    };
  }
}

/**
 * Serves `readers` from a copy of `hashMap` that only `writers` refresh, as a release that
 * caches its exposition would.
 */
function exposeCopy(prototype: Record<string, unknown>, writers: string[], readers: string[]) {
  const copy = Symbol('hashMap (exposed copy)');
  for (const name of writers) {
    const original = prototype[name] as Fn;
    prototype[name] = function (this: any, ...args: unknown[]) {
      try {
        return original.apply(this, args);
      } finally {
        this[copy] = structuredClone(this.hashMap);
      }
    };
  }
  for (const name of readers) {
    const original = prototype[name] as Fn;
    prototype[name] = function (this: any, ...args: unknown[]) {
      const live = this.hashMap;
      this.hashMap = this[copy] ?? live;
      try {
        return original.apply(this, args);
      } finally {
        this.hashMap = live;
      }
    };
  }
}

/** Replaces the series key format of prom-client's `util`, before its metrics load it. */
function changeKeyFormat(util: Record<string, Fn>): void {
  const hashObject = util.hashObject;
  const newHash = (labels: object, names?: string[]): string =>
    (hashObject(labels, names) as string).replace(/,/g, ';');
  util.hashObject = newHash;
  util.removeLabels = (hashMap: Record<string, unknown>, labels: object, names: string[]) => {
    delete hashMap[newHash(labels, names)];
  };
  util.setValue = (hashMap: Record<string, unknown>, value: unknown, labels?: object) => {
    hashMap[newHash(labels ?? {})] = {
      value: typeof value === 'number' ? value : 0,
      labels: labels ?? {},
    };
    return hashMap;
  };
}

/**
 * Makes `method` a prototype method and removes `internal`, the instance-assigned
 * implementation behind it: assignments in the constructor no longer shadow it.
 */
function moveToPrototype(prototype: Record<string, unknown>, method: string, internal: string) {
  const implementation = prototype[internal];
  delete prototype[internal];
  Object.defineProperty(prototype, method, {
    configurable: true,
    get: () => implementation,
    set: () => undefined,
  });
}

/** Loads prom-client (in the current module registry) with `change` applied. */
export function loadChangedPromClient(change?: PromClientChange): typeof import('prom-client') {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (change === 'new-key-format') changeKeyFormat(require('prom-client/lib/util'));
  const promClient = require('prom-client') as typeof import('prom-client');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const counter = promClient.Counter.prototype as unknown as Record<string, unknown>;
  const histogram = promClient.Histogram.prototype as unknown as Record<string, unknown>;
  if (change === 'hidden-series-map') {
    hideField(counter, 'hashMap');
    hideField(histogram, 'hashMap');
  }
  if (change === 'exposition-copy') {
    exposeCopy(counter, ['incWithoutExemplar', 'reset', 'remove'], ['get']);
    exposeCopy(
      histogram,
      ['observeWithoutExemplar', 'reset', 'remove', 'zero'],
      ['get', 'getForPromString'],
    );
  }
  if (change === 'prototype-methods') {
    moveToPrototype(counter, 'inc', 'incWithoutExemplar');
    moveToPrototype(histogram, 'observe', 'observeWithoutExemplar');
  }
  return promClient;
}
