import type { MethodRecorder } from '../decorators/method-metric.types';
import type { DiagnosticLogger } from '../logging/diagnostic-logger';
import type { CustomMetricsService } from '../metrics/custom-metrics.service';
import { Messages } from '../observability.messages';
import type { QueueFailureAlerter } from './queue-failure-alerter.interface';
import { labelValue, type QueueInstruments } from './queue-instruments';
import type { TrackJobOptions } from './queue-metrics.types';

/**
 * Job types one `@TrackJob()` method keeps pre-bound children for; more still record, unbound,
 * so a processor fed unbounded job names cannot grow the cache.
 */
const MAX_BOUND_JOB_TYPES = 64;

/** The error's `name` as the `error_type` label; anything thrown counts, even a non-Error. */
const errorName = (error: unknown): string => {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'unknown';
};

/** The parts of a BullMQ-like job the recorder reads. */
interface JobLike {
  id?: unknown;
  name?: unknown;
  data?: unknown;
  attemptsMade?: unknown;
}

const asJob = (value: unknown): JobLike | undefined =>
  typeof value === 'object' && value !== null && 'data' in value ? (value as JobLike) : undefined;

/** Per-job-type children of one `@TrackJob()` method. */
interface JobChildren {
  jobType: string;
  duration: { observe(value: number): void };
  completed: { inc(value?: number): void };
}

/** What one call carries from `start` to `success`/`error`. */
interface Call {
  children: JobChildren;
  job: unknown;
}

/** What every `@TrackJob()` recorder of one registry shares. @internal */
export interface JobRecorderDeps {
  readonly metrics: Pick<QueueInstruments, 'active' | 'duration' | 'completed' | 'failures'>;
  readonly kpis: Pick<CustomMetricsService, 'trackGenerationSuccess' | 'trackGenerationFailure'>;
  /** Whether the queue's BullMQ events already record its jobs (then the recorder does not). */
  isWatched(queueName: string): boolean;
  /** Raises the alert of a failed job; without it, failures are only counted. */
  readonly alerting: QueueFailureAlerter | undefined;
  readonly logger: DiagnosticLogger;
}

/**
 * The recorder of one `@TrackJob()` method: the active-jobs gauge goes up when a call starts
 * and down when it settles; the duration, completion or failure (with the error's name) are
 * recorded unless the queue is watched (its events already record them, and counting twice
 * would double every rate); failures raise the alert and `generation_*` KPIs when asked.
 *
 * Labelled children are bound per job type on first use, so a call allocates only its
 * {@link Call} record.
 * @internal Built by `QueueMetricsService.jobRecorder()`.
 */
export class JobRecorder implements MethodRecorder {
  private readonly queueLabel: string;
  private readonly activeLabels: { queue_name: string };
  private readonly children = new Map<string, JobChildren>();
  /** The children of the `jobType` given to the decorator, which fixes every call's type. */
  private readonly fixed: JobChildren | undefined;
  private readonly kpi: boolean;
  private readonly alert: boolean;

  constructor(
    private readonly deps: JobRecorderDeps,
    private readonly queueName: string,
    jobType: string | undefined,
    options: TrackJobOptions,
    private readonly methodName: string,
  ) {
    this.queueLabel = labelValue(queueName);
    this.activeLabels = { queue_name: this.queueLabel };
    this.fixed = jobType !== undefined ? this.childrenFor(labelValue(jobType)) : undefined;
    this.kpi = options.kpi === 'generation';
    this.alert = options.alert !== false;
  }

  /** Counts the job as active and picks its job type: the decorator's, the job's name, or the method's. */
  start(args: readonly unknown[]): unknown {
    this.deps.metrics.active.inc(this.activeLabels);
    const job = args[0];
    const children =
      this.fixed ??
      this.childrenFor(
        labelValue(asJob(job)?.name) === 'unknown' ? this.methodName : labelValue(asJob(job)?.name),
      );
    const call: Call = { children, job };
    return call;
  }

  /** Records a completed job. */
  success(seconds: number, context?: unknown): void {
    this.deps.metrics.active.dec(this.activeLabels);
    const call = context as Call | undefined;
    if (!call) return;
    if (!this.deps.isWatched(this.queueName)) {
      call.children.duration.observe(seconds);
      call.children.completed.inc();
    }
    if (this.kpi) this.deps.kpis.trackGenerationSuccess(call.children.jobType);
  }

  /** Records a failed job and raises its alert. */
  error(seconds: number, error?: unknown, context?: unknown): void {
    this.deps.metrics.active.dec(this.activeLabels);
    const call = context as Call | undefined;
    if (!call) return;
    const type = errorName(error);
    if (!this.deps.isWatched(this.queueName)) {
      call.children.duration.observe(seconds);
      this.deps.metrics.failures.inc({ queue_name: this.queueLabel, error_type: type });
    }
    if (this.kpi) this.deps.kpis.trackGenerationFailure(call.children.jobType, type);
    if (this.alert) this.raiseAlert(error, call.job);
  }

  private childrenFor(type: string): JobChildren {
    let found = this.children.get(type);
    if (!found) {
      const { duration, completed } = this.deps.metrics;
      const labels = { queue_name: this.queueLabel, job_type: type };
      const bound = this.children.size < MAX_BOUND_JOB_TYPES;
      found = {
        jobType: type,
        duration: bound
          ? duration.bind(labels)
          : { observe: (value) => duration.observe(labels, value) },
        completed: bound ? completed.bind(labels) : { inc: () => completed.inc(labels) },
      };
      if (bound) this.children.set(type, found);
    }
    return found;
  }

  /** Alerting must never fail the job: a throw or rejection from it is only logged. */
  private raiseAlert(error: unknown, arg: unknown): void {
    const { alerting, logger } = this.deps;
    if (!alerting) return;
    const queueName = this.queueName;
    const job = asJob(arg);
    const jobData = job
      ? { jobId: job.id, jobName: job.name, attempts: job.attemptsMade, data: job.data }
      : arg;
    const report = (failure: unknown): void =>
      logger.warn(
        Messages.queueAlertFailed(queueName, (failure as Error)?.message ?? String(failure)),
      );
    try {
      const result = alerting.alertQueueFailure(queueName, error, jobData);
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, report);
      }
    } catch (failure) {
      report(failure);
    }
  }
}
