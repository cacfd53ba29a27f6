import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Histogram, Registry } from 'prom-client';
import { SeriesExemplars } from './exemplar-store';
import { renderExposition } from './exposition';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('exemplars', () => {
  function histogram() {
    const registry = new Registry();
    const metric = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration',
      labelNames: ['route', 'status_code'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    return { registry, metric };
  }

  it('appear on the bucket of the observation, in OpenMetrics only', async () => {
    const { registry, metric } = histogram();
    const labels = { route: '/orders/:id', status_code: '200' };
    metric.observe(labels, 0.5);
    new SeriesExemplars(metric, labels).record(0.5, TRACE, SPAN);
    const om = await renderExposition(registry, 'openmetrics');
    const bucketLines = om.split('\n').filter((l) => l.includes('_bucket'));
    expect(bucketLines[0]).toBe(
      'http_request_duration_seconds_bucket{le="0.1",route="/orders/:id",status_code="200"} 0',
    );
    expect(bucketLines[1]).toMatch(
      new RegExp(
        `^http_request_duration_seconds_bucket\\{le="1",route="/orders/:id",status_code="200"\\} 1 # \\{trace_id="${TRACE}",span_id="${SPAN}"\\} 0\\.5 \\d+\\.\\d{3}$`,
      ),
    );
    expect(bucketLines[2]).toBe(
      'http_request_duration_seconds_bucket{le="+Inf",route="/orders/:id",status_code="200"} 1',
    );
    const text = await renderExposition(registry, 'prometheus');
    expect(text).toBe(await registry.metrics());
    expect(text).not.toContain(' # {');
    expect(text).not.toContain(TRACE);
  });

  it('keep the latest per bucket, +Inf included, and vanish with the series', async () => {
    const { registry, metric } = histogram();
    const labels = { route: '/a', status_code: '500' };
    const exemplars = new SeriesExemplars(metric, labels);
    exemplars.record(0.01, 'a'.repeat(32), SPAN); // no series yet: ignored
    metric.observe(labels, 5);
    exemplars.record(5, 'b'.repeat(32), SPAN);
    metric.observe(labels, 7);
    exemplars.record(7, 'c'.repeat(32), SPAN);
    let om = await renderExposition(registry, 'openmetrics');
    expect(om).toContain(
      `le="+Inf",route="/a",status_code="500"} 2 # {trace_id="${'c'.repeat(32)}"`,
    );
    expect(om).not.toContain('a'.repeat(32));
    metric.reset();
    metric.observe(labels, 7);
    om = await renderExposition(registry, 'openmetrics');
    expect(om).not.toContain(' # {');
  });

  it('recordActive() takes the active sampled span, and skips unsampled ones', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const { registry, metric } = histogram();
      const labels = { route: '/b', status_code: '200' };
      metric.observe(labels, 0.05);
      const exemplars = new SeriesExemplars(metric, labels);
      const unsampled = trace.wrapSpanContext({
        traceId: 'd'.repeat(32),
        spanId: SPAN,
        traceFlags: TraceFlags.NONE,
      });
      context.with(trace.setSpan(context.active(), unsampled), () => exemplars.recordActive(0.05));
      expect(await renderExposition(registry, 'openmetrics')).not.toContain(' # {');
      const sampled = trace.wrapSpanContext({
        traceId: TRACE,
        spanId: SPAN,
        traceFlags: TraceFlags.SAMPLED,
      });
      context.with(trace.setSpan(context.active(), sampled), () => exemplars.recordActive(0.05));
      expect(await renderExposition(registry, 'openmetrics')).toContain(`trace_id="${TRACE}"`);
    } finally {
      context.disable();
    }
  });
});
