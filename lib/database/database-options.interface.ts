/**
 * A database checked by the health endpoints: `SELECT 1` on a `pg` or mysql2 pool or client, a TypeORM
 * `DataSource` (`dataSource.query('SELECT 1')`, as Terminus's `TypeOrmHealthIndicator` does) or a
 * Prisma client (`$queryRawUnsafe('SELECT 1')`, as Terminus's `PrismaHealthIndicator` does).
 */
export interface DatabaseHealthOptions {
  /** The `pg` or mysql2 pool or client, TypeORM `DataSource` or Prisma client to ping. */
  client: object;
  /**
   * Name of the check on `/health/detailed` and `/ready`, and its `check` label.
   * @default 'database'
   */
  name?: string;
  /**
   * Gate `/ready` on the check (it is always on `/health/detailed`).
   * @default true
   */
  critical?: boolean;
  /**
   * Milliseconds after which the check counts as down.
   * @default health.timeoutMs (1000)
   */
  timeoutMs?: number;
}

/**
 * Database metrics: `database_query_duration_seconds`, `database_errors_total`,
 * `database_slow_queries_total` and `database_connections`, recorded from the clients given to
 * `DatabaseMetricsService` (`instrumentPg`, `instrumentMySql`, `instrumentTypeOrm`,
 * `prismaExtension`).
 *
 * @example
 * ```ts
 * ObservabilityModule.forRootAsync({
 *   inject: [DataSource],
 *   useFactory: (dataSource: DataSource) => ({
 *     database: { slowQueryThresholdMs: 200, health: { client: dataSource } },
 *   }),
 * });
 * ```
 */
export interface DatabaseMetricsOptions {
  /**
   * A query that takes at least this many milliseconds counts in `database_slow_queries_total`,
   * and the first slow query of each statement shape is logged (its text without values).
   * @default 500
   */
  slowQueryThresholdMs?: number;
  /**
   * Distinct `table` label values kept; queries on further tables are recorded under
   * `table="__overflow__"` and counted in `observability_label_overflow_total`.
   * @default 100
   */
  maxTables?: number;
  /** A database ping on `/health/detailed` (and `/ready`). @default undefined (none) */
  health?: DatabaseHealthOptions;
}

/** A database or Redis health check after validation. @internal */
export interface ResolvedDependencyHealth {
  client: object;
  name: string;
  critical: boolean;
  timeoutMs: number | undefined;
}

/** Database options after validation. @internal */
export interface ResolvedDatabaseMetricsOptions {
  slowQueryThresholdMs: number;
  maxTables: number;
  health: ResolvedDependencyHealth | undefined;
}
