/**
 * What `@TrackJob()` calls when a job fails, if a provider is registered under
 * `OBSERVABILITY_ALERTING_SERVICE` (the module's `AlertingService` when alerting is enabled).
 * Without one, failed jobs are counted but raise no alert.
 *
 * @example
 * ```ts
 * { provide: OBSERVABILITY_ALERTING_SERVICE, useValue: { alertQueueFailure: (queue, error) => pager.send(queue, error) } }
 * ```
 */
export interface QueueFailureAlerter {
  /**
   * Raises the alert of a failed job. It may return a promise; a rejection is logged, never
   * thrown into the job.
   *
   * @param queueName queue of the job
   * @param error the error the job failed with (rethrown to the queue afterwards)
   * @param jobData `{ jobId, jobName, attempts, data }` for a BullMQ-like job, else the first
   * argument of the decorated method
   */
  alertQueueFailure(queueName: string, error: unknown, jobData?: unknown): unknown;
}
