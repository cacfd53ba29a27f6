import { type ArgumentsHost, Inject, Injectable } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ErrorTrackingService } from './error-tracking.service';
import { ObservabilityExceptionFilter } from './observability-exception.filter';

type CatchMethod = (exception: unknown, host: ArgumentsHost) => unknown;
type AnyFunction = (...args: never[]) => unknown;

/**
 * The error tracking of each application, keyed by what a request leads back to: its adapter's
 * instance (Express `req.app`, Fastify `request.server`) and its HTTP server. A wrapped filter
 * method is shared by every application that uses the filter class; the request says whose it is.
 */
const TRACKERS = new WeakMap<object, ErrorTrackingService>();
/** `catch` methods already wrapped (once per class, whatever the number of applications). */
const WRAPPED = new WeakSet<CatchMethod>();

function trackerOf(request: any): ErrorTrackingService | undefined {
  const raw = request?.raw ?? request;
  const keys = [raw?.socket?.server, request?.app, request?.server];
  for (const key of keys) {
    const tracker = key && typeof key === 'object' ? TRACKERS.get(key) : undefined;
    if (tracker) return tracker;
  }
  return undefined;
}

function reportThrough(exception: unknown, host: ArgumentsHost): void {
  try {
    if (host?.getType?.() !== 'http' || typeof exception !== 'object' || exception === null) return;
    const request = host.switchToHttp().getRequest();
    trackerOf(request)?.captureRequestException(exception, request);
  } catch {
    // Reporting never stands between the exception and the filter that answers it.
  }
}

/**
 * Wraps the `catch` method `filter` (a filter class or instance) uses, where it is defined,
 * so the exceptions it answers are reported first. The wrapper is a `Proxy`: name and length
 * survive, and the user's method runs untouched.
 */
function wrapCatch(filter: unknown): void {
  const target =
    typeof filter === 'function'
      ? (filter as { prototype?: object }).prototype
      : filter && typeof filter === 'object'
        ? filter
        : undefined;
  if (!target || target instanceof ObservabilityExceptionFilter) return;
  if (target === ObservabilityExceptionFilter.prototype) return;
  let owner: object | null = target;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, 'catch')) {
    owner = Object.getPrototypeOf(owner) as object | null;
  }
  if (!owner || owner === Object.prototype) return;
  const original = (owner as { catch?: unknown }).catch;
  if (typeof original !== 'function' || WRAPPED.has(original as CatchMethod)) return;
  const descriptor = Object.getOwnPropertyDescriptor(owner, 'catch');
  if (!descriptor?.writable && !descriptor?.configurable) return;
  const wrapped = new Proxy(original as CatchMethod, {
    apply(method, self, args: [unknown, ArgumentsHost]) {
      reportThrough(args[0], args[1]);
      return Reflect.apply(method, self, args);
    },
  });
  WRAPPED.add(wrapped);
  Object.defineProperty(owner, 'catch', { ...descriptor, value: wrapped });
}

/** Every method of `type` (own and inherited, up to `Object`). */
function methodsOf(type: AnyFunction): AnyFunction[] {
  const methods: AnyFunction[] = [];
  for (let proto = type.prototype; proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name !== 'constructor' && typeof value === 'function') methods.push(value);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return methods;
}

/**
 * Reports the errors that your own exception filters answer (`@UseFilters()` on a controller
 * or route, and global filters: `APP_FILTER` or `app.useGlobalFilters()`), which the module's
 * own filter never sees. Each filter's `catch` is wrapped once, before Nest binds it to the
 * routes (Nest binds the routes after the providers are created, and global filters are added
 * through the application config this watches). No interceptor is registered: one would cost
 * every request of the application (see BENCHMARKS.md), this costs nothing until an exception.
 *
 * Registered by every `ObservabilityModule`; it wraps nothing when the resolved options cannot
 * report errors (`errors.enabled` false: no DSN, or turned off), whichever way they were given.
 *
 * @internal
 */
@Injectable()
export class UserFiltersReporter {
  private readonly enabled: boolean;

  constructor(
    modules: ModulesContainer,
    config: ApplicationConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly tracking: ErrorTrackingService,
    @Inject(OBSERVABILITY_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    this.enabled = options.errors.enabled;
    if (!this.enabled) return;
    try {
      const adapter = adapterHost?.httpAdapter;
      const instance = adapter?.getInstance?.();
      if (instance && typeof instance === 'object') TRACKERS.set(instance, tracking);
      this.watchGlobalFilters(config);
      for (const module of modules.values()) {
        for (const wrapper of module.controllers.values()) this.wrapFiltersOf(wrapper.metatype);
        for (const wrapper of [...module.providers.values(), ...module.injectables.values()]) {
          const type = wrapper.metatype as AnyFunction | null | undefined;
          if (typeof type === 'function' && Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, type)) {
            wrapCatch(type);
          }
        }
      }
    } catch {
      // Never break the application's boot: its filters then simply go unreported.
    }
  }

  /** The HTTP server exists once the application does: requests lead back to it too. */
  onModuleInit(): void {
    if (!this.enabled) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.();
    if (server && typeof server === 'object') TRACKERS.set(server, this.tracking);
  }

  /** Filters bound with `@UseFilters()` on a controller class or its methods. */
  private wrapFiltersOf(type: unknown): void {
    if (typeof type !== 'function') return;
    const lists = [type, ...methodsOf(type as AnyFunction)].map(
      (target) => (Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, target) ?? []) as unknown[],
    );
    for (const filter of lists.flat()) wrapCatch(filter);
  }

  /** Global filters known now, and those added later (APP_FILTER, `useGlobalFilters`). */
  private watchGlobalFilters(config: ApplicationConfig): void {
    config.getGlobalFilters().forEach(wrapCatch);
    const add = config.addGlobalFilter.bind(config);
    const use = config.useGlobalFilters.bind(config);
    config.addGlobalFilter = (filter) => {
      wrapCatch(filter);
      add(filter);
    };
    config.useGlobalFilters = (...filters) => {
      filters.forEach(wrapCatch);
      use(...filters);
    };
  }
}
