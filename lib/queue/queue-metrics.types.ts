/** Options of `@TrackJob()`. */
export interface TrackJobOptions {
  /**
   * Also track a business KPI per job: `'generation'` counts `generation_success_total{type}`
   * or `generation_failure_total{type,error_type}`, with the job type as `type`.
   * @default undefined (no KPI)
   */
  kpi?: 'generation';
  /**
   * Raise a queue-failure alert through the alerting service (when one is registered) for
   * every failed job.
   * @default true
   */
  alert?: boolean;
}

/** A backlog you read from your own queue library (see `QueueMetricsService.setBacklog()`). */
export interface QueueBacklog {
  waiting?: number;
  active?: number;
  delayed?: number;
  failed?: number;
  /** Age of the oldest waiting job in seconds. */
  oldestWaitSeconds?: number;
  /** @deprecated Renamed `oldestWaitSeconds` (the name the health check and its option use). */
  oldestWaitingSeconds?: number;
}

/**
 * The parts of a BullMQ `Queue` that `watchBullQueue()` uses; a `Queue` from `bullmq` fits.
 * Declared here so that the library's types do not require `bullmq`.
 */
export interface WatchableBullQueue {
  readonly name: string;
  readonly opts: { connection?: unknown; prefix?: string };
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
