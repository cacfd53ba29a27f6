/**
 * Queues to watch through BullMQ (optional peer dependency `bullmq`). For each queue the module
 * reads the backlog by state and the age of the oldest waiting job at scrape time, and records
 * wait time, duration, completions and failures of every job from the queue's events, whichever
 * process ran it.
 *
 * @example
 * ```ts
 * ObservabilityModule.forRoot({
 *   queues: {
 *     bullmq: { connection: { host: 'redis', port: 6379 }, queues: ['image-generation'] },
 *   },
 * });
 * ```
 */
export interface BullMqQueuesOptions {
  /**
   * BullMQ's `connection`: ioredis options (`{ host, port, username, password, db, tls }`) or
   * an ioredis instance (duplicated for the blocking event reader).
   */
  connection: object;
  /** Names of the queues to watch. */
  queues: string[];
  /**
   * BullMQ key prefix of the queues.
   * @default 'bull'
   */
  prefix?: string;
}

/** Options of the queue metrics. */
export interface QueueMetricsOptions {
  /**
   * Longest time a scrape waits for the backlog of one watched queue. A slower or unreachable
   * Redis leaves that queue's backlog series out of the scrape and counts
   * `queue_metrics_errors_total`; the scrape itself still answers.
   * @default 1000
   */
  scrapeTimeoutMs?: number;
  /**
   * BullMQ queues to watch from boot. Queues can also be watched later with
   * `QueueMetricsService.watchBullQueue(queue)`.
   * @default undefined (none)
   */
  bullmq?: BullMqQueuesOptions;
}

/** Queue options after validation. @internal */
export interface ResolvedQueueMetricsOptions {
  scrapeTimeoutMs: number;
  bullmq: Required<BullMqQueuesOptions> | undefined;
}
