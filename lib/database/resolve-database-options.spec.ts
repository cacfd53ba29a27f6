import { resolveOptions } from '../config/resolve-options';

const noEnv = { SERVICE_NAME: 'svc', APP_VERSION: '1' };

describe('database and cache options', () => {
  it('applies the defaults and adds the health checks as critical user checks', async () => {
    const pool = { query: async () => ({ rows: [{ '?column?': 1 }] }) };
    const redis = { status: 'ready', ping: async () => 'PONG' };
    const options = resolveOptions(
      {
        database: { health: { client: pool } },
        cache: { health: { client: redis, name: 'sessions', critical: false, timeoutMs: 250 } },
      },
      noEnv,
    );
    expect(options.database).toEqual({
      slowQueryThresholdMs: 500,
      maxTables: 100,
      health: { client: pool, name: 'database', critical: true, timeoutMs: undefined },
    });
    expect(options.cache.scrapeTimeoutMs).toBe(500);
    expect(
      options.health.checks.map(({ name, critical, timeoutMs }) => [name, critical, timeoutMs]),
    ).toEqual([
      ['database', true, 1000],
      ['sessions', false, 250],
    ]);
    expect(await options.health.checks[0].check()).toEqual({ database: { status: 'up' } });
    expect(await options.health.checks[1].check()).toEqual({ sessions: { status: 'up' } });
  });

  it('reports a Redis that is not connected as down at once, with its status', async () => {
    const redis = { status: 'reconnecting', ping: () => new Promise(() => undefined) };
    const options = resolveOptions({ cache: { health: { client: redis } } }, noEnv);
    expect(await options.health.checks[0].check()).toEqual({
      redis: { status: 'down', message: 'Redis is not connected (status "reconnecting").' },
    });
  });

  it('names every bad field in one error', () => {
    expect(() =>
      resolveOptions(
        {
          database: {
            slowQueryThresholdMs: -1,
            maxTables: 0,
            health: { client: 'postgres://user:hunter2@db/app', name: 'bad name' },
          },
          cache: { scrapeTimeoutMs: 'soon', health: { client: {}, name: 'memory_heap' } },
        } as never,
        noEnv,
      ),
    ).toThrow(
      [
        '  - database.slowQueryThresholdMs: expected a positive integer <= 2147483647, got -1',
        '  - database.maxTables: expected a positive integer, got 0',
        '  - database.health.client: expected a pg Pool or Client, a TypeORM DataSource or a Prisma client, got a string',
        '  - database.health.name: expected a name of 1-64 characters among A-Z a-z 0-9 _ . : -, got "bad name"',
        '  - cache.scrapeTimeoutMs: expected a positive integer <= 2147483647, got "soon"',
      ].join('\n'),
    );
    let message = '';
    try {
      resolveOptions(
        {
          database: { health: { client: 'postgres://user:hunter2@db/app' } },
          cache: { health: { client: {}, name: 'memory_heap' } },
        } as never,
        noEnv,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      '  - database.health.client: expected a pg Pool or Client, a TypeORM DataSource or a Prisma client, got a string',
    );
    expect(message).toContain(
      '  - cache.health.name: expected a check name not used by another health check, got "memory_heap"',
    );
    expect(message).not.toContain('hunter2');
  });
});
