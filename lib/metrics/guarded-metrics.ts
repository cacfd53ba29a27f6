import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  Summary,
  type SummaryConfiguration,
} from 'prom-client';
import {
  boundCounterInc,
  boundHistogramObserve,
  counterFastPath,
  type FastPath,
  histogramFastPath,
  type RecordEvent,
} from './prom-client-fast-path';
import type { GuardHooks } from './series-guard';
import { SeriesGuard } from './series-guard';

type Labels = Record<string, unknown>;

/**
 * Takes prom-client's public `name` method off the instance: prom-client assigns `inc` and
 * `observe` on each instance, which would hide the guarded prototype methods. Falls back to
 * the inherited method should prom-client define it on its prototype instead.
 */
function takePublicMethod(metric: object, name: string, inherited: unknown): RecordEvent {
  const own = Object.getOwnPropertyDescriptor(metric, name);
  if (own) delete (metric as Record<string, unknown>)[name];
  return (typeof own?.value === 'function' ? own.value : inherited) as RecordEvent;
}

function dropInvalid(hooks: GuardHooks, name: string, expected: string, value: unknown): void {
  hooks.drop('invalid_value', `"${name}" expects ${expected}, got ${String(value)}`);
}

function dropFailure(hooks: GuardHooks, name: string, error: unknown): void {
  hooks.drop('internal_error', `"${name}": ${(error as Error)?.message ?? String(error)}`);
}

/**
 * Splits prom-client's `(labels?, value?)` overloads. Returns `undefined` when the event must
 * be dropped (bad labels or a bad value, already reported to the guard's hooks).
 */
function split(
  guard: SeriesGuard,
  hooks: GuardHooks,
  a: unknown,
  b: unknown,
  defaultValue: number | undefined,
  valueOk: (v: number) => boolean,
  expected: string,
): { labels: Record<string, string>; value: number } | undefined {
  const hasLabels = typeof a === 'object' && a !== null;
  const value = hasLabels ? (b ?? defaultValue) : (a ?? defaultValue);
  if (typeof value !== 'number' || !valueOk(value)) {
    dropInvalid(hooks, guard.metricName, expected, value);
    return undefined;
  }
  const labels = guard.admit(hasLabels ? a : undefined);
  return labels && { labels, value };
}

const nonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;
const finite = (v: number): boolean => Number.isFinite(v);
const NON_NEGATIVE = 'a finite number >= 0';
const FINITE = 'a finite number';

/** Runs `fn`; any error becomes a counted drop instead of reaching the caller. */
function safely(hooks: GuardHooks, name: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    dropFailure(hooks, name, error);
  }
}

/** A prom-client `Counter` whose events are validated and bounded; it never throws. @internal */
export class GuardedCounter<T extends string = string> extends Counter<T> {
  private readonly guard: SeriesGuard;
  private readonly publicInc: RecordEvent;

  /**
   * @param config prom-client's configuration
   * @param hooks where drops and overflows are reported
   * @param fastPath whether bound children update series in place (see {@link counterFastPath})
   */
  constructor(
    config: CounterConfiguration<T>,
    private readonly hooks: GuardHooks,
    private readonly fastPath: Pick<FastPath, 'enabled'> = counterFastPath(),
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
    this.publicInc = takePublicMethod(this, 'inc', (Counter.prototype as { inc?: unknown }).inc);
  }

  override inc(a?: any, b?: number): void {
    safely(this.hooks, this.guard.metricName, () => {
      const event = split(this.guard, this.hooks, a, b, 1, nonNegative, NON_NEGATIVE);
      if (event) this.publicInc(event.labels, event.value);
    });
  }

  /**
   * A child for a fixed label set, admitted once: for hot paths that resolve their labels at
   * bootstrap. Its `inc` skips per-call label checks; bad values are dropped and counted as
   * by `inc`. Once prom-client passed the self-check ({@link counterFastPath}), it updates the
   * series in place.
   * @internal
   */
  bind(labels: Record<string, unknown>): { inc(value?: number): void } {
    const admitted = this.guard.admit(labels);
    if (!admitted) return { inc: () => undefined };
    const { hooks } = this;
    const name = this.guard.metricName;
    return {
      inc: boundCounterInc(this, admitted, this.fastPath, this.publicInc, {
        invalid: (value) => dropInvalid(hooks, name, NON_NEGATIVE, value),
        failed: (error) => dropFailure(hooks, name, error),
      }),
    };
  }

  override labels(...values: any[]): Counter.Internal {
    const labels = this.guard.fromPositional(values);
    return { inc: (value?: number) => labels && this.inc(labels as LabelValues<T>, value ?? 1) };
  }

  override reset(): void {
    super.reset();
    this.guard?.clear();
  }

  override remove(...values: any[]): void {
    this.guard.removeSeries(values, (labels) => super.remove(labels as LabelValues<T>));
  }
}

/** A prom-client `Gauge` whose events are validated and bounded; it never throws. @internal */
export class GuardedGauge<T extends string = string> extends Gauge<T> {
  private readonly guard: SeriesGuard;

  constructor(
    config: GaugeConfiguration<T>,
    private readonly hooks: GuardHooks,
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
  }

  private apply(op: 'inc' | 'dec' | 'set', a: unknown, b: unknown): void {
    safely(this.hooks, this.guard.metricName, () => {
      const fallback = op === 'set' ? undefined : 1;
      const event = split(this.guard, this.hooks, a, b, fallback, finite, FINITE);
      if (event) super[op](event.labels as LabelValues<T>, event.value);
    });
  }

  override inc(a?: LabelValues<T> | number, b?: number): void {
    this.apply('inc', a, b);
  }

  override dec(a?: LabelValues<T> | number, b?: number): void {
    this.apply('dec', a, b);
  }

  override set(a: LabelValues<T> | number, b?: number): void {
    this.apply('set', a, b);
  }

  override labels(...values: any[]): Gauge.Internal<T> {
    const labels = this.guard.fromPositional(values) as LabelValues<T> | undefined;
    const noop = (): void => undefined;
    return {
      inc: (value?: number) => (labels ? this.inc(labels, value ?? 1) : noop()),
      dec: (value?: number) => (labels ? this.dec(labels, value ?? 1) : noop()),
      set: (value: number) => (labels ? this.set(labels, value) : noop()),
      setToCurrentTime: () => (labels ? this.setToCurrentTime(labels) : noop()),
      startTimer: () => {
        const end = labels ? this.startTimer(labels) : () => 0;
        return () => end();
      },
    };
  }

  override reset(): void {
    super.reset();
    this.guard?.clear();
  }

  override remove(...values: any[]): void {
    this.guard.removeSeries(values, (labels) => super.remove(labels as LabelValues<T>));
  }
}

/** Shared `observe`/`labels` guarding of histograms and summaries. */
function observeGuarded(
  guard: SeriesGuard,
  hooks: GuardHooks,
  a: unknown,
  b: unknown,
  record: (labels: Labels, value: number) => void,
): void {
  safely(hooks, guard.metricName, () => {
    const event = split(guard, hooks, a, b, undefined, finite, FINITE);
    if (event) record(event.labels, event.value);
  });
}

/** A prom-client `Histogram` whose events are validated and bounded; it never throws. @internal */
export class GuardedHistogram<T extends string = string> extends Histogram<T> {
  private readonly guard: SeriesGuard;
  private readonly publicObserve: RecordEvent;

  /**
   * @param config prom-client's configuration
   * @param hooks where drops and overflows are reported
   * @param fastPath whether bound children update series in place (see {@link histogramFastPath})
   */
  constructor(
    config: HistogramConfiguration<T>,
    private readonly hooks: GuardHooks,
    private readonly fastPath: Pick<FastPath, 'enabled'> = histogramFastPath(),
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
    this.publicObserve = takePublicMethod(
      this,
      'observe',
      (Histogram.prototype as { observe?: unknown }).observe,
    );
  }

  override observe(a: any, b?: number): void {
    observeGuarded(this.guard, this.hooks, a, b, (labels, value) =>
      this.publicObserve(labels, value),
    );
  }

  /**
   * A child for a fixed label set, admitted once: for hot paths that resolve their labels at
   * bootstrap. Its `observe` skips per-call label checks; bad values are dropped and counted as
   * by `observe`. Once prom-client passed the self-check ({@link histogramFastPath}), it
   * updates the series in place.
   * @internal
   */
  bind(labels: Record<string, unknown>): { observe(value: number): void } {
    const admitted = this.guard.admit(labels);
    if (!admitted) return { observe: () => undefined };
    const { hooks } = this;
    const name = this.guard.metricName;
    return {
      observe: boundHistogramObserve(this, admitted, this.fastPath, this.publicObserve, {
        invalid: (value) => dropInvalid(hooks, name, FINITE, value),
        failed: (error) => dropFailure(hooks, name, error),
      }),
    };
  }

  override labels(...values: any[]): Histogram.Internal<T> {
    const labels = this.guard.fromPositional(values) as LabelValues<T> | undefined;
    return {
      observe: (value: number) => labels && this.observe(labels, value),
      startTimer: (end?: LabelValues<T>) => {
        const stop = labels ? this.startTimer(labels) : () => 0;
        return (more?: LabelValues<T>) => stop({ ...end, ...more });
      },
    };
  }

  override reset(): void {
    super.reset();
    this.guard?.clear();
  }

  override remove(...values: any[]): void {
    this.guard.removeSeries(values, (labels) => super.remove(labels as LabelValues<T>));
  }
}

/** A prom-client `Summary` whose events are validated and bounded; it never throws. @internal */
export class GuardedSummary<T extends string = string> extends Summary<T> {
  private readonly guard: SeriesGuard;

  constructor(
    config: SummaryConfiguration<T>,
    private readonly hooks: GuardHooks,
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
  }

  override observe(a: any, b?: number): void {
    observeGuarded(this.guard, this.hooks, a, b, (labels, value) =>
      super.observe(labels as LabelValues<T>, value),
    );
  }

  override labels(...values: any[]): Summary.Internal<T> {
    const labels = this.guard.fromPositional(values) as LabelValues<T> | undefined;
    return {
      observe: (value: number) => labels && this.observe(labels, value),
      startTimer: (end?: LabelValues<T>) => {
        const stop = labels ? this.startTimer(labels) : () => 0;
        return (more?: LabelValues<T>) => stop({ ...end, ...more });
      },
    };
  }

  override reset(): void {
    super.reset();
    this.guard?.clear();
  }

  override remove(...values: any[]): void {
    this.guard.removeSeries(values, (labels) => super.remove(labels as LabelValues<T>));
  }
}
