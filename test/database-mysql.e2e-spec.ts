import { createMonitoring, type Monitoring } from 'nestjs-observability/core';
import * as mysql from 'mysql2';
import * as mysqlPromise from 'mysql2/promise';
import 'reflect-metadata';
import { DataSource, EntitySchema } from 'typeorm';
import { resolveOptions } from '../lib/config/resolve-options';
import { type Exposition, findSamples, parseExposition } from './utils/exposition';
import { LogCapture } from './utils/log-capture';
import { describeWithMariaDb, type MariaDbHandle, startMariaDb } from './utils/mariadb-server';

function value(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const found = findSamples(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value ?? 0;
}

const count = (e: Exposition, operation: string, table: string): number =>
  value(e, 'database_query_duration_seconds_count', { operation, table });

describeWithMariaDb('database metrics against a real MariaDB (mysql2)', () => {
  let server: MariaDbHandle;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    server = await startMariaDb();
    const admin = await mysqlPromise.createConnection({
      host: '127.0.0.1',
      port: server.port,
      user: 'root',
    });
    await admin.query('CREATE DATABASE app');
    await admin.query(
      'CREATE TABLE app.users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) UNIQUE)',
    );
    await admin.end();
  }, 120_000);

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  function monitor(): Monitoring {
    const monitoring = createMonitoring({
      service: 'mysql-test',
      metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
      logging: { stream: new LogCapture() },
    });
    closers.push(() => monitoring.close());
    return monitoring;
  }

  const config = () => ({
    host: '127.0.0.1',
    port: server.port,
    user: 'root',
    database: 'app',
    connectionLimit: 3,
  });

  it('mysql2/promise pool: query and execute by operation and table, errors by code, values never exposed', async () => {
    const monitoring = monitor();
    const pool = monitoring.database.instrumentMySql(mysqlPromise.createPool(config()), {
      name: 'main',
    });
    closers.push(() => pool.end());

    await pool.query('INSERT INTO users (email) VALUES (?)', ['secret-a@example.com']);
    await pool.execute('INSERT INTO users (email) VALUES (?)', ['secret-b@example.com']);
    for (let i = 0; i < 3; i++) await pool.execute('SELECT * FROM users WHERE id = ?', [i]);
    await expect(
      pool.query('INSERT INTO users (email) VALUES (?)', ['secret-a@example.com']),
    ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await expect(pool.execute('SELECT * FROM missing WHERE id = ?', [1])).rejects.toMatchObject({
      code: 'ER_NO_SUCH_TABLE',
    });
    const connection = await pool.getConnection();
    await connection.query("UPDATE users SET email = 'literal-secret' WHERE id = 2");

    const text = await monitoring.getMetrics();
    const e = parseExposition(text);
    expect(count(e, 'INSERT', 'users')).toBe(3);
    expect(count(e, 'SELECT', 'users')).toBe(3);
    expect(count(e, 'SELECT', 'missing')).toBe(1);
    expect(count(e, 'UPDATE', 'users')).toBe(1);
    expect(
      value(e, 'database_errors_total', { operation: 'INSERT', error_type: 'ER_DUP_ENTRY' }),
    ).toBe(1);
    expect(
      value(e, 'database_errors_total', { operation: 'SELECT', error_type: 'ER_NO_SUCH_TABLE' }),
    ).toBe(1);
    expect(text).not.toMatch(/secret/);
    // One connection checked out.
    expect(value(e, 'database_connections', { pool: 'main', state: 'active' })).toBe(1);
    expect(value(e, 'database_connections', { pool: 'main', state: 'waiting' })).toBe(0);
    expect(value(e, 'database_connections', { pool: 'main', state: 'max' })).toBe(3);
    connection.release();
  });

  it('mysql2 callback pool: counts queries, and a refused connection as a CONNECT error', async () => {
    const monitoring = monitor();
    const pool = monitoring.database.instrumentMySql(mysql.createPool(config()));
    closers.push(() => new Promise((resolve) => pool.end(resolve)));
    await new Promise<void>((resolve, reject) =>
      pool.query('SELECT COUNT(*) AS n FROM users', (error) => (error ? reject(error) : resolve())),
    );

    const broken = monitoring.database.instrumentMySql(
      mysql.createPool({ ...config(), port: 1, connectTimeout: 1000 }),
      { name: 'broken' },
    );
    closers.push(() => new Promise((resolve) => broken.end(resolve)));
    await expect(
      new Promise<void>((resolve, reject) =>
        broken.query('SELECT 1', (error) => (error ? reject(error) : resolve())),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // The health check of `database.health`, on the callback API (a query command, not a promise).
    const { health } = resolveOptions(
      { database: { health: { client: pool } }, cache: { health: undefined } },
      { SERVICE_NAME: 'x', APP_VERSION: '1' },
    );
    expect(await health.checks[0].check()).toEqual({ database: { status: 'up' } });
    const { health: down } = resolveOptions(
      { database: { health: { client: broken } } },
      { SERVICE_NAME: 'x', APP_VERSION: '1' },
    );
    await expect(down.checks[0].check()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const e = parseExposition(await monitoring.getMetrics());
    expect(count(e, 'SELECT', 'users')).toBe(1);
    expect(
      value(e, 'database_errors_total', { operation: 'CONNECT', error_type: 'ECONNREFUSED' }),
    ).toBe(2);
  });

  it('TypeORM on MySQL (mysql2): counts repository queries through its pool', async () => {
    const monitoring = monitor();
    const User = new EntitySchema<{ id: number; email: string }>({
      name: 'User',
      tableName: 'users',
      columns: { id: { type: Number, primary: true, generated: true }, email: { type: String } },
    });
    const dataSource = new DataSource({
      type: 'mysql',
      host: '127.0.0.1',
      port: server.port,
      username: 'root',
      database: 'app',
      entities: [User],
    });
    monitoring.database.instrumentTypeOrm(dataSource, { name: 'typeorm' });
    await dataSource.initialize();
    closers.push(() => dataSource.destroy());
    const users = dataSource.getRepository(User);

    await users.insert({ email: 'typeorm@example.com' });
    await users.findOneBy({ email: 'typeorm@example.com' });
    await users.delete({ email: 'typeorm@example.com' });

    const e = parseExposition(await monitoring.getMetrics());
    expect(count(e, 'INSERT', 'users')).toBe(1);
    expect(count(e, 'SELECT', 'users')).toBe(1);
    expect(count(e, 'DELETE', 'users')).toBe(1);
    expect(value(e, 'database_connections', { pool: 'typeorm', state: 'max' })).toBe(10);
  });
});
