import { request } from 'node:http';
import { Registry } from 'prom-client';
import { ClusterMetricsAggregator } from './cluster-metrics.aggregator';
import { exposeToPrimary } from './expose-to-primary';

function get(
  port: number,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// Jest runs in a process that is no cluster worker: the primary side with no workers.
describe('ClusterMetricsAggregator (no workers)', () => {
  let aggregator: ClusterMetricsAggregator | undefined;
  afterEach(async () => {
    await aggregator?.close();
    aggregator = undefined;
  });

  it('serves its own scrape-error counter, every reason at 0', async () => {
    aggregator = new ClusterMetricsAggregator({ prefix: 'app_', defaultLabels: { service: 'p' } });
    const text = await aggregator.metrics();
    expect(text).toContain('# TYPE app_observability_cluster_scrape_errors_total counter');
    for (const reason of ['timeout', 'exit', 'error', 'invalid_response']) {
      expect(text).toContain(
        `app_observability_cluster_scrape_errors_total{reason="${reason}",service="p"} 0`,
      );
    }
  });

  it('serves GET and HEAD on its path, 404 elsewhere, 405 for other methods', async () => {
    aggregator = new ClusterMetricsAggregator();
    await aggregator.start({ port: 0, host: '127.0.0.1', path: '/cluster-metrics' });
    const port = aggregator.port!;
    const ok = await get(port, '/cluster-metrics?x=1');
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(ok.body).toContain('observability_cluster_scrape_errors_total');
    expect((await get(port, '/cluster-metrics', 'HEAD')).body).toBe('');
    const open = await get(port, '/cluster-metrics', 'GET', {
      accept: 'application/openmetrics-text',
    });
    expect(open.type).toContain('application/openmetrics-text');
    expect(open.body.endsWith('# EOF\n')).toBe(true);
    expect((await get(port, '/metrics')).status).toBe(404);
    expect((await get(port, '/cluster-metrics', 'POST')).status).toBe(405);
  });

  it('rejects a taken port with a message naming it', async () => {
    aggregator = new ClusterMetricsAggregator();
    await aggregator.start({ port: 0, host: '127.0.0.1' });
    const other = new ClusterMetricsAggregator();
    try {
      await expect(other.start({ port: aggregator.port, host: '127.0.0.1' })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${aggregator.port} because the port is already in use`,
      );
    } finally {
      await other.close();
    }
  });

  it('closes idempotently and releases its port', async () => {
    aggregator = new ClusterMetricsAggregator();
    await aggregator.start({ port: 0, host: '127.0.0.1' });
    const port = aggregator.port!;
    await aggregator.close();
    await aggregator.close();
    expect(aggregator.port).toBeUndefined();
    await expect(get(port, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('exposeToPrimary outside a cluster worker', () => {
  it('does nothing, so the same bootstrap runs unclustered', () => {
    const registry = new Registry();
    const listeners = process.listenerCount('message');
    const exposure = exposeToPrimary(registry);
    expect(exposure).toMatchObject({ active: false, registry });
    expect(process.listenerCount('message')).toBe(listeners);
    exposure.close();
  });

  it('rejects an activeUsers option that is not a function', () => {
    expect(() => exposeToPrimary(new Registry(), { activeUsers: 42 as never })).toThrow(
      '"activeUsers" must be a function',
    );
  });
});
