import { wrapMethod } from '../decorators/wrap-method';
import { Messages } from '../observability.messages';
import type { TrackJobOptions } from './queue-metrics.types';

/**
 * Measures every call of a job processor method as one job of `queueName`, with none of the
 * bookkeeping in your processor:
 * - `active_jobs_total{queue_name}` goes up when the call starts and down when it settles, so it
 *   stays exact under any concurrency;
 * - `queue_job_duration_seconds{queue_name,job_type}` records its duration and
 *   `queue_jobs_completed_total{queue_name,job_type}` counts it when it succeeds;
 * - when it throws or rejects, `queue_failures_total{queue_name,error_type}` counts it with the
 *   error's `name`, the alerting service (if the application has one) raises a queue-failure
 *   alert, and the original error is rethrown so the queue's retries still happen;
 * - with `{ kpi: 'generation' }`, `generation_success_total`/`generation_failure_total` too.
 *
 * `job_type` is `jobType`, else the `name` of the job passed as first argument (a BullMQ job),
 * else the method name. When the application also watches `queueName` through BullMQ, the
 * queue's events record duration, completion and failure, and the decorator only keeps the
 * active-jobs gauge, KPIs and alerts (no double counting).
 *
 * Metadata of other decorators on the method (`@Process()`, `@OnWorkerEvent()`, ...) is kept.
 * Outside an application importing `ObservabilityModule`, the method runs unmeasured.
 *
 * @param queueName value of the `queue_name` label
 * @param jobType value of the `job_type` label (default: the job's name)
 * @param options KPI and alerting
 *
 * @example
 * ```ts
 * @Processor('image-generation')
 * export class ImageProcessor extends WorkerHost {
 *   @TrackJob('image-generation', 'dalle-3', { kpi: 'generation' })
 *   async process(job: Job<ImageJobData>) {
 *     return this.images.generate(job.data.prompt);
 *   }
 * }
 * ```
 */
export function TrackJob(
  queueName: string,
  jobType?: string,
  options: TrackJobOptions = {},
): MethodDecorator {
  if (typeof queueName !== 'string' || queueName.length === 0) {
    throw new TypeError(
      Messages.trackJobWithoutQueueName(JSON.stringify(queueName) ?? 'undefined'),
    );
  }
  const settings: TrackJobOptions = { ...options };
  return (target, key, descriptor) =>
    wrapMethod('TrackJob', target, key, descriptor, {
      kind: 'job',
      metricName: undefined,
      help: undefined,
      labels: {},
      buckets: undefined,
      recorder: (context) =>
        context.queues.jobRecorder(queueName, jobType, settings, context.methodName),
    }) as typeof descriptor;
}
