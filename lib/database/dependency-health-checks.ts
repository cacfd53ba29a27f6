import type { Problems } from '../config/problems';
import type { ResolvedCacheMetricsOptions } from '../cache/cache-options.interface';
import { redisPing } from '../cache/redis.health';
import { BUILT_IN_CHECKS, SHUTDOWN_CHECK } from '../health/health.constants';
import type {
  ResolvedHealthCheck,
  ResolvedHealthOptions,
} from '../health/health-options.interface';
import { databasePing } from './database.health';
import type { ResolvedDatabaseMetricsOptions } from './database-options.interface';

/**
 * The health checks of `database.health` and `cache.health`, as user checks of the health
 * endpoints (on `/health/detailed`, and on `/ready` when critical). Their names must not clash
 * with a built-in or user check. @internal
 */
export function dependencyHealthChecks(
  database: ResolvedDatabaseMetricsOptions,
  cache: ResolvedCacheMetricsOptions,
  health: ResolvedHealthOptions,
  problems: Problems,
): ResolvedHealthCheck[] {
  const taken = new Set<string>([
    ...BUILT_IN_CHECKS,
    SHUTDOWN_CHECK,
    ...health.checks.map((check) => check.name),
  ]);
  const checks: ResolvedHealthCheck[] = [];
  const add = (
    path: string,
    entry: { client: object; name: string; critical: boolean; timeoutMs: number | undefined },
    check: (client: object, name: string) => ResolvedHealthCheck['check'],
  ): void => {
    if (taken.has(entry.name)) {
      problems.add(`${path}.name`, 'a check name not used by another health check', entry.name);
      return;
    }
    taken.add(entry.name);
    checks.push({
      name: entry.name,
      check: check(entry.client, entry.name),
      timeoutMs: entry.timeoutMs ?? health.timeoutMs,
      critical: entry.critical,
    });
  };
  if (database.health) add('database.health', database.health, databasePing);
  if (cache.health) add('cache.health', cache.health, redisPing);
  return checks;
}
