import type { Job, Queue, QueueEvents } from 'bullmq';
import type { BullMqModule } from './load-bullmq';

/** What the events of one finished job tell. @internal */
export interface JobOutcome {
  status: 'completed' | 'failed';
  /** The job's name, `'unknown'` when the job was already removed. */
  jobType: string;
  /** `processedOn - timestamp - delay`, when known. */
  waitSeconds: number | undefined;
  /** `finishedOn - processedOn`, when known. */
  durationSeconds: number | undefined;
  /** Name of the error of a failed job, from its stack trace. */
  errorType: string | undefined;
}

/** The backlog of one queue at one scrape. @internal */
export interface QueueBacklogSnapshot {
  /** Jobs ready to run: waiting, paused and prioritized. */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Age of the oldest job in the wait (or paused) list, 0 when there is none. */
  oldestWaitingSeconds: number;
}

/** Where a watcher reports. Both must not throw. @internal */
export interface BullQueueWatcherHooks {
  finished(queueName: string, outcome: JobOutcome): void;
  error(queueName: string, error: unknown): void;
}

/** Settles like `promise`, or rejects after `ms` (the late settlement is ignored). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref?.();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface RedisLike {
  status?: string;
  /** ioredis: the options the client was created with; `duplicate()` reuses them. */
  options?: object;
  isCluster?: boolean;
  duplicate(override?: object): RedisLike;
  disconnect(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<unknown>;
}

/**
 * What the event reader connects with: the queue's connection options, with the retries
 * unbounded as its blocking reads require. `QueueEvents` duplicates any client it is given and
 * reads on the duplicate, so a client made here for it would be a second, idle connection per
 * queue with no 'error' listener: ioredis would print every failed reconnection of an outage
 * as an unhandled error. Only a Redis Cluster (or a client without ioredis options) still gets
 * a client, created lazily so that it never connects itself.
 */
export function eventReaderConnection(
  client: RedisLike,
): { options: object } | { client: RedisLike } {
  if (!client.isCluster && typeof client.options === 'object' && client.options !== null) {
    return { options: { ...client.options, maxRetriesPerRequest: null } };
  }
  return { client: client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true }) };
}

/** `TimeoutError` from the first line of a stack (`TimeoutError: took too long`). */
export function errorNameFromStack(stacktrace: readonly string[] | null | undefined): string {
  const last = stacktrace?.[stacktrace.length - 1];
  const firstLine = typeof last === 'string' ? last.split('\n', 1)[0] : '';
  const match = /^([A-Za-z_$][\w$.]*)(?::|\s*$)/.exec(firstLine);
  return match?.[1] ?? 'unknown';
}

const seconds = (ms: number): number => Math.max(0, ms) / 1000;
const isTime = (value: unknown): value is number => typeof value === 'number' && value > 0;

function outcomeOf(job: Job | undefined, status: JobOutcome['status']): JobOutcome {
  if (!job) {
    return {
      status,
      jobType: 'unknown',
      waitSeconds: undefined,
      durationSeconds: undefined,
      errorType: status === 'failed' ? 'unknown' : undefined,
    };
  }
  const delay = typeof job.opts?.delay === 'number' ? job.opts.delay : 0;
  const { timestamp, processedOn, finishedOn } = job;
  return {
    status,
    jobType: job.name || 'unknown',
    waitSeconds:
      isTime(processedOn) && isTime(timestamp)
        ? seconds(processedOn - timestamp - delay)
        : undefined,
    durationSeconds:
      isTime(finishedOn) && isTime(processedOn) ? seconds(finishedOn - processedOn) : undefined,
    errorType: status === 'failed' ? errorNameFromStack(job.stacktrace) : undefined,
  };
}

/**
 * Watches one BullMQ queue: reads its backlog on demand, and follows its event stream
 * (`QueueEvents`) to report every job that completes or fails, whichever worker, in whichever
 * process, ran it. Connection errors are reported to the hooks, never thrown.
 * @internal
 */
export class BullQueueWatcher {
  private events: QueueEvents | undefined;
  /** The never-connected client given to the event reader of a Redis Cluster. */
  private eventsTemplate: RedisLike | undefined;
  private closed = false;
  private readonly onQueueError: (error: unknown) => void;

  constructor(
    private readonly bullmq: BullMqModule,
    readonly queue: Queue,
    /** Created by the module from `queues.bullmq`, so closed with it. */
    private readonly owned: boolean,
    private readonly hooks: BullQueueWatcherHooks,
  ) {
    this.onQueueError = (error) => hooks.error(queue.name, error);
    // Without a listener, an 'error' event (Redis gone) would crash the process.
    queue.on('error', this.onQueueError);
  }

  get name(): string {
    return this.queue.name;
  }

  /**
   * Starts following the queue's events once the queue's connection is up, right after the
   * stream's last event, so no job finishing after that is missed. Waits at most `timeoutMs`;
   * when Redis is down, reading starts in the background once it is back.
   */
  async start(timeoutMs: number): Promise<void> {
    const starting = this.startEvents();
    starting.catch((error: unknown) => {
      if (!this.closed) this.hooks.error(this.name, error);
    });
    await withTimeout(starting, timeoutMs, 'starting the event reader').catch(() => undefined);
  }

  private async startEvents(): Promise<void> {
    const client = (await this.queue.client) as unknown as RedisLike;
    if (this.closed) return;
    const lastEventId = await this.lastEventId(client);
    if (this.closed) return;
    // The event reader blocks its connection, so it opens its own (and closes it with itself).
    const connection = eventReaderConnection(client);
    if ('client' in connection) {
      this.eventsTemplate = connection.client;
      connection.client.on('error', (error) => this.hooks.error(this.name, error));
    }
    const events = new this.bullmq.QueueEvents(this.queue.name, {
      connection: ('client' in connection ? connection.client : connection.options) as never,
      prefix: this.queue.opts.prefix,
      lastEventId,
    });
    // Its connection's errors (Redis gone, each reconnection) arrive here.
    events.on('error', (error) => this.hooks.error(this.name, error));
    events.on('completed', ({ jobId }) => void this.finished(jobId, 'completed'));
    events.on('failed', ({ jobId }) => void this.finished(jobId, 'failed'));
    this.events = events;
  }

  /** The backlog now. Rejects when Redis is not connected. */
  async read(): Promise<QueueBacklogSnapshot> {
    const client = (await this.queue.client) as unknown as RedisLike;
    if (client.status !== undefined && client.status !== 'ready') {
      throw new Error(`the Redis connection is ${client.status}`);
    }
    const [counts, oldest] = await Promise.all([
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
      // The wait list's tail (and the paused list's, when paused) holds its oldest job.
      this.queue.getWaiting(0, 0),
    ]);
    const now = Date.now();
    let oldestWaitingSeconds = 0;
    for (const job of oldest) {
      const delay = typeof job?.opts?.delay === 'number' ? job.opts.delay : 0;
      if (job && isTime(job.timestamp)) {
        oldestWaitingSeconds = Math.max(oldestWaitingSeconds, seconds(now - job.timestamp - delay));
      }
    }
    const count = (state: string): number => counts[state] ?? 0;
    return {
      waiting: count('waiting') + count('paused') + count('prioritized'),
      active: count('active'),
      delayed: count('delayed'),
      failed: count('failed'),
      oldestWaitingSeconds,
    };
  }

  /** Stops watching; closes the queue too when the module created it. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.eventsTemplate?.disconnect();
    const closing: Promise<void>[] = [];
    if (this.events) closing.push(this.closeQuietly(this.events, timeoutMs));
    if (this.owned) closing.push(this.closeQuietly(this.queue, timeoutMs));
    await Promise.all(closing);
    // Errors emitted while a closed queue's connection winds down stay handled.
    if (!this.owned) this.queue.off('error', this.onQueueError);
  }

  private async closeQuietly(target: Queue | QueueEvents, timeoutMs: number): Promise<void> {
    try {
      await withTimeout(target.close(), timeoutMs, 'closing');
    } catch {
      // Redis is gone: drop the connection rather than wait for a polite QUIT.
      target.disconnect().catch(() => undefined);
    }
  }

  private async lastEventId(client: RedisLike): Promise<string> {
    const last = (await client.xrevrange(this.queue.keys.events, '+', '-', 'COUNT', 1)) as
      [string, string[]][] | undefined;
    return last?.[0]?.[0] ?? '0';
  }

  private async finished(jobId: string, status: JobOutcome['status']): Promise<void> {
    try {
      const job = (await this.bullmq.Job.fromId(this.queue, jobId)) as Job | undefined;
      this.hooks.finished(this.name, outcomeOf(job, status));
    } catch (error) {
      this.hooks.error(this.name, error);
    }
  }
}
