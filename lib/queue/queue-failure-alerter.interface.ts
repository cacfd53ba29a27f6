/**
 * What `@TrackJob()` calls when a job fails: the provider under `ALERTING_SERVICE_TOKEN`, which
 * is the module's own `AlertingService` (its `QueueJobFailed` alert). Without one, failed jobs
 * are counted but raise no alert.
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
