import { ContextStore } from '../logging/request-context';
import { requestTraceOf } from './sentry-request-scopes';

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
