import type { HealthCheckResult } from '../health/health-options.interface';

interface PingTarget {
  query?: (sql: string) => unknown;
  $queryRawUnsafe?: (sql: string) => Promise<unknown>;
  isInitialized?: boolean;
  driver?: unknown;
}

/**
 * The health check of a database: `SELECT 1` through a `pg` or mysql2 pool or client, a TypeORM
 * `DataSource` (what Terminus's `TypeOrmHealthIndicator.pingCheck` runs) or a Prisma client
 * (what Terminus's `PrismaHealthIndicator.pingCheck` runs). Up when it answers; a failure
 * rejects and the health runner reports the check down with the error's message (a timeout
 * with "timed out").
 * @internal
 */
export function databasePing(client: object, name: string): () => Promise<HealthCheckResult> {
  const target = client as PingTarget;
  return async () => {
    if (typeof target.$queryRawUnsafe === 'function') {
      await target.$queryRawUnsafe('SELECT 1');
    } else if (typeof target.query === 'function') {
      if (target.isInitialized === false && target.driver !== undefined) {
        return {
          [name]: { status: 'down', message: 'The TypeORM DataSource is not initialized.' },
        };
      }
      const reply = target.query('SELECT 1') as unknown;
      if (reply && typeof (reply as { once?: unknown }).once === 'function') {
        // mysql2's callback API returns the query command (whose `then` throws): it reports
        // through events.
        await new Promise<void>((resolve, reject) => {
          const command = reply as {
            once(event: string, listener: (error?: unknown) => void): void;
          };
          command.once('error', reject);
          command.once('end', () => resolve());
        });
      } else {
        await reply;
      }
    } else {
      return { [name]: { status: 'down', message: 'The client has no query() to ping with.' } };
    }
    return { [name]: { status: 'up' } };
  };
}
