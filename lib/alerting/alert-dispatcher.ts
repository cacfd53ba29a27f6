import { AsyncResource } from 'node:async_hooks';
import { Messages } from '../observability.messages';
import type { AlertClock } from './alert-clock';
import { sleep } from './alert-clock';
import type { AlertNotification } from './alert.types';
import type { AlertChannel } from './channels/alert-channel.interface';
import { AlertDeliveryError } from './channels/alert-channel.interface';
import { isBatchChannel } from './channels/batch-channel';

/** Health of one channel, for health indicators and the admin API. */
export interface AlertChannelState {
  channel: string;
  /**
   * `false` while the channel's circuit is open, or while it waits out a receiver's
   * `Retry-After` (then `degraded` is set too).
   */
  healthy: boolean;
  /** `true` while deliveries are held back by the receiver's `Retry-After`, not failing. */
  degraded?: boolean;
  reason?: string;
  enabled: boolean;
  /** Deliveries waiting or in flight. */
  pending: number;
}

/** What the dispatcher reports, so the service can count it. */
export interface DispatcherHooks {
  delivered(notification: AlertNotification, status: 'success' | 'failed', reason?: string): void;
  /**
   * Deliveries not made. `lost` is the notification refused because the dispatcher had already
   * shut down (the others were queued, then dropped).
   */
  dropped(
    reason: 'queue_full' | 'shutdown',
    channel: string,
    count: number,
    lost?: AlertNotification,
  ): void;
  duration(channel: string, seconds: number): void;
  retrying(channel: string, attempt: number, delayMs: number, reason: string): void;
  circuitOpened(channel: string, failures: number): void;
}

/** Settings of the dispatcher (from `alerting.delivery` and `alerting.queue`). */
export interface DispatcherSettings {
  timeoutMs: number;
  maxRetries: number;
  backoffMs: number;
  maxBackoffMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  queueMaxSize: number;
  /**
   * Deliveries in flight at once per healthy channel (a failing channel falls back to one, so
   * retries, backoff and the circuit's single trial stay sequential).
   * @default 8
   */
  concurrency?: number;
  clock: AlertClock;
  /** Returns a number in [0, 1); jitter source (tests pin it). */
  random?: () => number;
}

/** Default of {@link DispatcherSettings.concurrency}. */
export const DEFAULT_DELIVERY_CONCURRENCY = 8;

class Lane {
  readonly queue: AlertNotification[] = [];
  /** Notifications taken from the queue and not yet settled. */
  inFlight = 0;
  /**
   * Groups with a delivery in flight: a group's next notification waits for it, so with several
   * workers a resolve never overtakes its firing (PagerDuty keys both on one dedup key).
   */
  readonly busyGroups = new Set<string>();
  /** Workers running. */
  workers = 0;
  enabled = true;
  consecutiveFailures = 0;
  openUntil = 0;
  /** Set while the worker waits out a receiver's `Retry-After`. */
  held: { until: number; reason: string } | undefined;
  readonly recent: number[] = [];
  constructor(readonly channel: AlertChannel) {}
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Delivers notifications to channels in the background. Each channel has its own bounded FIFO
 * (overflow drops the oldest waiting delivery) and its own workers, so a slow or failing channel
 * never delays another. A healthy channel runs up to `concurrency` workers (a burst to a healthy
 * receiver is not lost to the queue bound); after a failure it falls back to one worker until a
 * delivery succeeds. A batch channel ({@link isBatchChannel}) gets up to its `maxBatchSize`
 * waiting notifications per request. Each attempt has a timeout; network errors, timeouts, 5xx
 * and 429 are retried with exponential backoff and jitter (429 waits its `Retry-After`, at most
 * `maxBackoffMs`, so one answer cannot stall the channel's only worker); consecutive failures
 * open the channel's circuit for a cooldown, after which one trial delivery decides.
 *
 * The workers run in the async context the dispatcher was created in (at bootstrap), never in
 * that of the request whose alert happened to start one: a worker serves every later alert, and
 * its log lines must not carry that request's id.
 *
 * @internal
 */
export class AlertDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly stop = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private readonly random: () => number;
  private readonly startWorker: (lane: Lane) => void;
  private readonly concurrency: number;

  constructor(
    channels: readonly AlertChannel[],
    private readonly settings: DispatcherSettings,
    private readonly hooks: DispatcherHooks,
  ) {
    for (const channel of channels) this.lanes.set(channel.name, new Lane(channel));
    this.random = settings.random ?? Math.random;
    this.concurrency = Math.max(1, settings.concurrency ?? DEFAULT_DELIVERY_CONCURRENCY);
    this.startWorker = AsyncResource.bind((lane: Lane) => void this.pump(lane));
  }

  /** Names of the channels. */
  channelNames(): string[] {
    return [...this.lanes.keys()];
  }

  channel(name: string): AlertChannel | undefined {
    return this.lanes.get(name)?.channel;
  }

  isEnabled(name: string): boolean {
    return this.lanes.get(name)?.enabled ?? false;
  }

  setEnabled(name: string, enabled: boolean): void {
    const lane = this.lanes.get(name);
    if (lane) lane.enabled = enabled;
  }

  /** Queues `notification` for its channel. Synchronous; never throws. */
  enqueue(notification: AlertNotification): void {
    const lane = this.lanes.get(notification.channel);
    if (!lane) return;
    if (this.stop.signal.aborted) {
      this.hooks.dropped('shutdown', lane.channel.name, 1, notification);
      return;
    }
    if (lane.queue.length >= this.settings.queueMaxSize) {
      lane.queue.shift();
      this.hooks.dropped('queue_full', lane.channel.name, 1);
    }
    lane.queue.push(notification);
    this.spawn(lane);
  }

  /**
   * Starts workers for `lane` up to its limit: `concurrency` while the channel is healthy, one
   * while it fails (one worker then retries, backs off and makes the circuit's single trial).
   */
  private spawn(lane: Lane): void {
    const limit = lane.consecutiveFailures > 0 ? 1 : this.concurrency;
    // One new worker per waiting group that is not in flight: a worker started for a group in
    // flight would find nothing to take and end at once (and this loop would start it again).
    let startable = this.waitingGroups(lane);
    while (lane.workers < limit && startable > 0) {
      startable--;
      lane.workers++;
      this.startWorker(lane);
    }
  }

  /** How many distinct groups wait in `lane`'s queue with no delivery in flight. */
  private waitingGroups(lane: Lane): number {
    const groups = new Set<string>();
    for (const notification of lane.queue) {
      if (!lane.busyGroups.has(notification.groupKey)) groups.add(notification.groupKey);
      if (groups.size >= this.concurrency) break;
    }
    return groups.size;
  }

  /** One attempt, now, outside the queue (admin test). Throws the delivery error. */
  async deliverNow(notification: AlertNotification): Promise<void> {
    const lane = this.lanes.get(notification.channel);
    if (!lane) throw new Error(`unknown channel "${notification.channel}"`);
    await this.attempt(lane, [notification]);
  }

  states(): AlertChannelState[] {
    const now = this.settings.clock.now();
    return [...this.lanes.values()].map((lane) => {
      const open = lane.openUntil > now;
      const held =
        !open && lane.held !== undefined && lane.held.until > now ? lane.held : undefined;
      return {
        channel: lane.channel.name,
        healthy: !open && !held,
        ...(open
          ? {
              reason: `circuit open after ${lane.consecutiveFailures} consecutive failed deliveries`,
            }
          : held
            ? { degraded: true, reason: held.reason }
            : {}),
        enabled: lane.enabled,
        pending: lane.queue.length + lane.inFlight,
      };
    });
  }

  /** Deliveries waiting or in flight, over all channels. */
  pending(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.queue.length + lane.inFlight;
    return total;
  }

  /** Resolves when nothing is pending. */
  whenIdle(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /**
   * Lets pending deliveries finish for up to `timeoutMs` (real time), then aborts the rest and
   * returns how many were dropped.
   */
  async shutdown(timeoutMs: number): Promise<number> {
    if (this.pending() > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.stop.abort();
    let dropped = 0;
    for (const lane of this.lanes.values()) {
      const count = lane.queue.length + lane.inFlight;
      lane.queue.length = 0;
      if (count > 0) {
        dropped += count;
        this.hooks.dropped('shutdown', lane.channel.name, count);
      }
    }
    return dropped;
  }

  /** One worker: takes the lane's waiting notifications until none is left. */
  private async pump(lane: Lane): Promise<void> {
    const { clock } = this.settings;
    const signal = this.stop.signal;
    try {
      while (lane.queue.length > 0 && !signal.aborted) {
        // A failing channel keeps a single worker: the others stand down, the last one stays.
        if (lane.consecutiveFailures > 0 && lane.workers > 1) break;
        const now = clock.now();
        if (lane.openUntil > now) {
          await sleep(clock, lane.openUntil - now, signal);
          continue;
        }
        const limit = lane.channel.rateLimitPerMinute;
        if (limit) {
          while (lane.recent.length > 0 && lane.recent[0] <= now - 60_000) lane.recent.shift();
          if (lane.recent.length >= limit) {
            await sleep(clock, lane.recent[0] + 60_000 - now, signal);
            continue;
          }
        }
        const size = isBatchChannel(lane.channel) ? lane.channel.maxBatchSize : 1;
        const batch = this.take(lane, size);
        // Everything waiting belongs to groups in flight: their workers take it next.
        if (batch.length === 0) break;
        lane.inFlight += batch.length;
        try {
          await this.deliver(lane, batch);
        } finally {
          lane.inFlight -= batch.length;
          for (const notification of batch) lane.busyGroups.delete(notification.groupKey);
        }
        // Healthy again (or still): scale back up to the waiting work.
        if (lane.consecutiveFailures === 0) this.spawn(lane);
      }
    } finally {
      lane.workers--;
      if (this.pending() === 0) {
        for (const resolve of this.idleWaiters) resolve();
        this.idleWaiters.clear();
      }
    }
  }

  /**
   * Takes up to `size` waiting notifications in queue order, skipping groups with a delivery in
   * flight (their order is kept: a group is either wholly skipped or taken in order), and marks
   * the taken groups busy.
   */
  private take(lane: Lane, size: number): AlertNotification[] {
    const batch: AlertNotification[] = [];
    const { queue, busyGroups } = lane;
    for (let i = 0; i < queue.length && batch.length < size;) {
      if (busyGroups.has(queue[i].groupKey)) {
        i++;
        continue;
      }
      batch.push(queue.splice(i, 1)[0]);
    }
    for (const notification of batch) busyGroups.add(notification.groupKey);
    return batch;
  }

  /** Attempts with retries until success, a permanent error, the retry budget or shutdown. */
  private async deliver(lane: Lane, batch: AlertNotification[]): Promise<void> {
    const { clock, maxRetries } = this.settings;
    for (let attempt = 0; ; attempt++) {
      if (lane.channel.rateLimitPerMinute) lane.recent.push(clock.now());
      try {
        await this.attempt(lane, batch);
        for (const notification of batch) this.hooks.delivered(notification, 'success');
        return;
      } catch (error) {
        if (this.stop.signal.aborted) return; // counted as a shutdown drop
        const reason = messageOf(error);
        const retryable = !(error instanceof AlertDeliveryError) || error.retryable;
        if (!retryable || attempt >= maxRetries) {
          for (const notification of batch) {
            this.hooks.delivered(notification, 'failed', `${reason} (${attempt + 1} attempts)`);
          }
          return;
        }
        const { delay, retryAfterMs } = this.backoff(lane, attempt, error);
        if (retryAfterMs !== undefined) {
          lane.held = {
            until: clock.now() + delay,
            reason: Messages.alertChannelRetryAfter(retryAfterMs, delay),
          };
        }
        this.hooks.retrying(lane.channel.name, attempt + 1, delay, reason);
        await sleep(clock, delay, this.stop.signal);
        lane.held = undefined;
        if (this.stop.signal.aborted) return;
      }
    }
  }

  /**
   * The wait before retry `attempt + 1`: the receiver's `Retry-After` when it sent one, else
   * exponential backoff with jitter; both capped at `maxBackoffMs`, and never before the circuit
   * closes.
   */
  private backoff(
    lane: Lane,
    attempt: number,
    error: unknown,
  ): { delay: number; retryAfterMs: number | undefined } {
    const { backoffMs, maxBackoffMs, clock } = this.settings;
    const retryAfterMs = error instanceof AlertDeliveryError ? error.retryAfterMs : undefined;
    const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** attempt);
    const jittered = Math.round(exponential * (0.5 + this.random() / 2));
    const wait = retryAfterMs === undefined ? jittered : Math.min(retryAfterMs, maxBackoffMs);
    return { delay: Math.max(wait, lane.openUntil - clock.now(), 0), retryAfterMs };
  }

  /** One attempt (one request) with the channel's timeout; updates the circuit breaker. */
  private async attempt(lane: Lane, batch: AlertNotification[]): Promise<void> {
    const { clock, breakerThreshold, breakerCooldownMs } = this.settings;
    const timeoutMs = lane.channel.timeoutMs ?? this.settings.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AlertDeliveryError('timed out', { retryable: true })),
      timeoutMs,
    );
    const onStop = () => controller.abort();
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    const started = process.hrtime.bigint();
    try {
      const { channel } = lane;
      if (batch.length > 1 && isBatchChannel(channel)) {
        await channel.sendBatch(batch, controller.signal);
      } else {
        await channel.send(batch[0], controller.signal);
      }
      lane.consecutiveFailures = 0;
      lane.openUntil = 0;
    } catch (error) {
      lane.consecutiveFailures++;
      if (lane.consecutiveFailures >= breakerThreshold) {
        const wasOpen = lane.openUntil > clock.now();
        lane.openUntil = clock.now() + breakerCooldownMs;
        if (!wasOpen) this.hooks.circuitOpened(lane.channel.name, lane.consecutiveFailures);
      }
      if (controller.signal.aborted && !(error instanceof AlertDeliveryError)) {
        throw new AlertDeliveryError('timed out', { retryable: true });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener('abort', onStop);
      this.hooks.duration(lane.channel.name, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
