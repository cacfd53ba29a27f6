import { ContextStore, RequestContext } from '../logging/request-context';
import type { SentrySdk } from './sentry-sdk';
import { eagerRequestScope, LazyRequestScopes, requestTraceOf } from './sentry-request-scopes';

const storeOf = (headers?: Record<string, unknown>) =>
  new ContextStore(undefined, 'req-1', headers ? { headers } : undefined);

describe('requestTraceOf', () => {
  it('makes a new trace of 32 hex digits and a span of 16, once per request', () => {
    const store = storeOf({});
    const trace = requestTraceOf(store);
    expect(trace).toEqual({
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(requestTraceOf(store)).toBe(trace);
    expect(store.traceIds).toBe(trace);
    expect(requestTraceOf(storeOf()).traceId).not.toBe(trace.traceId);
  });

  it('continues an incoming sentry-trace header, with a span of its own', () => {
    const trace = requestTraceOf(
      storeOf({ 'sentry-trace': '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1' }),
    );
    expect(trace).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      parentSpanId: 'b7ad6b7169203331',
      sampled: true,
    });
    expect(trace.spanId).not.toBe('b7ad6b7169203331');
  });

  it('starts a new trace when the header is malformed', () => {
    const trace = requestTraceOf(storeOf({ 'sentry-trace': 'not-a-trace' }));
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace).not.toHaveProperty('parentSpanId');
  });
});

describe('LazyRequestScopes', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('@sentry/core') as typeof import('@sentry/core');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sentry = require('@sentry/node') as SentrySdk;
  const strategy = () =>
    (
      core as unknown as { getAsyncContextStrategy(carrier: unknown): unknown }
    ).getAsyncContextStrategy((core as unknown as { getMainCarrier(): unknown }).getMainCarrier());

  it('installs nothing, and leaves Sentry’s strategy as it was, when the self-check fails', () => {
    const scope = sentry.getIsolationScope();
    // An SDK whose scopes do not follow the strategy (another Sentry copy, a changed internal).
    const foreign = {
      ...sentry,
      getIsolationScope: () => scope,
      getCurrentScope: () => scope,
    } as SentrySdk;
    expect(LazyRequestScopes.install(foreign)).toBeUndefined();
    // Sentry's own strategy is back, not the wrapper (this test runs first in the file).
    const lazy = Symbol.for('nestjs-observability.lazy-request-scopes');
    expect((strategy() as Record<symbol, unknown>)[lazy]).toBeUndefined();
  });

  it('gives each request scopes of its own, made on first use, and none outside a request', () => {
    const scopes = LazyRequestScopes.install(sentry);
    expect(scopes).toBeDefined();
    expect(scopes!.live).toBe(true);
    const outside = sentry.getIsolationScope();
    const inRequest = (id: string) =>
      RequestContext.run(new ContextStore(undefined, id, { headers: {} }), () => {
        sentry.setTag('request', id);
        return { isolation: sentry.getIsolationScope(), current: sentry.getCurrentScope() };
      });
    const a = inRequest('a');
    const b = inRequest('b');
    expect(a.isolation).not.toBe(b.isolation);
    expect(a.isolation).not.toBe(outside);
    expect(a.isolation.getScopeData().tags).toEqual({ request: 'a' });
    expect(b.isolation.getScopeData().tags).toEqual({ request: 'b' });
    expect(outside.getScopeData().tags).not.toHaveProperty('request');
    // The request's current scope carries the request's own trace.
    expect(a.current.getPropagationContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.current.getPropagationContext().traceId).not.toBe(
      b.current.getPropagationContext().traceId,
    );
    // A second install (another application) reuses the wrapped strategy.
    const installed = strategy();
    expect(LazyRequestScopes.install(sentry)).toBeDefined();
    expect(strategy()).toBe(installed);
  });
});

describe('eagerRequestScope (the fallback)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sentry = require('@sentry/node') as SentrySdk;

  // Isolation itself needs Sentry's OpenTelemetry context (Sentry.init): the end-to-end suite
  // covers it with the request context off. Here: each request served once, with its trace.
  it('serves each request once, in Sentry’s isolation, with the request’s trace', () => {
    const scope = eagerRequestScope(sentry);
    const traces: string[] = [];
    let served = 0;
    scope(storeOf({ 'sentry-trace': '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331' }), () => {
      served++;
      traces.push(sentry.getCurrentScope().getPropagationContext().traceId);
    });
    scope(storeOf({}), () => {
      served++;
      traces.push(sentry.getCurrentScope().getPropagationContext().traceId);
    });
    expect(served).toBe(2);
    expect(traces[0]).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traces[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(traces[1]).not.toBe(traces[0]);
  });

  it('still serves the request, once, when Sentry fails to enter a scope', () => {
    const broken = {
      ...sentry,
      withIsolationScope: () => {
        throw new Error('broken sentry');
      },
    } as unknown as SentrySdk;
    let served = 0;
    eagerRequestScope(broken)(storeOf({}), () => served++);
    expect(served).toBe(1);
  });

  it('lets an error of the request itself propagate, without serving it twice', () => {
    let served = 0;
    expect(() =>
      eagerRequestScope(sentry)(storeOf({}), () => {
        served++;
        throw new Error('handler failed');
      }),
    ).toThrow('handler failed');
    expect(served).toBe(1);
  });
});
