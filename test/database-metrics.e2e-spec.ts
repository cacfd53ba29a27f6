import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createMonitoring,
  type Monitoring,
  type MonitoringOptions,
} from 'nestjs-observability/core';
import { Client, Pool } from 'pg';
import 'reflect-metadata';
import { DataSource, EntitySchema } from 'typeorm';
import { type Exposition, findSamples, parseExposition } from './utils/exposition';
import { freePort } from './utils/free-port';
import { LogCapture } from './utils/log-capture';
import { describeWithPostgres, type PostgresHandle, startPostgres } from './utils/postgres-server';

const ROOT = join(__dirname, '..');

function options(capture: LogCapture, extra: Partial<MonitoringOptions> = {}): MonitoringOptions {
  return {
    service: 'db-test',
    environment: 'test',
    metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    logging: { stream: capture },
    ...extra,
  };
}

/** The value of the one sample of `name` whose labels include `labels` (0 when none). */
function value(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const found = findSamples(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value ?? 0;
}

async function exposition(monitoring: Monitoring): Promise<Exposition> {
  return parseExposition(await monitoring.getMetrics());
}

const count = (e: Exposition, operation: string, table: string): number =>
  value(e, 'database_query_duration_seconds_count', { operation, table });

describeWithPostgres('database metrics against a real PostgreSQL', () => {
  let pg: PostgresHandle;
  let admin: Client;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    pg = await startPostgres();
    admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query(`
      CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
      CREATE TABLE sleepy (id int);
      INSERT INTO sleepy VALUES (1);
      CREATE TABLE articles (id serial PRIMARY KEY, title text NOT NULL);
      CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text);
    `);
  }, 60_000);

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await admin.query('TRUNCATE users, articles, customers RESTART IDENTITY');
  });

  afterAll(async () => {
    await admin?.end();
    await pg?.stop();
  });

  function monitor(capture = new LogCapture(), extra: Partial<MonitoringOptions> = {}) {
    const monitoring = createMonitoring(options(capture, extra));
    closers.push(() => monitoring.close());
    return monitoring;
  }

  function pool(max = 5): Pool {
    const created = new Pool({ connectionString: pg.url, max });
    // pg-pool's end() resolves before its sockets close (see afterAll's server stop).
    created.on('error', () => undefined);
    closers.push(() => created.end());
    return created;
  }

  it('pg: counts every query by operation and table, errors by SQLSTATE, and the pool by state', async () => {
    const monitoring = monitor();
    const db = monitoring.database.instrumentPg(pool(5), { name: 'primary' });

    await db.query('INSERT INTO users (email) VALUES ($1)', ['a@example.com']);
    await db.query({ text: 'INSERT INTO users (email) VALUES ($1)', values: ['b@example.com'] });
    for (let i = 0; i < 3; i++) await db.query('SELECT * FROM users WHERE id = $1', [i]);
    await expect(
      db.query('INSERT INTO users (email) VALUES ($1)', ['a@example.com']),
    ).rejects.toMatchObject({ code: '23505' });
    // Callback style on a checked-out client, as TypeORM and Knex call it.
    const client = await db.connect();
    await new Promise<void>((resolve, reject) =>
      client.query('UPDATE users SET email = $1 WHERE id = $2', ['c@example.com', 2], (error) =>
        error ? reject(error) : resolve(),
      ),
    );

    let e = await exposition(monitoring);
    expect(count(e, 'INSERT', 'users')).toBe(3);
    expect(count(e, 'SELECT', 'users')).toBe(3);
    expect(count(e, 'UPDATE', 'users')).toBe(1);
    expect(value(e, 'database_errors_total', { operation: 'INSERT', error_type: '23505' })).toBe(1);
    expect(e.types.database_query_duration_seconds).toBe('histogram');
    // One client checked out, the others idle; nothing waits.
    const total = value(e, 'database_connections', { pool: 'primary', state: 'total' });
    expect(value(e, 'database_connections', { pool: 'primary', state: 'active' })).toBe(1);
    expect(value(e, 'database_connections', { pool: 'primary', state: 'idle' })).toBe(total - 1);
    expect(value(e, 'database_connections', { pool: 'primary', state: 'waiting' })).toBe(0);
    expect(value(e, 'database_connections', { pool: 'primary', state: 'max' })).toBe(5);
    client.release();

    e = await exposition(monitoring);
    expect(value(e, 'database_connections', { pool: 'primary', state: 'active' })).toBe(0);
    expect(value(e, 'database_slow_queries_total', {})).toBe(0);
  });

  it('start(): records the queries of any other driver, sanitised, with their errors', async () => {
    const monitoring = monitor();
    const done = monitoring.database.start({
      system: 'mysql',
      sql: "UPDATE `orders` SET note = 'card 4111 1111 1111 1111' WHERE id = ?",
    });
    done();
    const failed = monitoring.database.start({
      system: 'mongodb',
      operation: 'find',
      table: 'carts',
    });
    failed(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    failed(new Error('counted once'));

    const e = await exposition(monitoring);
    expect(count(e, 'UPDATE', 'orders')).toBe(1);
    expect(count(e, 'find', 'carts')).toBe(1);
    expect(value(e, 'database_errors_total', { operation: 'find', error_type: 'ETIMEDOUT' })).toBe(
      1,
    );
    expect(findSamples(e, 'database_errors_total')).toHaveLength(1);
    expect(await monitoring.getMetrics()).not.toContain('4111');
  });

  it('two instances in one process record only the queries of their own clients', async () => {
    const first = monitor();
    const second = monitor();
    const a = first.database.instrumentPg(pool(), { name: 'a' });
    const b = second.database.instrumentPg(pool(), { name: 'b' });
    // Instrumenting a client twice (here from the other instance) does nothing.
    second.database.instrumentPg(a, { name: 'a-again' });

    await a.query('SELECT * FROM users');
    await a.query('SELECT * FROM users');
    await b.query('DELETE FROM users');

    const [e1, e2] = [await exposition(first), await exposition(second)];
    expect(count(e1, 'SELECT', 'users')).toBe(2);
    expect(count(e1, 'DELETE', 'users')).toBe(0);
    expect(count(e2, 'SELECT', 'users')).toBe(0);
    expect(count(e2, 'DELETE', 'users')).toBe(1);
    expect(
      findSamples(e1, 'database_connections', { state: 'max' }).map((x) => x.labels.pool),
    ).toEqual(['a']);
  });

  it('pg: counts a failed connection as a CONNECT error', async () => {
    const monitoring = monitor();
    const closedPort = await freePort();
    const broken = new Pool({ connectionString: `postgres://postgres@127.0.0.1:${closedPort}/x` });
    closers.push(() => broken.end());
    monitoring.database.instrumentPg(broken, { name: 'broken' });

    await expect(broken.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(broken.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const e = await exposition(monitoring);
    expect(
      value(e, 'database_errors_total', { operation: 'CONNECT', error_type: 'ECONNREFUSED' }),
    ).toBe(2);
  });

  it('counts a query at or over database.slowQueryThresholdMs as slow, and logs it once without values', async () => {
    const capture = new LogCapture();
    const monitoring = monitor(capture, { database: { slowQueryThresholdMs: 1000 } });
    const db = monitoring.database.instrumentPg(pool());

    for (let i = 0; i < 2; i++) {
      await db.query("SELECT pg_sleep(1.05), 'literal-secret' AS s FROM sleepy WHERE id = $1", [1]);
    }

    const e = await exposition(monitoring);
    expect(value(e, 'database_slow_queries_total', { operation: 'SELECT', table: 'sleepy' })).toBe(
      2,
    );
    expect(count(e, 'SELECT', 'sleepy')).toBe(2);
    // Bucket bounds at the alert thresholds: a 1.05 s query is above 1 s and within 2.5 s.
    expect(value(e, 'database_query_duration_seconds_bucket', { table: 'sleepy', le: '1' })).toBe(
      0,
    );
    expect(value(e, 'database_query_duration_seconds_bucket', { table: 'sleepy', le: '2.5' })).toBe(
      2,
    );
    const slow = capture.lines.filter((line) => String(line.msg).startsWith('Slow query'));
    expect(slow).toHaveLength(1);
    expect(slow[0].msg).toMatch(
      /^Slow query \(\d+ ms, over "database.slowQueryThresholdMs" 1000 ms\): SELECT pg_sleep\(\?\), \? AS s FROM sleepy WHERE id = \$1$/,
    );
    expect(capture.text).not.toContain('literal-secret');
  });

  it('never puts a literal or a parameter value in a label, a log line or a span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    closers.push(async () => {
      trace.disable();
      await provider.shutdown();
    });
    const capture = new LogCapture();
    const monitoring = monitor(capture, { database: { slowQueryThresholdMs: 1 } });
    const db = monitoring.database.instrumentPg(pool());

    const secretLiteral = 'hunter2-literal';
    const secretParam = 'param-secret-42';
    await db.query(
      `SELECT * FROM users WHERE email = '${secretLiteral}' OR email = $1 /* token=${secretLiteral} */`,
      [secretParam],
    );
    await expect(
      db.query(`SELECT * FROM users WHERE email = '${secretLiteral}' AND nonexistent = $1`, [
        secretParam,
      ]),
    ).rejects.toMatchObject({ code: '42703' });

    const text = await monitoring.getMetrics();
    for (const secret of [secretLiteral, secretParam]) {
      expect(text).not.toContain(secret);
      expect(capture.text).not.toContain(secret);
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['SELECT users', 'SELECT users']);
    expect(spans[0].attributes).toEqual({
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.operation.name': 'SELECT',
      'db.collection.name': 'users',
      'db.query.text': 'SELECT * FROM users WHERE email = ? OR email = $1',
      'db.statement': 'SELECT * FROM users WHERE email = ? OR email = $1',
    });
    expect(spans[1].attributes['error.type']).toBe('42703');
    expect(spans[1].status.code).toBe(2);
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events]))).not.toMatch(
      /hunter2|param-secret/,
    );
    // The slow-query log line carries the shape only.
    expect(capture.text).toContain('SELECT * FROM users WHERE email = ? OR email = $1');
  });

  it('keeps at most database.maxTables table values: 1000 distinct tables fold into __overflow__, counted', async () => {
    const monitoring = monitor();
    const db = monitoring.database.instrumentPg(pool());

    for (let i = 0; i < 1000; i++) {
      await db.query(`SELECT * FROM missing_${i}`).catch(() => undefined);
    }

    const e = await exposition(monitoring);
    const tables = new Set(
      findSamples(e, 'database_query_duration_seconds_count').map((s) => s.labels.table),
    );
    expect(tables.size).toBe(101);
    expect(tables.has('missing_0')).toBe(true);
    expect(tables.has('missing_99')).toBe(true);
    expect(tables.has('missing_100')).toBe(false);
    expect(count(e, 'SELECT', '__overflow__')).toBe(900);
    expect(
      value(e, 'observability_label_overflow_total', {
        metric: 'database_query_duration_seconds',
      }),
    ).toBe(900);
    expect(value(e, 'database_errors_total', { operation: 'SELECT', error_type: '42P01' })).toBe(
      1000,
    );
  });

  it('TypeORM on PostgreSQL: counts the queries of repositories through its pg pool', async () => {
    const monitoring = monitor();
    const Article = new EntitySchema<{ id: number; title: string }>({
      name: 'Article',
      tableName: 'articles',
      columns: {
        id: { type: Number, primary: true, generated: true },
        title: { type: String },
      },
    });
    const dataSource = new DataSource({ type: 'postgres', url: pg.url, entities: [Article] });
    // Instrumented before initialize(): the pools are instrumented once it resolves.
    monitoring.database.instrumentTypeOrm(dataSource, { name: 'typeorm' });
    await dataSource.initialize();
    closers.push(() => dataSource.destroy());
    const articles = dataSource.getRepository(Article);

    await articles.insert({ title: 'one' });
    await articles.insert({ title: 'two' });
    await articles.find();
    await articles.findOneBy({ id: 1 });
    await articles.update({ id: 2 }, { title: 'zwei' });
    await articles.delete({ id: 1 });

    const e = await exposition(monitoring);
    expect(count(e, 'INSERT', 'articles')).toBe(2);
    expect(count(e, 'SELECT', 'articles')).toBe(2);
    expect(count(e, 'UPDATE', 'articles')).toBe(1);
    expect(count(e, 'DELETE', 'articles')).toBe(1);
    expect(value(e, 'database_connections', { pool: 'typeorm', state: 'max' })).toBe(10);
  });

  describe('Prisma 7 (client engine on the pg driver adapter)', () => {
    let PrismaClient: new (options: object) => any;
    let PrismaPg: new (options: object) => object;

    beforeAll(() => {
      // `prisma generate` needs no engine; pointing the schema engine at a no-op binary keeps
      // the CLI from downloading one it does not use.
      execFileSync(
        join(ROOT, 'node_modules/.bin/prisma'),
        ['generate', '--schema', join(ROOT, 'test/fixtures/prisma/schema.prisma')],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
            PRISMA_HIDE_UPDATE_MESSAGE: '1',
          },
          stdio: 'pipe',
        },
      );
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      PrismaClient = require(
        join(ROOT, 'node_modules/.prisma-observability-test/client'),
      ).PrismaClient;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      PrismaPg = require('@prisma/adapter-pg').PrismaPg;
    }, 120_000);

    it('counts model operations by operation and model, errors by Prisma code, raw queries by SQL', async () => {
      const monitoring = monitor();
      const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: pg.url }) });
      closers.push(() => base.$disconnect());
      const prisma = base.$extends(monitoring.database.prismaExtension());

      await prisma.customer.create({ data: { email: 'a@example.com' } });
      await prisma.customer.create({ data: { email: 'b@example.com' } });
      await prisma.customer.findMany();
      expect(await prisma.customer.findUnique({ where: { email: 'nobody@example.com' } })).toBe(
        null,
      );
      await expect(
        prisma.customer.create({ data: { email: 'a@example.com' } }),
      ).rejects.toMatchObject({ code: 'P2002' });
      await prisma.$queryRawUnsafe(
        "SELECT count(*) FROM customers WHERE email <> 'raw-secret' AND id > $1",
        0,
      );

      const e = await exposition(monitoring);
      expect(count(e, 'create', 'Customer')).toBe(3);
      expect(count(e, 'findMany', 'Customer')).toBe(1);
      expect(count(e, 'findUnique', 'Customer')).toBe(1);
      expect(value(e, 'database_errors_total', { operation: 'create', error_type: 'P2002' })).toBe(
        1,
      );
      expect(count(e, 'SELECT', 'customers')).toBe(1);
      expect(await monitoring.getMetrics()).not.toContain('raw-secret');
    });
  });
});
