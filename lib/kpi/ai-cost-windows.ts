import type { Gauge } from 'prom-client';
import type { AlertClock } from '../alerting/alert-clock';
import type { CostWindow } from './business-kpi-options.interface';

/** A cost spike found by the in-process detector, as passed to `onCostSpike` listeners. */
export interface CostSpikeEvent {
  /** Cost of the current window, in US cents. */
  currentCents: number;
  /** Average cost of the previous windows, in US cents. */
  baselineCents: number;
  /** The window's `time_window` label (`'1h'`). */
  window: string;
}

/** The detector's rule: cost above `threshold` x baseline for `forMs`. */
export interface CostSpikeRule {
  threshold: number;
  forMs: number;
}

class WindowState {
  /** Start of the current window (ms since the epoch, a multiple of its length). */
  start: number;
  /** The current window began before the process started: its cost is partial. */
  partial: boolean;
  current = 0;
  readonly history: number[] = [];
  timer: unknown;
  /** Start of the window whose spike was raised. */
  raised: number | undefined;

  constructor(
    readonly window: CostWindow,
    now: number,
  ) {
    this.start = Math.floor(now / window.ms) * window.ms;
    this.partial = now > this.start;
  }
}

/**
 * AI cost per clock-aligned window (`ai_cost_current_cents{time_window}`) and its baseline, the
 * average of the previous complete windows (`ai_cost_baseline_cents{time_window}`), with an
 * in-process spike detector: cost above `threshold` x baseline that still holds `forMs` later,
 * in the same window, is reported once per window. The window the process started in is
 * partial and never part of a baseline; there is no baseline (no gauge, no detection) before
 * the first complete window ends.
 *
 * @internal Fed by `trackAiRequest()`.
 */
export class AiCostWindows {
  private readonly states: WindowState[];

  constructor(
    windows: readonly CostWindow[],
    private readonly baselineWindows: number,
    private readonly rule: CostSpikeRule | undefined,
    private readonly clock: AlertClock,
    private readonly onSpike: (event: CostSpikeEvent) => void,
  ) {
    const now = clock.now();
    this.states = windows.map((window) => new WindowState(window, now));
  }

  /** Adds `cents` to the current window of every time window, then checks for a spike. */
  add(cents: number): void {
    this.roll();
    for (const state of this.states) {
      state.current += cents;
      this.check(state);
    }
  }

  /** The baseline of `state`, or `undefined` before its first complete window. */
  private baseline(state: WindowState): number | undefined {
    const { history } = state;
    if (history.length === 0) return undefined;
    let sum = 0;
    for (const cost of history) sum += cost;
    return sum / history.length;
  }

  /** Writes both gauges at scrape time. */
  collect(current: Gauge<string>, baseline: Gauge<string>): void {
    this.roll();
    for (const state of this.states) {
      const labels = { time_window: state.window.label };
      current.set(labels, state.current);
      const value = this.baseline(state);
      if (value !== undefined) baseline.set(labels, value);
    }
  }

  /** Stops the pending spike checks. */
  close(): void {
    for (const state of this.states) this.cancel(state);
  }

  /** Moves every window whose end has passed into its history. */
  private roll(): void {
    const now = this.clock.now();
    for (const state of this.states) {
      const { ms } = state.window;
      const start = Math.floor(now / ms) * ms;
      if (start <= state.start) continue;
      const ended = Math.min((start - state.start) / ms, this.baselineWindows + 1);
      if (!state.partial) state.history.push(state.current);
      // Windows without any request cost nothing.
      for (let i = 1; i < ended; i++) state.history.push(0);
      while (state.history.length > this.baselineWindows) state.history.shift();
      state.start = start;
      state.partial = false;
      state.current = 0;
      this.cancel(state);
    }
  }

  private check(state: WindowState): void {
    const rule = this.rule;
    if (!rule || state.raised === state.start || state.timer !== undefined) return;
    const baseline = this.baseline(state);
    if (baseline === undefined || !(state.current > rule.threshold * baseline)) return;
    if (rule.forMs === 0) {
      this.raise(state, baseline);
      return;
    }
    const start = state.start;
    state.timer = this.clock.setTimeout(() => {
      state.timer = undefined;
      this.roll();
      // Cost only rises within a window: still the same window means the spike held.
      if (state.start !== start || state.raised === start) return;
      const now = this.baseline(state);
      if (now !== undefined && state.current > rule.threshold * now) this.raise(state, now);
    }, rule.forMs);
  }

  private raise(state: WindowState, baseline: number): void {
    state.raised = state.start;
    this.onSpike({
      currentCents: state.current,
      baselineCents: baseline,
      window: state.window.label,
    });
  }

  private cancel(state: WindowState): void {
    if (state.timer === undefined) return;
    this.clock.clearTimeout(state.timer);
    state.timer = undefined;
  }
}
