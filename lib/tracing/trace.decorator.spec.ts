import 'reflect-metadata';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import { setSpanAttributes, Trace } from './trace.decorator';
import type { ResolvedTracingOptions } from './tracing-options.interface';
import { childrenFollowParent, setTracingState } from './tracing-state';

const Meta =
  (key: string, value: unknown): MethodDecorator =>
  (_t, _k, descriptor) => {
    Reflect.defineMetadata(key, value, descriptor.value as object);
  };

class Orders {
  factor = 2;

  @Trace()
  @Meta('below', 'kept')
  sync(x: number): number {
    setSpanAttributes({ 'orders.x': x });
    return x * this.factor;
  }

  @Meta('above', 'kept')
  @Trace('orders.load', { attributes: { 'db.system': 'postgresql' } })
  async load(id: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    if (id < 0) throw new Error('negative');
    return id;
  }

  @Trace()
  stream(fail: boolean): Observable<number> {
    return fail ? throwError(() => new Error('stream failed')) : of(1, 2, 3);
  }

  @Trace()
  boom(): never {
    throw new TypeError('boom');
  }
}

describe('@Trace()', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());
  const spans = () => exporter.getFinishedSpans();

  it('names sync spans Class.method, keeps this, result, name, length and metadata on both sides', () => {
    const orders = new Orders();
    expect(orders.sync(21)).toBe(42);
    expect(spans()).toHaveLength(1);
    expect(spans()[0].name).toBe('Orders.sync');
    expect(spans()[0].attributes).toEqual({
      'code.function.name': 'Orders.sync',
      'orders.x': 21,
    });
    expect(Orders.prototype.sync.name).toBe('sync');
    expect(Orders.prototype.sync.length).toBe(1);
    expect(Reflect.getMetadata('below', Orders.prototype.sync)).toBe('kept');
    expect(Reflect.getMetadata('above', Orders.prototype.load)).toBe('kept');
  });

  it('traces async methods to completion, with constant attributes, and records rejections', async () => {
    const orders = new Orders();
    await expect(orders.load(3)).resolves.toBe(3);
    await expect(orders.load(-1)).rejects.toThrow('negative');
    const [ok, failed] = spans();
    expect(ok.name).toBe('orders.load');
    expect(ok.attributes['db.system']).toBe('postgresql');
    expect(ok.status.code).toBe(SpanStatusCode.UNSET);
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'negative' });
    expect(failed.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('traces Observables until they complete or error', async () => {
    const orders = new Orders();
    const stream = orders.stream(false);
    expect(spans()).toHaveLength(0);
    expect(await lastValueFrom(stream)).toBe(3);
    expect(spans()).toHaveLength(1);
    await expect(lastValueFrom(orders.stream(true))).rejects.toThrow('stream failed');
    expect(spans()[1].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('rethrows sync errors untouched', () => {
    const orders = new Orders();
    expect(() => orders.boom()).toThrow(TypeError);
    expect(spans()[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
  });

  it('nests spans under the active span', () => {
    const tracer = provider.getTracer('test');
    tracer.startActiveSpan('request', (parent) => {
      new Orders().sync(1);
      parent.end();
    });
    const [child, parent] = spans();
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it("runs the method in the caller's context when the trace is not sampled", () => {
    const unsampled = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 0,
    });
    class Probe {
      @Trace()
      active() {
        return trace.getActiveSpan();
      }
    }
    const seen = context.with(trace.setSpan(context.active(), unsampled), () =>
      new Probe().active(),
    );
    expect(seen).toBe(unsampled);
    expect(spans()).toHaveLength(0);
  });

  it('calls a method that throws once, and rethrows, when the trace is not sampled', () => {
    // A guard denying a request of a trace sampled out: one call, its own error.
    let calls = 0;
    class Guard {
      @Trace()
      canActivate(): never {
        calls++;
        throw new Error('denied');
      }
    }
    const unsampled = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 0,
    });
    const run = () =>
      context.with(trace.setSpan(context.active(), unsampled), () => new Guard().canActivate());
    expect(run).toThrow('denied');
    expect(calls).toBe(1);
    // The same with this library's tracing state, where such a child is not even started.
    setTracingState({
      options: { sampler: 'parentbased_always_on' } as ResolvedTracingOptions,
      owner: 'nestjs-observability',
      shutdown: async () => undefined,
      flush: async () => undefined,
    });
    try {
      expect(childrenFollowParent()).toBe(true);
      expect(run).toThrow('denied');
      expect(calls).toBe(2);
    } finally {
      setTracingState(undefined);
    }
    expect(spans()).toHaveLength(0);
  });

  it('refuses a non-method', () => {
    expect(() => Trace()({}, 'field', { value: 42 } as PropertyDescriptor)).toThrow(
      '@Trace() decorates methods only; "field" is not a method.',
    );
  });
});
