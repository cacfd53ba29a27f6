import type { MethodRecorder } from '../decorators/method-metric.types';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { BullQueueMonitor } from './bull-queue.monitor';
import { JobRecorder, type JobRecorderDeps } from './job.recorder';
import type { QueueFailureAlerter } from './queue-failure-alerter.interface';
import {
  BACKLOG_STATES,
  createQueueInstruments,
  labelValue,
  type QueueInstruments,
} from './queue-instruments';
import type { QueueBacklog, TrackJobOptions, WatchableBullQueue } from './queue-metrics.types';

/**
 * Queue and job metrics: job durations, jobs in progress, failures,
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
  private readonly instruments: QueueInstruments;
  private readonly monitor: BullQueueMonitor;
  /** What every `@TrackJob()` recorder of this registry shares. */
  private readonly jobs: JobRecorderDeps;
  /** Backlogs set by hand (`setBacklog()`), for `getBacklogSnapshot()`. */
  private readonly manualBacklogs = new Map<string, { waiting: number; oldest: number }>();

  /** @internal */
  constructor(
    metrics: MetricsRegistry,
    kpis: CustomMetricsService,
    log: DiagnosticLoggerFactory,
    /** Raises the alert of a failed job; without it, failed jobs are counted, not alerted. */
    alerting?: QueueFailureAlerter,
  ) {
    const logger = log('Observability');
    // The backlog gauges read watched queues at scrape time, through the monitor made below.
    this.instruments = createQueueInstruments(metrics, () => this.monitor.refresh());
    this.monitor = new BullQueueMonitor(this.instruments, metrics.options.queues, logger);
    this.jobs = {
      metrics: this.instruments,
      kpis,
      isWatched: (queueName) => this.monitor.isWatched(queueName),
      alerting,
      logger,
    };
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
      this.instruments.duration.observe(labels, elapsed);
      if (status === 'completed') this.instruments.completed.inc(labels);
      return elapsed;
    };
  }

  /** Sets `active_jobs_total{queue_name}` to `count` (`@TrackJob()` keeps it itself). */
  setActiveJobs(queueName: string, count: number): void {
    this.instruments.active.set({ queue_name: labelValue(queueName) }, count);
  }

  /** Counts a failed job in `queue_failures_total{queue_name,error_type}`. */
  trackQueueFailure(queueName: string, errorType: string): void {
    this.instruments.failures.inc({
      queue_name: labelValue(queueName),
      error_type: labelValue(errorType),
    });
  }

  /** Counts a completed job in `queue_jobs_completed_total{queue_name,job_type}`. */
  trackJobCompleted(queueName: string, jobType: string): void {
    this.instruments.completed.inc({
      queue_name: labelValue(queueName),
      job_type: labelValue(jobType),
    });
  }

  /** Records how long a job waited before a worker took it, in `worker_queue_wait_time_seconds`. */
  observeWaitTime(queueName: string, seconds: number): void {
    this.instruments.waitTime.observe({ queue_name: labelValue(queueName) }, seconds);
  }

  /**
   * Sets the backlog of a queue you read yourself: `queue_jobs{queue_name,state}` for each given
   * state, `queue_jobs_waiting` from `waiting`, and `worker_queue_wait_time_current_seconds`
   * from `oldestWaitSeconds`. Watched BullMQ queues are set at every scrape instead.
   */
  setBacklog(queueName: string, backlog: QueueBacklog): void {
    const queue_name = labelValue(queueName);
    for (const state of BACKLOG_STATES) {
      const value = backlog?.[state];
      if (value !== undefined) this.instruments.backlog.set({ queue_name, state }, value);
    }
    if (backlog?.waiting !== undefined)
      this.instruments.waiting.set({ queue_name }, backlog.waiting);
    const oldest = backlog?.oldestWaitSeconds ?? backlog?.oldestWaitingSeconds;
    if (oldest !== undefined) this.instruments.waitCurrent.set({ queue_name }, oldest);
    const known = this.manualBacklogs.get(queue_name) ?? { waiting: 0, oldest: 0 };
    const waiting = backlog?.waiting;
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
    // A watched queue's live read wins over a backlog set by hand under the same name.
    await this.monitor.readBacklogs((queueName, snapshot) =>
      entries.set(queueName, {
        queueName,
        waiting: snapshot.waiting,
        oldestWaitSeconds: snapshot.oldestWaitingSeconds,
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
  watchBullQueue(queue: WatchableBullQueue): Promise<void> {
    return this.monitor.watchQueue(queue);
  }

  /** Names of the queues watched through BullMQ. */
  watchedQueues(): string[] {
    return this.monitor.names();
  }

  /** Starts watching the BullMQ queues of `queues.bullmq`. @internal */
  start(): Promise<void> {
    return this.monitor.start();
  }

  /** Stops watching queues (their connections close within `queues.scrapeTimeoutMs`). @internal */
  close(): Promise<void> {
    return this.monitor.close();
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
    return new JobRecorder(this.jobs, queueName, jobType, options, methodName);
  }
}
