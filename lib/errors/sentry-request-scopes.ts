import { randomUUID } from 'node:crypto';
import type { Scope } from '@sentry/nestjs';
import { loadOptional } from '../config/optional-module';
import { ContextStore, currentContextStore, RequestContext } from '../logging/request-context';
import type { TraceIds } from '../logging/trace-context';
import type { SentrySdk } from './sentry-sdk';

/**
 * A request's own trace: its ids, and the caller's when an incoming `sentry-trace` header is
 * continued.
 */
interface RequestTrace extends TraceIds {
  parentSpanId?: string;
  sampled?: boolean;
}

/** `sentry-trace: <trace id>-<span id>[-<sampled>]`, as Sentry parses it. */
const SENTRY_TRACE = /^[ \t]*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?[ \t]*$/;

const hex32 = (): string => randomUUID().replace(/-/g, '');

const headerValue = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Array.isArray(value) ? headerValue(value[0]) : undefined;

/**
 * The trace of the request of `store`, made on first use: the caller's trace when the request
 * carries a `sentry-trace` header, else a new one; and a span id of its own. Its log lines and
 * its Sentry events carry these ids.
 */
export function requestTraceOf(store: ContextStore): RequestTrace {
  if (store.traceIds) return store.traceIds as RequestTrace;
  const headers = (store.request as { headers?: Record<string, unknown> } | undefined)?.headers;
  const incoming = SENTRY_TRACE.exec(headerValue(headers?.['sentry-trace']) ?? '');
  const trace: RequestTrace = {
    traceId: incoming?.[1] ?? hex32(),
    spanId: hex32().slice(16),
    ...(incoming && { parentSpanId: incoming[2] }),
    ...(incoming?.[3] && { sampled: incoming[3] === '1' }),
  };
  store.traceIds = trace;
  return trace;
}

/** The parts of `@sentry/core`'s exports the lazy request scopes use. */
interface SentryCore {
  getMainCarrier(): unknown;
  getAsyncContextStrategy(carrier: unknown): AsyncContextStrategy;
  setAsyncContextStrategy(strategy: AsyncContextStrategy): void;
  getDefaultCurrentScope(): Scope;
  getDefaultIsolationScope(): Scope;
}

interface AsyncContextStrategy {
  getCurrentScope(): Scope;
  getIsolationScope(): Scope;
}

/** Marks the strategy this module installed, so a second application reuses it. */
const LAZY = Symbol.for('nestjs-observability.lazy-request-scopes');

/** Sentry's scopes of the request being served, created on first use. */
interface LazyScopes {
  isolation?: Scope;
  current?: Scope;
}

const scopesOf = (store: ContextStore): LazyScopes => (store.errorScopes ??= {}) as LazyScopes;

/**
 * Per-request Sentry scopes at no cost to requests that never touch Sentry. Sentry's own way
 * (`withIsolationScope`, which its HTTP server integration calls for every request) enters an
 * OpenTelemetry context and clones two scopes per request, measured at several microseconds.
 * Instead, Sentry's async-context strategy is wrapped: where Sentry would hand out its
 * process-wide default scopes, inside a request of {@link RequestContext}, it hands out that
 * request's own clones, made the first time anything asks (the application's
 * `Sentry.setTag`/`setUser`/`addBreadcrumb`, a capture, an outgoing request's trace headers).
 * The request's current scope carries the request's trace ({@link requestTraceOf}). Scopes that
 * Sentry or the application fork themselves (`withIsolationScope`, spans) are left alone.
 *
 * The strategy is an internal of `@sentry/core` (exported, not documented): it is installed only
 * when a self-check sees it work through `sdk`, else the caller falls back to
 * `withIsolationScope` per request.
 */
export class LazyRequestScopes {
  private constructor(
    private readonly core: SentryCore,
    private readonly strategy: AsyncContextStrategy,
  ) {}

  /** Installs (or finds) the lazy scopes and checks them through `sdk`; `undefined` if unusable. */
  static install(sdk: SentrySdk): LazyRequestScopes | undefined {
    try {
      const core = loadOptional<Partial<SentryCore>>('@sentry/core');
      if (!core || !isCore(core)) return undefined;
      const base = core.getAsyncContextStrategy(core.getMainCarrier());
      const strategy = (base as { [LAZY]?: boolean })[LAZY] ? base : wrap(core, base);
      if (strategy !== base) core.setAsyncContextStrategy(strategy);
      const scopes = new LazyRequestScopes(core, strategy);
      if (scopes.selfCheck(sdk)) return scopes;
      if (strategy !== base) core.setAsyncContextStrategy(base);
    } catch {
      // a Sentry that works otherwise: the caller falls back
    }
    return undefined;
  }

  /** Whether Sentry still uses the wrapped strategy (a later `Sentry.init()` replaces it). */
  get live(): boolean {
    try {
      return this.core.getAsyncContextStrategy(this.core.getMainCarrier()) === this.strategy;
    } catch {
      return false;
    }
  }

  /** Inside a request, `sdk` hands out scopes of that request's own, a new pair per request. */
  private selfCheck(sdk: SentrySdk): boolean {
    const scopesIn = () =>
      RequestContext.run(new ContextStore(undefined, 'self-check', undefined), () => {
        const isolation = sdk.getIsolationScope();
        const current = sdk.getCurrentScope();
        const same = isolation === sdk.getIsolationScope() && current === sdk.getCurrentScope();
        return same ? { isolation, current } : undefined;
      });
    const first = scopesIn();
    const second = scopesIn();
    return (
      first !== undefined &&
      second !== undefined &&
      first.isolation !== second.isolation &&
      first.current !== second.current &&
      first.isolation !== this.core.getDefaultIsolationScope() &&
      first.current !== this.core.getDefaultCurrentScope()
    );
  }
}

function isCore(core: Partial<SentryCore>): core is SentryCore {
  return (
    typeof core.getMainCarrier === 'function' &&
    typeof core.getAsyncContextStrategy === 'function' &&
    typeof core.setAsyncContextStrategy === 'function' &&
    typeof core.getDefaultCurrentScope === 'function' &&
    typeof core.getDefaultIsolationScope === 'function'
  );
}

function wrap(core: SentryCore, base: AsyncContextStrategy): AsyncContextStrategy {
  return {
    ...base,
    [LAZY]: true,
    getIsolationScope(): Scope {
      const scope = base.getIsolationScope();
      if (scope !== core.getDefaultIsolationScope()) return scope;
      const store = currentContextStore();
      if (!store) return scope;
      const scopes = scopesOf(store);
      return (scopes.isolation ??= scope.clone());
    },
    getCurrentScope(): Scope {
      const scope = base.getCurrentScope();
      if (scope !== core.getDefaultCurrentScope()) return scope;
      const store = currentContextStore();
      if (!store) return scope;
      const scopes = scopesOf(store);
      if (!scopes.current) {
        const current = scope.clone();
        const trace = requestTraceOf(store);
        current.setPropagationContext({
          traceId: trace.traceId,
          propagationSpanId: trace.spanId,
          parentSpanId: trace.parentSpanId,
          sampled: trace.sampled,
          sampleRand: Math.random(),
        });
        scopes.current = current;
      }
      return scopes.current;
    },
  } as AsyncContextStrategy;
}

/**
 * Runs one request's pipeline (`serve`) in a Sentry isolation scope of its own, entered with
 * Sentry's public `withIsolationScope` for every request: the fallback when
 * {@link LazyRequestScopes} cannot be installed. The request's scope gets the request's trace;
 * an incoming `sentry-trace` header is continued.
 */
export type RequestScope = (store: ContextStore | undefined, serve: () => void) => void;

/** The {@link RequestScope} of `sdk`. */
export function eagerRequestScope(sdk: SentrySdk): RequestScope {
  return (store, serve) => {
    let entered = false;
    try {
      sdk.withIsolationScope(() => {
        entered = true;
        try {
          if (store) {
            const trace = requestTraceOf(store);
            sdk.getCurrentScope().setPropagationContext({
              traceId: trace.traceId,
              propagationSpanId: trace.spanId,
              parentSpanId: trace.parentSpanId,
              sampled: trace.sampled,
              sampleRand: Math.random(),
            });
          }
        } catch {
          // the request goes on without a trace of its own
        }
        serve();
      });
    } catch (error) {
      // Observability never breaks the request: the request itself still runs, once.
      if (entered) throw error;
      serve();
    }
  };
}
