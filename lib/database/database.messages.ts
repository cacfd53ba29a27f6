/** User-facing messages of the database metrics. */
export const DatabaseMessages = {
  instrumentFailed: (what: string, error: unknown): string =>
    `Could not instrument the ${what} client for database metrics: ${
      (error as Error)?.message ?? String(error)
    }. Its queries are not recorded; pass a pg or mysql2 pool or client, or a TypeORM DataSource.`,
  typeOrmUnsupported: (type: string): string =>
    `"instrumentTypeOrm()" records TypeORM on PostgreSQL and MySQL (types "postgres", "cockroachdb", "mysql", "mariadb"), not type "${type}"; its queries are not recorded. Use "start()" of DatabaseMetricsService around the queries of other drivers.`,
  slowQuery: (statement: string, seconds: number, thresholdMs: number): string =>
    `Slow query (${Math.round(seconds * 1000)} ms, over "database.slowQueryThresholdMs" ${thresholdMs} ms): ${statement}`,
} as const;
