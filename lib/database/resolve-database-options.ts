import { isPlainObject, OptionReader, optionKeys, POSITIVE, TIMER } from '../config/option-reader';
import type { Problems } from '../config/problems';
import type {
  DatabaseHealthOptions,
  DatabaseMetricsOptions,
  ResolvedDatabaseMetricsOptions,
  ResolvedDependencyHealth,
} from './database-options.interface';

const DATABASE_KEYS = optionKeys({
  slowQueryThresholdMs: true,
  maxTables: true,
  health: true,
} satisfies Record<keyof DatabaseMetricsOptions, true>);

const HEALTH_KEYS = optionKeys({
  client: true,
  name: true,
  critical: true,
  timeoutMs: true,
} satisfies Record<keyof DatabaseHealthOptions, true>);

const NAME_RULE = {
  test: /^[A-Za-z0-9_.:-]{1,64}$/,
  expected: 'a name of 1-64 characters among A-Z a-z 0-9 _ . : -',
};

/** The default `database.slowQueryThresholdMs`. */
export const DEFAULT_SLOW_QUERY_THRESHOLD_MS = 500;
/** The default `database.maxTables`. */
export const DEFAULT_MAX_TABLES = 100;

/**
 * Validates the `health` entry of the database or cache options (`{ client, name?, critical?,
 * timeoutMs? }`), recording every problem; `undefined` when absent or invalid.
 * @internal
 */
export function resolveDependencyHealth(
  parent: OptionReader,
  defaultName: string,
  clientKind: string,
): ResolvedDependencyHealth | undefined {
  if (!parent.has('health') || parent.get('health') === undefined) return undefined;
  const { problems } = parent;
  const before = problems.count;
  const health = parent.object('health', HEALTH_KEYS, '{ client, name?, critical?, timeoutMs? }');
  if (problems.count > before) return undefined;
  const client = health.get('client');
  if (client === null || (typeof client !== 'object' && typeof client !== 'function')) {
    // Described by its type only: a connection string given by mistake carries a password.
    problems.push(
      `${health.at('client')}: expected ${clientKind}, got ${client === null ? 'null' : `a ${typeof client}`}`,
    );
  }
  const name = health.string('name', NAME_RULE) ?? defaultName;
  const critical = health.boolean('critical') ?? true;
  const timeoutMs = health.integer('timeoutMs', TIMER);
  if (problems.count > before) return undefined;
  return { client: client as object, name, critical, timeoutMs };
}

/** Validates the `database` options, recording every problem. */
export function resolveDatabaseOptions(
  raw: unknown,
  problems: Problems,
): ResolvedDatabaseMetricsOptions {
  const database = OptionReader.of(raw, 'database', DATABASE_KEYS, problems);
  const slowQueryThresholdMs = database.integer('slowQueryThresholdMs', TIMER);
  const maxTables = database.integer('maxTables', POSITIVE);
  return {
    slowQueryThresholdMs: slowQueryThresholdMs ?? DEFAULT_SLOW_QUERY_THRESHOLD_MS,
    maxTables: maxTables ?? DEFAULT_MAX_TABLES,
    health: isPlainObject(raw)
      ? resolveDependencyHealth(
          database,
          'database',
          'a pg Pool or Client, a TypeORM DataSource or a Prisma client',
        )
      : undefined,
  };
}
