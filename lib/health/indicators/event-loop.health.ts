import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { performance } from 'node:perf_hooks';
import { Messages } from '../../observability.messages';

/** Interval of the drift sampler. A blocked loop delays its next tick by the blocking time. */
const SAMPLE_INTERVAL_MS = 50;
/** The lag reported is the worst drift of the current and the previous window of this length. */
const WINDOW_MS = 5000;

/**
 * Event-loop lag (`event_loop`): a timer ticks every 50 ms and records how late it fires; the
 * indicator is down when the worst delay of the last 5-10 seconds exceeds `maxLagMs`. A drift
 * sampler is used rather than `monitorEventLoopDelay` because it also sees a block that starts
 * in the same loop iteration as its own tick.
 *
 * @example
 * ```ts
 * const loop = new EventLoopHealthIndicator(indicatorService, { maxLagMs: 1000 });
 * loop.start();
 * await loop.check('event_loop'); // { event_loop: { status: 'up', lagMs: 2, maxLagMs: 1000 } }
 * ```
 */
export class EventLoopHealthIndicator {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private windowStart = 0;
  private currentMax = 0;
  private previousMax = 0;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly options: { maxLagMs: number },
  ) {}

  /** Starts sampling (idempotent). The timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.last = this.windowStart = performance.now();
    this.timer = setInterval(() => this.tick(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Worst lag of the last 5-10 seconds in whole milliseconds, including a block in progress. */
  lagMs(): number {
    const pending = this.timer ? performance.now() - this.last - SAMPLE_INTERVAL_MS : 0;
    return Math.max(0, Math.round(Math.max(this.currentMax, this.previousMax, pending)));
  }

  /** `up` with `{ lagMs, maxLagMs }`, or `down` with a message when the lag is too high. */
  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const lagMs = this.lagMs();
    const { maxLagMs } = this.options;
    const session = this.indicators.check(key);
    return lagMs > maxLagMs
      ? session.down({ lagMs, maxLagMs, message: Messages.eventLoopLagged(lagMs, maxLagMs) })
      : session.up({ lagMs, maxLagMs });
  }

  private tick(): void {
    const now = performance.now();
    const drift = now - this.last - SAMPLE_INTERVAL_MS;
    this.last = now;
    if (drift > this.currentMax) this.currentMax = drift;
    if (now - this.windowStart >= WINDOW_MS) {
      this.previousMax = this.currentMax;
      this.currentMax = 0;
      this.windowStart = now;
    }
  }
}
