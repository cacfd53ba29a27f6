import { Counter, Histogram, Registry } from 'prom-client';
import { bucketQuantile, ReportService } from './report.service';
import { counterGrowth } from './report-source';

const buckets = (counts: Record<string, number>) =>
  Object.entries(counts).map(([le, value]) => ({ labels: { le }, value }));

describe('bucketQuantile', () => {
  it('interpolates inside the bucket as histogram_quantile() does', () => {
    // 10 observations: 4 up to 0.1, 6 more up to 0.5.
    const b = buckets({ '0.1': 4, '0.5': 10, '+Inf': 10 });
    expect(bucketQuantile(0.2, b)).toBeCloseTo(0.05, 12);
    expect(bucketQuantile(0.5, b)).toBeCloseTo(0.1 + 0.4 * (1 / 6), 12);
    expect(bucketQuantile(0.95, b)).toBeCloseTo(0.1 + 0.4 * (5.5 / 6), 12);
    // In the +Inf bucket: the highest finite bound.
    expect(bucketQuantile(0.99, buckets({ '0.1': 1, '+Inf': 2 }))).toBe(0.1);
    expect(bucketQuantile(0.5, buckets({ '0.1': 0, '+Inf': 0 }))).toBeNull();
    expect(bucketQuantile(0.5, [])).toBeNull();
  });
});

describe('counterGrowth', () => {
  it('adds the steps of a counter, counting from 0 after a restart', () => {
    expect(counterGrowth(0, [3, 3, 5])).toBe(5);
    expect(counterGrowth(2, [3, 3, 5])).toBe(3);
    // Restarted between 5 and 1: 3 before, then 1 and 1 more.
    expect(counterGrowth(2, [5, 1, 2])).toBe(5);
  });
});

describe('ReportService without Prometheus', () => {
  it('answers from the registry since the process started and says what needs Prometheus', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'api' });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'h',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'h',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    requests.inc({ method: 'GET', route: '/a', status_code: '200' }, 3);
    requests.inc({ method: 'GET', route: '/a', status_code: '503' });
    duration.observe({ method: 'GET', route: '/a', status_code: '200' }, 0.05);
    duration.observe({ method: 'GET', route: '/a', status_code: '503' }, 0.5);
    const service = new ReportService({
      prefix: '',
      service: 'api',
      registry,
      startedAt: 1_800_000_000,
      now: () => 1_800_000_100_000,
    });
    const report = await service.report('performance', { since: '1h' });
    expect(report).toMatchObject({
      report: 'performance',
      source: 'process',
      period: {
        start: '2027-01-15T08:00:00.000Z',
        end: '2027-01-15T08:01:40.000Z',
        seconds: 100,
      },
      summary: {
        requests: 4,
        errors: 1,
        error_rate: 25,
        throughput: 0.04,
        avg_response_time: 0.275,
        uptime: null,
      },
      routes: [{ method: 'GET', route: '/a', requests: 4, errors: 1, error_rate: 25 }],
    });
    expect(report.notes).toHaveLength(2);
    expect((await service.report('business-intelligence')).revenue).toBe('no data');
  });
});
