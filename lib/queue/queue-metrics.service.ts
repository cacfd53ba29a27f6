import type { Queue } from 'bullmq';
import type { MethodRecorder } from '../decorators/method-metric.types';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import type { GuardedCounter, GuardedGauge, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import {
  BullQueueWatcher,
  type JobOutcome,
  type QueueBacklogSnapshot,
  withTimeout,
} from './bull-queue.watcher';
import { loadBullMq } from './load-bullmq';
import type { QueueFailureAlerter } from './queue-failure-alerter.interface';
import type { QueueBacklog, TrackJobOptions, WatchableBullQueue } from './queue-metrics.types';

const BACKLOG_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Job types a `@TrackJob()` method keeps pre-bound children for; more still record, unbound. */
const MAX_BOUND_JOB_TYPES = 64;

const labelValue = (value: unknown): string =>
  typeof value === 'string' && value.length > 0 ? value : 'unknown';

const errorName = (error: unknown): string => {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'unknown';
};

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

/**
 * Queue and job metrics (seeds 000, 001, 003): job durations, jobs in progress, failures,
 * completions, wait time in queue and backlog. Use it by hand with any queue library, decorate
 * processors with `@TrackJob()`, or let it watch BullMQ queues (`queues.bullmq` or
 * `watchBullQueue()`), whose backlog is read at scrape time and whose jobs are measured from
 * their events, whichever process ran them.
 *
 * Like every tracking call of the library, none of these methods throws.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class ThumbnailConsumer {
 *   constructor(private readonly queues: QueueMetricsService) {}
 *
 *   async handle(message: Message) {
 *     const end = this.queues.startJobTimer('thumbnails', 'resize');
 *     try {
 *       await resize(message.body);
 *       end('completed');
 *     } catch (error) {
 *       end('failed');
 *       this.queues.trackQueueFailure('thumbnails', (error as Error).name);
 *       throw error;
 *     }
 *   }
 * }
 * ```
 */
export class QueueMetricsService {
  private readonly logger: DiagnosticLogger;
  private readonly duration: GuardedHistogram;
  private readonly active: GuardedGauge;
  private readonly failures: GuardedCounter;
  private readonly completed: GuardedCounter;
  private readonly waitTime: GuardedHistogram;
  private readonly waitCurrent: GuardedGauge;
  private readonly waiting: GuardedGauge;
  private readonly backlog: GuardedGauge;
  private readonly readErrors: GuardedCounter;
  private readonly watchers = new Map<string, BullQueueWatcher>();
  /** Queues whose last read or connection failed (logged once per outage). */
  private readonly failing = new Set<string>();
  /** Backlogs set by hand (`setBacklog()`), for `getBacklogSnapshot()`. */
  private readonly manualBacklogs = new Map<string, { waiting: number; oldest: number }>();
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly kpis: CustomMetricsService,
    log: DiagnosticLoggerFactory,
    /** Raises the alert of a failed job; without it, failed jobs are counted, not alerted. */
    private readonly alerting?: QueueFailureAlerter,
  ) {
    this.logger = log('Observability');
    const refresh = (): Promise<void> => this.refreshWatched();
    this.duration = metrics.fromCatalog(MetricCatalog.queueJobDuration) as GuardedHistogram;
    this.active = metrics.fromCatalog(MetricCatalog.activeJobs) as GuardedGauge;
    this.failures = metrics.fromCatalog(MetricCatalog.queueFailures) as GuardedCounter;
    this.completed = metrics.fromCatalog(MetricCatalog.queueJobsCompleted) as GuardedCounter;
    this.waitTime = metrics.fromCatalog(MetricCatalog.queueWaitTime) as GuardedHistogram;
    this.waitCurrent = metrics.fromCatalog(MetricCatalog.queueWaitTimeCurrent, {
      collect: refresh,
    }) as GuardedGauge;
    this.waiting = metrics.fromCatalog(MetricCatalog.queueJobsWaiting, {
      collect: refresh,
    }) as GuardedGauge;
    this.backlog = metrics.fromCatalog(MetricCatalog.queueJobs, {
      collect: refresh,
    }) as GuardedGauge;
    // Also waits for the scrape's backlog read, so a failed read is counted in the same scrape.
    this.readErrors = metrics.fromCatalog(MetricCatalog.queueMetricsErrors, {
      collect: refresh,
    }) as GuardedCounter;
  }

  /**
   * Starts timing one job of `queueName`. The returned `end` records its duration in
   * `queue_job_duration_seconds{queue_name,job_type}` and returns it in seconds; with
   * `'completed'` it also counts the job in `queue_jobs_completed_total`. Only the first call of
   * `end` records.
   *
   * @example
   * ```ts
   * const end = queues.startJobTimer('image-generation', 'dalle-3');
   * try { await generate(); end('completed'); } catch (e) { end('failed'); throw e; }
   * ```
   */
  startJobTimer(queueName: string, jobType: string): (status?: 'completed' | 'failed') => number {
    const start = performance.now();
    let ended = false;
    return (status) => {
      const elapsed = (performance.now() - start) / 1000;
      if (ended) return elapsed;
      ended = true;
      const labels = { queue_name: labelValue(queueName), job_type: labelValue(jobType) };
      this.duration.observe(labels, elapsed);
      if (status === 'completed') this.completed.inc(labels);
      return elapsed;
    };
  }

  /** Sets `active_jobs_total{queue_name}` to `count` (seed API; `@TrackJob()` keeps it itself). */
  setActiveJobs(queueName: string, count: number): void {
    this.active.set({ queue_name: labelValue(queueName) }, count);
  }

  /** Counts a failed job in `queue_failures_total{queue_name,error_type}`. */
  trackQueueFailure(queueName: string, errorType: string): void {
    this.failures.inc({ queue_name: labelValue(queueName), error_type: labelValue(errorType) });
  }

  /** Counts a completed job in `queue_jobs_completed_total{queue_name,job_type}`. */
  trackJobCompleted(queueName: string, jobType: string): void {
    this.completed.inc({ queue_name: labelValue(queueName), job_type: labelValue(jobType) });
  }

  /** Records how long a job waited before a worker took it, in `worker_queue_wait_time_seconds`. */
  observeWaitTime(queueName: string, seconds: number): void {
    this.waitTime.observe({ queue_name: labelValue(queueName) }, seconds);
  }

  /**
   * Sets the backlog of a queue you read yourself: `queue_jobs{queue_name,state}` for each given
   * state, `queue_jobs_waiting` from `waiting`, and `worker_queue_wait_time_current_seconds`
   * from `oldestWaitingSeconds`. Watched BullMQ queues are set at every scrape instead.
   */
  setBacklog(queueName: string, backlog: QueueBacklog): void {
    const queue_name = labelValue(queueName);
    for (const state of BACKLOG_STATES) {
      const value = backlog?.[state];
      if (value !== undefined) this.backlog.set({ queue_name, state }, value);
    }
    if (backlog?.waiting !== undefined) this.waiting.set({ queue_name }, backlog.waiting);
    if (backlog?.oldestWaitingSeconds !== undefined) {
      this.waitCurrent.set({ queue_name }, backlog.oldestWaitingSeconds);
    }
    const known = this.manualBacklogs.get(queue_name) ?? { waiting: 0, oldest: 0 };
    const waiting = backlog?.waiting;
    const oldest = backlog?.oldestWaitingSeconds;
    this.manualBacklogs.set(queue_name, {
      waiting: typeof waiting === 'number' && Number.isFinite(waiting) ? waiting : known.waiting,
      oldest: typeof oldest === 'number' && Number.isFinite(oldest) ? oldest : known.oldest,
    });
  }

  /**
   * The backlog of every queue known here, for the health `queues` check: watched BullMQ queues
   * read now (rejecting, with the queue named, when Redis cannot answer within
   * `queues.scrapeTimeoutMs`), and the queues given to `setBacklog()`. The module provides the
   * service under `QUEUE_METRICS_TOKEN`, where the health check finds it.
   */
  async getBacklogSnapshot(): Promise<
    Array<{ queueName: string; waiting: number; oldestWaitSeconds: number }>
  > {
    const entries = new Map<
      string,
      { queueName: string; waiting: number; oldestWaitSeconds: number }
    >();
    for (const [queueName, { waiting, oldest }] of this.manualBacklogs) {
      entries.set(queueName, { queueName, waiting, oldestWaitSeconds: oldest });
    }
    const timeout = this.metrics.options.queues.scrapeTimeoutMs;
    await Promise.all(
      [...this.watchers.values()].map(async (watcher) => {
        let snapshot: QueueBacklogSnapshot;
        try {
          snapshot = await withTimeout(watcher.read(), timeout, 'reading the backlog');
        } catch (error) {
          this.readFailed(watcher.name, error);
          throw new Error(
            Messages.queueReadFailed(watcher.name, (error as Error)?.message ?? String(error)),
          );
        }
        entries.set(watcher.name, {
          queueName: watcher.name,
          waiting: snapshot.waiting,
          oldestWaitSeconds: snapshot.oldestWaitingSeconds,
        });
      }),
    );
    return [...entries.values()];
  }

  /**
   * Watches a BullMQ queue: its backlog by state and the age of its oldest waiting job are read
   * at every scrape, and each job that completes or fails, processed by any worker in any
   * process, is measured from its timestamps (wait time, duration, completion or failure).
   * The promise resolves once the queue's events are being followed. Redis errors are logged and
   * counted in `queue_metrics_errors_total`, never thrown. Watching the same queue name twice
   * keeps the first.
   *
   * Needs the optional package `bullmq`.
   */
  async watchBullQueue(queue: WatchableBullQueue): Promise<void> {
    const bullmq = await loadBullMq('QueueMetricsService.watchBullQueue()');
    const name = (queue as { name?: unknown })?.name;
    if (
      typeof name !== 'string' ||
      typeof (queue as { getJobCounts?: unknown }).getJobCounts !== 'function'
    ) {
      throw new TypeError(Messages.notABullQueue(typeof queue));
    }
    await this.watch(bullmq, queue as unknown as Queue, false);
  }

  /** Names of the queues watched through BullMQ. */
  watchedQueues(): string[] {
    return [...this.watchers.keys()];
  }

  /** Starts watching the BullMQ queues of `queues.bullmq`. */
  async start(): Promise<void> {
    const config = this.metrics.options.queues.bullmq;
    if (!config) return;
    const bullmq = await loadBullMq('queues.bullmq');
    await Promise.all(
      config.queues.map((name) =>
        this.watch(
          bullmq,
          new bullmq.Queue(name, { connection: config.connection as never, prefix: config.prefix }),
          true,
        ),
      ),
    );
  }

  /** Stops watching queues (their connections close within `queues.scrapeTimeoutMs`). */
  async close(): Promise<void> {
    this.stopped = true;
    const timeout = this.metrics.options.queues.scrapeTimeoutMs;
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(watchers.map((watcher) => watcher.close(timeout)));
  }

  /**
   * The recorder of one `@TrackJob()` method: the active-jobs gauge goes up when a call starts
   * and down when it settles; the duration, completion or failure (with the error's name) are
   * recorded unless the queue is watched here (its events already record them); failures
   * raise the alert and `generation_*` KPIs when asked.
   * @internal
   */
  jobRecorder(
    queueName: string,
    jobType: string | undefined,
    options: TrackJobOptions,
    methodName: string,
  ): MethodRecorder {
    const queue_name = labelValue(queueName);
    const activeLabels = { queue_name };
    const children = new Map<string, JobChildren>();
    const childrenFor = (type: string): JobChildren => {
      let found = children.get(type);
      if (!found) {
        const labels = { queue_name, job_type: type };
        found = {
          jobType: type,
          duration:
            children.size < MAX_BOUND_JOB_TYPES
              ? this.duration.bind(labels)
              : { observe: (value) => this.duration.observe(labels, value) },
          completed:
            children.size < MAX_BOUND_JOB_TYPES
              ? this.completed.bind(labels)
              : { inc: () => this.completed.inc(labels) },
        };
        if (children.size < MAX_BOUND_JOB_TYPES) children.set(type, found);
      }
      return found;
    };
    const fixed = jobType !== undefined ? childrenFor(labelValue(jobType)) : undefined;
    const kpi = options.kpi === 'generation';
    const alert = options.alert !== false;

    interface Call {
      children: JobChildren;
      job: unknown;
    }
    return {
      start: (args): Call => {
        this.active.inc(activeLabels);
        const job = args[0];
        const children =
          fixed ??
          childrenFor(
            labelValue(asJob(job)?.name) === 'unknown' ? methodName : labelValue(asJob(job)?.name),
          );
        return { children, job };
      },
      success: (seconds, context) => {
        this.active.dec(activeLabels);
        const call = context as Call | undefined;
        if (!call) return;
        if (!this.watchers.has(queueName)) {
          call.children.duration.observe(seconds);
          call.children.completed.inc();
        }
        if (kpi) this.kpis.trackGenerationSuccess(call.children.jobType);
      },
      error: (seconds, error, context) => {
        this.active.dec(activeLabels);
        const call = context as Call | undefined;
        if (!call) return;
        const type = errorName(error);
        if (!this.watchers.has(queueName)) {
          call.children.duration.observe(seconds);
          this.failures.inc({ queue_name, error_type: type });
        }
        if (kpi) this.kpis.trackGenerationFailure(call.children.jobType, type);
        if (alert) this.raiseAlert(queueName, error, call.job);
      },
    };
  }

  private raiseAlert(queueName: string, error: unknown, arg: unknown): void {
    const alerting = this.alerting;
    if (!alerting) return;
    const job = asJob(arg);
    const jobData = job
      ? { jobId: job.id, jobName: job.name, attempts: job.attemptsMade, data: job.data }
      : arg;
    const report = (failure: unknown): void =>
      this.logger.warn(
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

  private async watch(
    bullmq: Awaited<ReturnType<typeof loadBullMq>>,
    queue: Queue,
    owned: boolean,
  ): Promise<void> {
    if (this.stopped) return;
    if (this.watchers.has(queue.name)) {
      if (owned) await queue.close().catch(() => undefined);
      return;
    }
    const watcher = new BullQueueWatcher(bullmq, queue, owned, {
      finished: (name, outcome) => this.recordOutcome(name, outcome),
      error: (name, error) => this.readFailed(name, error),
    });
    this.watchers.set(queue.name, watcher);
    // Present from the start (at 0), so `rate()`/`increase()` see the first failure.
    this.readErrors.inc({ queue_name: labelValue(queue.name) }, 0);
    await watcher.start(this.metrics.options.queues.scrapeTimeoutMs);
  }

  private recordOutcome(queueName: string, outcome: JobOutcome): void {
    const queue_name = labelValue(queueName);
    const job_type = labelValue(outcome.jobType);
    if (outcome.waitSeconds !== undefined) {
      this.waitTime.observe({ queue_name }, outcome.waitSeconds);
    }
    if (outcome.durationSeconds !== undefined) {
      this.duration.observe({ queue_name, job_type }, outcome.durationSeconds);
    }
    if (outcome.status === 'completed') this.completed.inc({ queue_name, job_type });
    else this.failures.inc({ queue_name, error_type: labelValue(outcome.errorType) });
  }

  /** Reads every watched queue once per scrape (the three backlog gauges share the read). */
  private refreshWatched(): Promise<void> {
    if (this.watchers.size === 0) return Promise.resolve();
    this.refreshing ??= Promise.all(
      [...this.watchers.values()].map((watcher) => this.refreshOne(watcher)),
    )
      .then(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async refreshOne(watcher: BullQueueWatcher): Promise<void> {
    const queue_name = labelValue(watcher.name);
    let snapshot: QueueBacklogSnapshot;
    try {
      snapshot = await withTimeout(
        watcher.read(),
        this.metrics.options.queues.scrapeTimeoutMs,
        'reading the backlog',
      );
    } catch (error) {
      for (const state of BACKLOG_STATES) this.backlog.remove({ queue_name, state });
      this.waiting.remove({ queue_name });
      this.waitCurrent.remove({ queue_name });
      this.readFailed(watcher.name, error);
      return;
    }
    for (const state of BACKLOG_STATES) this.backlog.set({ queue_name, state }, snapshot[state]);
    this.waiting.set({ queue_name }, snapshot.waiting);
    this.waitCurrent.set({ queue_name }, snapshot.oldestWaitingSeconds);
    if (this.failing.delete(watcher.name)) {
      this.logger.log(Messages.queueReadRecovered(watcher.name));
    }
  }

  private readFailed(queueName: string, error: unknown): void {
    this.readErrors.inc({ queue_name: labelValue(queueName) });
    if (this.failing.has(queueName) || this.stopped) return;
    this.failing.add(queueName);
    this.logger.error(
      Messages.queueReadFailed(queueName, (error as Error)?.message ?? String(error)),
    );
  }
}
