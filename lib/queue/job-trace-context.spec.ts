import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { startTracing, type TestTracing } from '../../test/utils/tracing';
import { jobTraceContext, traceJob, withTraceContext } from './job-trace-context';

describe('BullMQ trace continuation', () => {
  let tracing: TestTracing;
  beforeEach(() => {
    tracing = startTracing();
  });
  afterEach(() => tracing.stop());

  it('returns the options unchanged outside a trace', () => {
    const options = { attempts: 3 };
    expect(withTraceContext(options)).toBe(options);
    expect(withTraceContext()).toEqual({});
  });

  it('carries the active trace in telemetry.metadata as W3C trace context, keeping the options', () => {
    const span = trace.getTracer('test').startSpan('POST /videos');
    const options = context.with(trace.setSpan(context.active(), span), () =>
      withTraceContext({ attempts: 3, telemetry: { omitContext: false } }),
    );
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(options).toEqual({
      attempts: 3,
      telemetry: {
        omitContext: false,
        metadata: JSON.stringify({ traceparent: `00-${traceId}-${spanId}-01` }),
      },
    });
    const parent = trace.getSpanContext(jobTraceContext({ opts: options }, ROOT_CONTEXT));
    expect(parent).toMatchObject({ traceId, spanId, isRemote: true });
  });

  it('falls back for jobs without or with unreadable metadata', () => {
    const fallback = ROOT_CONTEXT.setValue(Symbol('marker'), 1);
    expect(jobTraceContext({}, fallback)).toBe(fallback);
    expect(jobTraceContext({ opts: { telemetry: { metadata: '{not json' } } }, fallback)).toBe(
      fallback,
    );
    expect(jobTraceContext(undefined, fallback)).toBe(fallback);
  });

  it('traceJob runs the processor in a consumer span and rethrows its errors', async () => {
    const job = { id: '7', name: 'send', queueName: 'emails', attemptsMade: 0, opts: {} };
    const ok = traceJob(async (j: typeof job) => `sent ${j.id}`);
    await expect(ok(job)).resolves.toBe('sent 7');
    const error = new Error('smtp down');
    const failing = traceJob(async () => {
      throw error;
    });
    await expect(failing(job)).rejects.toBe(error);
    const spans = tracing.spans('process emails');
    expect(spans).toHaveLength(2);
    expect(spans[0].attributes).toEqual({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'emails',
      'messaging.message.id': '7',
      'bullmq.job.name': 'send',
      'bullmq.job.attempts': 0,
    });
    expect(spans[1].status.message).toBe('smtp down');
  });
});
