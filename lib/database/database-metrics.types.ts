/** What one query is, for `DatabaseMetricsService.start()`. */
export interface QueryDescription {
  /** `postgresql`, `mysql`, `prisma`, ... (the span's `db.system`). */
  system: string;
  /** The SQL text, when known: the operation and table are read from it, and it is sanitised. */
  sql?: string;
  /** The operation, when there is no SQL text (`findMany`). */
  operation?: string;
  /** The table or model, when there is no SQL text (`User`). */
  table?: string;
}

/** Ends the measurement of one query; pass the error when it failed. Never throws. */
export type QueryDone = (error?: unknown) => void;

/** What an instrumentation reports to (`DatabaseMetricsService`). */
export interface QueryRecorder {
  start(query: QueryDescription): QueryDone;
  connectionFailed(error: unknown): void;
}
