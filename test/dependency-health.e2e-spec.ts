import {
  Inject,
  type INestApplication,
  Injectable,
  Module,
  type OnModuleInit,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import {
  CacheMetricsService,
  DatabaseMetricsService,
  ObservabilityModule,
} from 'nestjs-observability';
import { Pool } from 'pg';
import { findSamples } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { describeWithPostgres, type PostgresHandle, startPostgres } from './utils/postgres-server';
import { type RedisHandle, startRedis } from './utils/redis-server';

const adapters = [
  ['Express', () => new ExpressAdapter()],
  ['Fastify', () => new FastifyAdapter()],
] as const;

const POOL = 'PG_POOL';
const REDIS = 'REDIS';

/** A user provider that instruments its clients through the module's services. */
@Injectable()
class Clients implements OnModuleInit {
  constructor(
    @Inject(POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly database: DatabaseMetricsService,
    private readonly cache: CacheMetricsService,
  ) {}
  onModuleInit(): void {
    this.database.instrumentPg(this.pool);
    this.cache.instrumentRedis(this.redis);
  }
}

describeWithPostgres('database and Redis health checks, by option', () => {
  describe.each(adapters)('on %s', (_name, createAdapter) => {
    let pg: PostgresHandle;
    let redis: RedisHandle;
    let pool: Pool;
    let client: Redis;
    let app: INestApplication;

    beforeEach(async () => {
      [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
      pool = new Pool({ connectionString: pg.url, connectionTimeoutMillis: 500 });
      // An idle client whose server goes away is reported on the pool (as in any application).
      pool.on('error', () => undefined);
      client = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      @Module({
        providers: [
          { provide: POOL, useValue: pool },
          { provide: REDIS, useValue: client },
        ],
        exports: [POOL, REDIS],
      })
      class ClientsModule {}
      @Module({
        imports: [
          ClientsModule,
          ObservabilityModule.forRootAsync({
            imports: [ClientsModule],
            inject: [POOL, REDIS],
            useFactory: (db: Pool, cache: Redis) => ({
              service: 'api',
              metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
              // Generous timeouts: the machine running the suites may be busy.
              database: { health: { client: db, timeoutMs: 5000 } },
              cache: {
                health: { client: cache, name: 'sessions', critical: false, timeoutMs: 5000 },
              },
            }),
          }),
        ],
        providers: [Clients],
      })
      class AppModule {}
      app = await NestFactory.create(AppModule, createAdapter(), { logger: false });
      await app.listen(0, '127.0.0.1');
    }, 60_000);

    afterEach(async () => {
      await app?.close();
      client?.disconnect();
      await pool?.end();
      await Promise.all([pg?.stop(), redis?.stop()]);
    });

    async function get(path: string): Promise<{ status: number; body: any }> {
      const { port } = app.getHttpServer().address();
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.json() };
    }

    it('reports both up, then the database down on /ready and Redis down on /health/detailed only', async () => {
      await pool.query('SELECT 1');
      let ready = await get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.details.database).toEqual({ status: 'up' });
      // Not critical: Redis is on /health/detailed only.
      expect(ready.body.details.sessions).toBeUndefined();
      let detailed = await get('/health/detailed');
      expect(detailed.body.details.database).toEqual({ status: 'up' });
      expect(detailed.body.details.sessions).toEqual({ status: 'up' });

      const closed = new Promise((resolve) => client.once('close', resolve));
      await Promise.all([pg.stop(), redis.stop()]);
      await closed;

      ready = await get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.error.database).toEqual({
        status: 'down',
        message: expect.stringMatching(/ECONNREFUSED|terminat|connect/i),
      });
      detailed = await get('/health/detailed');
      expect(detailed.status).toBe(503);
      expect(detailed.body.error.sessions).toEqual({
        status: 'down',
        message: expect.stringMatching(
          /^Redis is not connected \(status "(connecting|reconnecting|close|end)"\)\.$/,
        ),
      });

      const metrics = (await scrape(app)).exposition;
      expect(
        findSamples(metrics, 'health_check_status', { check: 'database' }).map((s) => s.value),
      ).toEqual([0]);
      expect(
        findSamples(metrics, 'health_check_status', { check: 'sessions' }).map((s) => s.value),
      ).toEqual([0]);
      // The pings went through the instrumented clients: the database's SELECT 1 was recorded.
      expect(
        findSamples(metrics, 'database_query_duration_seconds_count', {
          operation: 'SELECT',
          table: '',
        })[0]?.value,
      ).toBeGreaterThanOrEqual(3);
    });
  });
});
