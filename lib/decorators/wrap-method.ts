import type { Observable } from 'rxjs';
import { loadOptional } from '../config/optional-module';
import { Messages } from '../observability.messages';
import type { MethodMetricSpec, MethodRecorder } from './method-metric.types';
import { declareMethodMetric } from './method-metric.types';

type AnyFunction = (...args: unknown[]) => unknown;

/** reflect-metadata's API, present when the application loaded it (every Nest app does). */
interface ReflectMetadata {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

/**
 * An rxjs Observable (rxjs's own `isObservable` test: `lift` and `subscribe`). rxjs is loaded
 * only when a decorated method returns one, so code without Nest never loads it.
 */
const looksObservable = (value: object): boolean =>
  typeof (value as { subscribe?: unknown }).subscribe === 'function' &&
  typeof (value as { lift?: unknown }).lift === 'function';

function timeObservable(
  source: Observable<unknown>,
  recorder: MethodRecorder,
  context: unknown,
): Observable<unknown> {
  const rxjs = loadOptional<typeof import('rxjs')>('rxjs');
  if (!rxjs?.isObservable(source)) return source;
  return new rxjs.Observable((subscriber) => {
    const start = performance.now();
    return source.subscribe({
      next: (value) => subscriber.next(value),
      error: (error) => {
        recorder.error((performance.now() - start) / 1000, error, context);
        subscriber.error(error);
      },
      complete: () => {
        recorder.success((performance.now() - start) / 1000, context);
        subscriber.complete();
      },
    });
  });
}

/** Calls `fn` and reports its outcome to `recorder`: sync, thenable or Observable. */
function invoke(
  fn: AnyFunction,
  self: unknown,
  args: unknown[],
  recorder: MethodRecorder,
): unknown {
  const context = recorder.start?.(args);
  const start = performance.now();
  let result: unknown;
  try {
    result = Reflect.apply(fn, self, args);
  } catch (error) {
    recorder.error((performance.now() - start) / 1000, error, context);
    throw error;
  }
  if (result !== null && typeof result === 'object') {
    if (typeof (result as PromiseLike<unknown>).then === 'function') {
      return (result as PromiseLike<unknown>).then(
        (value) => {
          recorder.success((performance.now() - start) / 1000, context);
          return value;
        },
        (error: unknown) => {
          recorder.error((performance.now() - start) / 1000, error, context);
          throw error;
        },
      );
    }
    if (looksObservable(result)) {
      return timeObservable(result as Observable<unknown>, recorder, context);
    }
  }
  recorder.success((performance.now() - start) / 1000, context);
  return result;
}

/**
 * Replaces a method with a `Proxy` that reports each call to the recorder bound to `this`
 * at bootstrap, and runs the method untouched when none is bound (outside an app, or before
 * the module started). The proxy keeps `name` and `length`, and every metadata key of the
 * original is copied, so `@Get()`, `@OnEvent()`, `@Cron()` and guards keep working whichever
 * side of this decorator they sit on.
 */
export function wrapMethod(
  decorator: string,
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  spec: Omit<MethodMetricSpec, 'bindings' | 'methodName'>,
): PropertyDescriptor {
  const original = descriptor?.value as AnyFunction | undefined;
  if (typeof original !== 'function') {
    throw new TypeError(Messages.decoratorOnNonMethod(decorator, String(key)));
  }
  const bindings = new WeakMap<object, MethodRecorder>();
  const wrapped = new Proxy(original, {
    apply(fn, self, args) {
      const recorder =
        self && (bindings.get(self) ?? bindings.get(Object.getPrototypeOf(self) as object));
      return recorder ? invoke(fn, self, args, recorder) : Reflect.apply(fn, self, args);
    },
  });
  const metadata = Reflect as unknown as Partial<ReflectMetadata>;
  if (typeof metadata.getOwnMetadataKeys === 'function') {
    const api = metadata as ReflectMetadata;
    for (const metadataKey of api.getOwnMetadataKeys(original)) {
      api.defineMetadata(metadataKey, api.getOwnMetadata(metadataKey, original), wrapped);
    }
  }
  declareMethodMetric(target, { ...spec, methodName: String(key), bindings });
  descriptor.value = wrapped;
  return descriptor;
}
