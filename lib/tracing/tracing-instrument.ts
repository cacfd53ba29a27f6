import type { Attributes } from '@opentelemetry/api';
import { HttpAdapterHost } from '@nestjs/core';
import { loadOptional } from '../config/optional-module';
import { AlertingService } from '../alerting/alerting.service';
import { AlertsAdminGuard } from '../alerting/alerts-admin.guard';
import { ContextsExplorer } from '../contexts/contexts.explorer';
import { MethodMetricsExplorer } from '../decorators/method-metrics.explorer';
import { UserFiltersReporter } from '../errors/user-filters.reporter';
import { ObservabilityExceptionFilter } from '../errors/observability-exception.filter';
import { HealthService } from '../health/health.service';
import { HttpMetricsHook } from '../http/http-metrics.hook';
import { RequestContextHook } from '../logging/request-context.hook';
import { StructuredNestLogger } from '../logging/structured-nest.logger';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { WillsotoMetricsExplorer } from '../metrics/willsoto-metrics.explorer';
import { ObservabilityLifecycle } from '../observability.lifecycle';
import { QueueMetricsService } from '../queue/queue-metrics.service';
import { installServerSpans } from './server-span.hook';
import { isTracedFunction, tracedFunction } from './traced-method';
import { isTracingActive, tracingState } from './tracing-state';

/** Options of {@link tracingInstrument}. */
export interface TracingInstrumentOptions {
  /**
   * A span for every method call of every provider, not only guards, pipes, interceptors,
   * filters, middleware and route handlers. Unset, `tracing.providers` of `startTracing()` (or
   * the instrument entry) decides.
   * @default false
   */
  providers?: boolean;
  /** Another `instanceDecorator` to run first (Nest accepts one). */
  instanceDecorator?: (instance: unknown) => unknown;
}

/** The role of an instance in a request, as its span's `nestjs.type` attribute. */
type Role = 'guard' | 'pipe' | 'interceptor' | 'filter' | 'middleware' | 'handler' | 'provider';

/** The method each enhancer role is called through. */
const ROLE_METHODS: ReadonlyArray<readonly [string, Role]> = [
  ['canActivate', 'guard'],
  ['transform', 'pipe'],
  ['intercept', 'interceptor'],
  ['catch', 'filter'],
  ['use', 'middleware'],
];

/** Lifecycle hooks and framework callbacks: never request work, never a span. */
const SKIPPED_METHODS = new Set([
  'constructor',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
  'toString',
  'toJSON',
  'valueOf',
]);

/** This library's own classes: their work is measured by it, not traced as application code. */
const LIBRARY_CLASSES: ReadonlySet<unknown> = new Set<unknown>([
  AlertingService,
  AlertsAdminGuard,
  ContextsExplorer,
  CustomMetricsService,
  UserFiltersReporter,
  HealthService,
  HttpMetricsHook,
  MethodMetricsExplorer,
  ObservabilityExceptionFilter,
  ObservabilityLifecycle,
  QueueMetricsService,
  RequestContextHook,
  StructuredNestLogger,
  WillsotoMetricsExplorer,
]);

let frameworkClasses: Set<unknown> | undefined;

/** Classes exported by Nest itself (`Reflector`, `ModuleRef`, ...): framework plumbing. */
function isFrameworkClass(ctor: unknown): boolean {
  if (!frameworkClasses) {
    frameworkClasses = new Set();
    for (const pkg of ['@nestjs/core', '@nestjs/common']) {
      const module = loadOptional<Record<string, unknown>>(pkg) ?? {};
      for (const value of Object.values(module)) {
        if (typeof value === 'function') frameworkClasses.add(value);
      }
    }
  }
  return frameworkClasses.has(ctor);
}

interface MetadataReader {
  getMetadata?(key: unknown, target: object): unknown;
}
const metadataOf = (key: string, target: object): unknown =>
  (Reflect as unknown as MetadataReader).getMetadata?.(key, target);

/** Method names per class: request-scoped classes are instantiated per request. */
const METHOD_NAMES = new WeakMap<object, readonly string[]>();

/** Names of the methods of `instance`'s class chain, below `Object.prototype`. */
function methodNames(instance: object): readonly string[] {
  const first = Object.getPrototypeOf(instance) as object | null;
  if (!first) return [];
  const known = METHOD_NAMES.get(first);
  if (known) return known;
  const names = new Set<string>();
  for (
    let proto: object | null = first;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function' && !SKIPPED_METHODS.has(name)) names.add(name);
    }
  }
  const list = [...names];
  METHOD_NAMES.set(first, list);
  return list;
}

/** Replaces `instance[method]` by a traced wrapper of it (an own property; the class is untouched). */
function traceMethod(
  instance: Record<string, unknown>,
  method: string,
  className: string,
  role: Role,
) {
  const original = instance[method];
  if (typeof original !== 'function' || isTracedFunction(original)) return;
  const name = `${className}.${method}`;
  const attributes: Attributes = { 'nestjs.type': role, 'code.function.name': name };
  instance[method] = tracedFunction(original as (...args: unknown[]) => unknown, name, attributes);
}

/** Adds spans to one instance Nest created; returns it (the same object). @internal */
export function instrumentInstance(instance: unknown, providers: boolean): unknown {
  if (instance === null || typeof instance !== 'object') return instance;
  const ctor = (instance as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor === Object) return instance;
  if (LIBRARY_CLASSES.has(ctor) || isFrameworkClass(ctor)) return instance;
  const target = instance as Record<string, unknown>;
  const className = ctor.name || 'Anonymous';
  if (metadataOf('__controller__', ctor)) {
    for (const method of methodNames(target)) {
      const fn = target[method];
      // Route handlers carry `path` metadata; other controller methods are plain code.
      if (typeof fn === 'function' && metadataOf('path', fn) !== undefined) {
        traceMethod(target, method, className, 'handler');
      } else if (providers) {
        traceMethod(target, method, className, 'provider');
      }
    }
    return instance;
  }
  for (const [method, role] of ROLE_METHODS) {
    if (typeof target[method] === 'function') {
      traceMethod(target, method, className, role);
      return instance;
    }
  }
  if (providers && metadataOf('__injectable__', ctor)) {
    for (const method of methodNames(target)) traceMethod(target, method, className, 'provider');
  }
  return instance;
}

/**
 * Nest's `instrument` option that puts the application's own vocabulary into its traces: a
 * span `Class.method` for each call of a guard (`canActivate`), pipe (`transform`),
 * interceptor (`intercept`), exception filter (`catch`), class middleware (`use`) and route
 * handler, and, with `providers`, of every provider method. Each span is a child of the
 * request's server span and carries `nestjs.type` (`guard`, `pipe`, `handler`, ...). Errors are
 * recorded on the span and rethrown untouched; sync, async and Observable results are traced
 * to completion; route and other metadata is kept.
 *
 * Nest calls the decorator once per instance it creates, so this costs nothing per request
 * beyond the spans themselves, and nothing at all when tracing is off (the instances are left
 * untouched). Nest's own classes and this library's are never traced.
 *
 * @example
 * ```ts
 * // main.ts
 * import 'nestjs-observability/instrument';
 * import { NestFactory } from '@nestjs/core';
 * import { tracingInstrument } from 'nestjs-observability';
 * import { AppModule } from './app.module';
 *
 * const app = await NestFactory.create(AppModule, { instrument: tracingInstrument() });
 * ```
 */
export function tracingInstrument(options: TracingInstrumentOptions = {}): {
  instanceDecorator: (instance: unknown) => unknown;
} {
  const before = options.instanceDecorator;
  return {
    instanceDecorator(instance: unknown): unknown {
      const decorated = before ? before(instance) : instance;
      if (decorated instanceof HttpAdapterHost && tracingState()?.serverSpans) {
        // The adapter's first request hook makes the server spans (see `installServerSpans`).
        decorated.init$.subscribe(() => installServerSpans(decorated.httpAdapter));
        return decorated;
      }
      if (!isTracingActive()) return decorated;
      try {
        const providers = options.providers ?? tracingState()?.options.providers ?? false;
        return instrumentInstance(decorated, providers);
      } catch {
        // tracing never fails the bootstrap
        return decorated;
      }
    },
  };
}
