import type { Queue } from 'bullmq';
import type { DiagnosticLogger } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import {
  BullQueueWatcher,
  type JobOutcome,
  type QueueBacklogSnapshot,
  withTimeout,
} from './bull-queue.watcher';
import { type BullMqModule, loadBullMq } from './load-bullmq';
import { BACKLOG_STATES, labelValue, type QueueInstruments } from './queue-instruments';
import type { ResolvedQueueMetricsOptions } from './queue-options.interface';
import type { WatchableBullQueue } from './queue-metrics.types';

/**
 * Every BullMQ queue one registry watches: one {@link BullQueueWatcher} per queue name, the
 * backlog gauges set from one shared read per scrape, and each finished job's events recorded
 * as wait time, duration, completion or failure. A Redis outage is logged once (and its
 * recovery once), counted in `queue_metrics_errors_total` at every failed read, and never
 * thrown into a scrape.
 * @internal Driven by `QueueMetricsService`.
 */
export class BullQueueMonitor {
  private readonly watchers = new Map<string, BullQueueWatcher>();
  /** Queues whose last read or connection failed (logged once per outage). */
  private readonly failing = new Set<string>();
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly metrics: QueueInstruments,
    private readonly options: ResolvedQueueMetricsOptions,
    private readonly logger: DiagnosticLogger,
  ) {}

  /** Names of the queues watched. */
  names(): string[] {
    return [...this.watchers.keys()];
  }

  /** Whether `queueName` is watched, so its events already record its jobs. */
  isWatched(queueName: string): boolean {
    return this.watchers.has(queueName);
  }

  /** Watches a queue the application created (`QueueMetricsService.watchBullQueue()`). */
  async watchQueue(queue: WatchableBullQueue): Promise<void> {
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

  /** Creates and watches the queues of `queues.bullmq`, which it then owns and closes. */
  async start(): Promise<void> {
    const config = this.options.bullmq;
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

  /** Stops watching (connections close within `queues.scrapeTimeoutMs`). */
  async close(): Promise<void> {
    this.stopped = true;
    const timeout = this.options.scrapeTimeoutMs;
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(watchers.map((watcher) => watcher.close(timeout)));
  }

  /**
   * Reads the backlog of every watched queue now, handing each to `visit` as it arrives.
   * Rejects, with the queue named, when one cannot be read within `queues.scrapeTimeoutMs`: a
   * health check must not report a backlog it could not see.
   */
  async readBacklogs(
    visit: (queueName: string, snapshot: QueueBacklogSnapshot) => void,
  ): Promise<void> {
    const timeout = this.options.scrapeTimeoutMs;
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
        visit(watcher.name, snapshot);
      }),
    );
  }

  /** Reads every watched queue once per scrape (the three backlog gauges share the read). */
  refresh(): Promise<void> {
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

  private async watch(bullmq: BullMqModule, queue: Queue, owned: boolean): Promise<void> {
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
    this.metrics.readErrors.inc({ queue_name: labelValue(queue.name) }, 0);
    await watcher.start(this.options.scrapeTimeoutMs);
  }

  private recordOutcome(queueName: string, outcome: JobOutcome): void {
    const queue_name = labelValue(queueName);
    const job_type = labelValue(outcome.jobType);
    if (outcome.waitSeconds !== undefined) {
      this.metrics.waitTime.observe({ queue_name }, outcome.waitSeconds);
    }
    if (outcome.durationSeconds !== undefined) {
      this.metrics.duration.observe({ queue_name, job_type }, outcome.durationSeconds);
    }
    if (outcome.status === 'completed') this.metrics.completed.inc({ queue_name, job_type });
    else this.metrics.failures.inc({ queue_name, error_type: labelValue(outcome.errorType) });
  }

  private async refreshOne(watcher: BullQueueWatcher): Promise<void> {
    const { backlog, waiting, waitCurrent } = this.metrics;
    const queue_name = labelValue(watcher.name);
    let snapshot: QueueBacklogSnapshot;
    try {
      snapshot = await withTimeout(
        watcher.read(),
        this.options.scrapeTimeoutMs,
        'reading the backlog',
      );
    } catch (error) {
      // A backlog that could not be read is left out rather than shown stale.
      for (const state of BACKLOG_STATES) backlog.remove({ queue_name, state });
      waiting.remove({ queue_name });
      waitCurrent.remove({ queue_name });
      this.readFailed(watcher.name, error);
      return;
    }
    for (const state of BACKLOG_STATES) backlog.set({ queue_name, state }, snapshot[state]);
    waiting.set({ queue_name }, snapshot.waiting);
    waitCurrent.set({ queue_name }, snapshot.oldestWaitingSeconds);
    if (this.failing.delete(watcher.name)) {
      this.logger.log(Messages.queueReadRecovered(watcher.name));
    }
  }

  private readFailed(queueName: string, error: unknown): void {
    this.metrics.readErrors.inc({ queue_name: labelValue(queueName) });
    if (this.failing.has(queueName) || this.stopped) return;
    this.failing.add(queueName);
    this.logger.error(
      Messages.queueReadFailed(queueName, (error as Error)?.message ?? String(error)),
    );
  }
}
