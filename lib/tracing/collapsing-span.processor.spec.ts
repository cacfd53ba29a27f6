import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { CollapsingSpanProcessor } from './collapsing-span.processor';

describe('CollapsingSpanProcessor', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => context.disable());

  function setup(threshold: number) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new CollapsingSpanProcessor(new SimpleSpanProcessor(exporter), threshold)],
    });
    return { exporter, tracer: provider.getTracer('test') };
  }

  it('keeps the first N siblings of a name and sums the rest on the parent', () => {
    const { exporter, tracer } = setup(3);
    tracer.startActiveSpan('handler', (parent) => {
      for (let i = 0; i < 10; i++) tracer.startSpan('query').end();
      tracer.startSpan('render').end();
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'handler',
      'query',
      'query',
      'query',
      'render',
    ]);
    const handler = spans.find((s) => s.name === 'handler')!;
    expect(handler.attributes['collapsed.query.count']).toBe(7);
    expect(handler.attributes['collapsed.query.duration_ms']).toEqual(expect.any(Number));
    expect(handler.attributes).not.toHaveProperty('collapsed.render.count');
  });

  it('counts per parent, and leaves root spans alone', () => {
    const { exporter, tracer } = setup(2);
    for (let i = 0; i < 5; i++) tracer.startSpan('root').end();
    for (const name of ['a', 'b']) {
      tracer.startActiveSpan(name, (parent) => {
        for (let i = 0; i < 3; i++) tracer.startSpan('child').end();
        parent.end();
      });
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((s) => s.name === 'root')).toHaveLength(5);
    expect(spans.filter((s) => s.name === 'child')).toHaveLength(4);
    for (const name of ['a', 'b']) {
      expect(spans.find((s) => s.name === name)!.attributes['collapsed.child.count']).toBe(1);
    }
  });

  it('with threshold 0 forwards everything', () => {
    const { exporter, tracer } = setup(0);
    tracer.startActiveSpan('p', (parent) => {
      for (let i = 0; i < 50; i++) tracer.startSpan('c').end();
      parent.end();
    });
    expect(exporter.getFinishedSpans()).toHaveLength(51);
  });

  it('keeps memory bounded behind an exporter that never answers (bounded queue)', async () => {
    let exported = 0;
    const hanging: SpanExporter = {
      export: (spans: ReadableSpan[]) => {
        exported += spans.length;
        // never calls back, as a collector that accepts and never answers
      },
      shutdown: () => Promise.resolve(),
    };
    const batch = new BatchSpanProcessor(hanging, {
      maxQueueSize: 100,
      maxExportBatchSize: 10,
      scheduledDelayMillis: 1,
      exportTimeoutMillis: 50,
    });
    const provider = new BasicTracerProvider({
      spanProcessors: [new CollapsingSpanProcessor(batch, 20)],
    });
    const tracer = provider.getTracer('test');
    for (let i = 0; i < 20_000; i++) tracer.startSpan(`s${i % 7}`).end();
    const queued = (batch as unknown as { _finishedSpans: unknown[] })._finishedSpans;
    expect(queued.length).toBeLessThanOrEqual(100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(exported).toBeLessThanOrEqual(200);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
