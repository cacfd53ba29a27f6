import type { GuardedCounter, GuardedGauge, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';

/** The states of `queue_jobs{state}`. @internal */
export const BACKLOG_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * A label value that is never empty: callers pass whatever their queue library gives, and an
 * empty or missing name must still land in one bounded series.
 * @internal
 */
export const labelValue = (value: unknown): string =>
  typeof value === 'string' && value.length > 0 ? value : 'unknown';

/**
 * The queue metrics of one registry, shared by the manual API, the BullMQ monitor and the
 * `@TrackJob()` recorders so they all record into the same series.
 * @internal
 */
export interface QueueInstruments {
  /** `queue_job_duration_seconds{queue_name,job_type}` */
  readonly duration: GuardedHistogram;
  /** `active_jobs_total{queue_name}` */
  readonly active: GuardedGauge;
  /** `queue_failures_total{queue_name,error_type}` */
  readonly failures: GuardedCounter;
  /** `queue_jobs_completed_total{queue_name,job_type}` */
  readonly completed: GuardedCounter;
  /** `worker_queue_wait_time_seconds{queue_name}` */
  readonly waitTime: GuardedHistogram;
  /** `worker_queue_wait_time_current_seconds{queue_name}`, read at scrape time. */
  readonly waitCurrent: GuardedGauge;
  /** `queue_jobs_waiting{queue_name}`, read at scrape time. */
  readonly waiting: GuardedGauge;
  /** `queue_jobs{queue_name,state}`, read at scrape time. */
  readonly backlog: GuardedGauge;
  /** `queue_metrics_errors_total{queue_name}` */
  readonly readErrors: GuardedCounter;
}

/**
 * Gets or creates the queue metrics in `metrics`. `refresh` runs at every scrape of the backlog
 * gauges (and of the error counter, so a failed read is counted in the same scrape); it must
 * share one read between them.
 * @internal
 */
export function createQueueInstruments(
  metrics: MetricsRegistry,
  refresh: () => Promise<void>,
): QueueInstruments {
  return {
    duration: metrics.fromCatalog(MetricCatalog.queueJobDuration) as GuardedHistogram,
    active: metrics.fromCatalog(MetricCatalog.activeJobs) as GuardedGauge,
    failures: metrics.fromCatalog(MetricCatalog.queueFailures) as GuardedCounter,
    completed: metrics.fromCatalog(MetricCatalog.queueJobsCompleted) as GuardedCounter,
    waitTime: metrics.fromCatalog(MetricCatalog.queueWaitTime) as GuardedHistogram,
    waitCurrent: metrics.fromCatalog(MetricCatalog.queueWaitTimeCurrent, {
      collect: refresh,
    }) as GuardedGauge,
    waiting: metrics.fromCatalog(MetricCatalog.queueJobsWaiting, {
      collect: refresh,
    }) as GuardedGauge,
    backlog: metrics.fromCatalog(MetricCatalog.queueJobs, {
      collect: refresh,
    }) as GuardedGauge,
    readErrors: metrics.fromCatalog(MetricCatalog.queueMetricsErrors, {
      collect: refresh,
    }) as GuardedCounter,
  };
}
