import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { generateMonitoringArtifacts } from 'nestjs-observability';
import { createMonitoring, type Monitoring } from 'nestjs-observability/core';
import { Pool, type PoolClient } from 'pg';
import { LogCapture } from './utils/log-capture';
import { describeWithPostgres, type PostgresHandle, startPostgres } from './utils/postgres-server';
import { describeWithBinaries, PrometheusServer } from './utils/prometheus';
import { type RedisHandle, startRedis } from './utils/redis-server';
import { ScrapeGate } from './utils/scrape-gate';

interface Panel {
  title: string;
  type: string;
  targets: { expr: string; legendFormat: string }[];
}

/**
 * The database and cache panels and rules on the real engine: a process with an instrumented
 * pg pool and ioredis client, against a real PostgreSQL and Redis, scraped by a real Prometheus
 * loaded with the generated configuration and rules.
 */
describeWithPostgres('database and cache panels and rules in a real Prometheus', () => {
  describeWithBinaries(['prometheus'], 'scraping an instrumented process', () => {
    const service = 'db-api';
    const prefix = 'luneo_';
    let pg: PostgresHandle;
    let redisServer: RedisHandle;
    let monitoring: Monitoring;
    let pool: Pool;
    let redis: Redis;
    let held: PoolClient | undefined;
    let gate: ScrapeGate;
    let prometheus: PrometheusServer;
    let dir: string;
    let panels: Panel[];

    beforeAll(async () => {
      [pg, redisServer] = await Promise.all([startPostgres(), startRedis()]);
      monitoring = createMonitoring({
        service,
        metrics: { port: 0, host: '127.0.0.1', prefix, defaultMetrics: false },
        logging: { stream: new LogCapture() },
      });
      await monitoring.startMetricsServer();
      pool = monitoring.database.instrumentPg(new Pool({ connectionString: pg.url, max: 4 }), {
        name: 'primary',
      });
      // pg-pool's end() resolves before its sockets close: a server stopped right after may still
      // report to an idle client, which the pool re-emits (as in any application).
      pool.on('error', () => undefined);
      redis = monitoring.cache.instrumentRedis(new Redis(redisServer.port), { name: 'sessions' });
      const setup = new Pool({ connectionString: pg.url });
      await setup.query('CREATE TABLE users (id serial PRIMARY KEY, email text)');
      await setup.end();
      gate = await ScrapeGate.start(`http://127.0.0.1:${monitoring.metricsPort}`);
      dir = mkdtempSync(join(tmpdir(), 'database-cache-prometheus-'));
      await generateMonitoringArtifacts({
        out: dir,
        prefix,
        scrapeTargets: [{ service, targets: [gate.target] }],
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        alertmanagers: [],
      });
      const overview = JSON.parse(
        readFileSync(join(dir, 'grafana', 'service-overview.json'), 'utf8'),
      );
      panels = overview.panels;
      prometheus = await PrometheusServer.start(join(dir, 'prometheus.yml'));
    }, 90_000);

    afterAll(async () => {
      held?.release();
      await prometheus?.stop();
      await gate?.stop();
      redis?.disconnect();
      await pool?.end();
      await monitoring?.close();
      await Promise.all([pg?.stop(), redisServer?.stop()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const withService = (expr: string): string => expr.replaceAll('$service', service);
    const panel = (title: string): Panel => {
      const found = panels.find((p) => p.title === title);
      if (!found) throw new Error(`No panel "${title}"`);
      return found;
    };

    it('answers the Database and Cache rows and the hit-ratio rule with the values the traffic implies', async () => {
      // Warm-up, in one scrape: creates every series (rates need a first sample).
      await gate.batch(async () => {
        await redis.set('session:1', 'alice');
        await redis.get('session:1');
        await redis.get('session:404');
        await pool.query('SELECT * FROM users WHERE id = $1', [1]);
        await pool.query('SELECT * FROM missing_table').catch(() => undefined);
      });
      await prometheus.waitFor(
        `${prefix}cache_operations_total{service="${service}",result="miss"}`,
        (s) => s.length === 1 && s[0].value === 1,
      );

      // The traffic, in one scrape: 6 hits and 2 misses (75 %), 6 queries, 1 more error, and
      // one client checked out of the pool.
      await gate.batch(async () => {
        for (let i = 0; i < 6; i++) await redis.get('session:1');
        for (let i = 0; i < 2; i++) await redis.get(`session:miss-${i}`);
        for (let i = 0; i < 6; i++) await pool.query('SELECT * FROM users WHERE id = $1', [i]);
        await pool.query('SELECT * FROM missing_table').catch(() => undefined);
        held = await pool.connect();
      });
      await prometheus.waitFor(
        `${prefix}cache_operations_total{service="${service}",result="hit"}`,
        (s) => s.length === 1 && s[0].value === 7,
      );
      await prometheus.waitFor(
        `min(count_over_time(${prefix}cache_operations_total{service="${service}",operation="get"}[5m]))`,
        (s) => s.length === 1 && s[0].value >= 8,
        30_000,
      );

      // Cache row.
      const hitRate = await prometheus.value(withService(panel('Cache Hit Rate').targets[0].expr));
      expect(hitRate).toBeCloseTo(75, 9);
      // The recording rule holds the same ratio once evaluated on these samples.
      const recorded = await prometheus.waitFor(
        `service_cache:${prefix}cache_hit:ratio_rate5m{service="${service}",cache="sessions"}`,
        (s) => s.length === 1 && Math.abs(s[0].value - 0.75) < 1e-9,
      );
      expect(recorded[0].value).toBeCloseTo(0.75, 9);
      expect(await prometheus.value(withService(panel('Cache Items').targets[0].expr))).toBe(1);
      expect(
        await prometheus.value(withService(panel('Cache Memory').targets[0].expr)),
      ).toBeGreaterThan(100_000);

      // Database row.
      const connections = await prometheus.query(
        withService(panel('Database Connections').targets[0].expr),
      );
      expect(connections.status).toBe('success');
      if (connections.status === 'success') {
        const byState = Object.fromEntries(
          connections.samples.map((s) => [`${s.metric.pool} ${s.metric.state}`, s.value]),
        );
        expect(byState['primary active']).toBe(1);
        expect(byState['primary waiting']).toBe(0);
        expect(Object.keys(byState).sort()).toEqual([
          'primary active',
          'primary idle',
          'primary waiting',
        ]);
      }
      const errors = await prometheus.query(withService(panel('Database Errors').targets[0].expr));
      expect(errors.status === 'success' && errors.samples.map((s) => s.metric)).toEqual([
        { operation: 'SELECT', error_type: '42P01' },
      ]);
      const latency = await prometheus.query(
        withService(panel('Database Query Performance').targets[0].expr),
      );
      expect(
        latency.status === 'success' &&
          latency.samples.map((s) => `${s.metric.operation} ${s.metric.table}`).sort(),
      ).toEqual(['SELECT missing_table', 'SELECT users']);

      // Every panel of both rows evaluates; only "Slow Queries" is empty (no query was slow).
      const empty: string[] = [];
      const start = panels.findIndex((p) => p.title === 'Database');
      for (const p of panels.slice(start)) {
        for (const target of p.targets) {
          const answer = await prometheus.query(withService(target.expr));
          if (answer.status !== 'success') throw new Error(`${p.title}: ${answer.error}`);
          if (answer.samples.length === 0) empty.push(p.title);
        }
      }
      expect(empty).toEqual(['Slow Queries']);

      // 2 errors in 9 queries is above 5 %: DatabaseConnectionFailures is pending (for: 5m).
      const alerts = await prometheus.api('/api/v1/alerts');
      expect(
        alerts.data.alerts.map((a: any) => [a.labels.alertname, a.labels.service, a.state]),
      ).toEqual([['DatabaseConnectionFailures', service, 'pending']]);
    }, 120_000);
  });
});
