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
import type { GuardHooks } from './series-guard';
import { SeriesGuard } from './series-guard';

type Labels = Record<string, unknown>;

/** prom-client's implementations behind `inc`/`observe`, which it binds per instance. */
interface RawCounter {
  incWithoutExemplar(labels: Labels, value: number): void;
}
interface RawHistogram {
  observeWithoutExemplar(labels: Labels, value: number): void;
}
/** prom-client's per-series state of a counter, keyed by its label hash. */
interface RawCounterState {
  hashMap: Record<string, { value: number } | undefined>;
  sortedLabelNames: readonly string[];
}
/** prom-client's per-series state of a histogram, keyed by its label hash. */
interface RawHistogramSeries {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
}
interface RawHistogramState {
  hashMap: Record<string, RawHistogramSeries | undefined>;
  upperBounds: readonly number[];
  sortedLabelNames: readonly string[];
  enableExemplars: boolean;
}

/**
 * The key prom-client files a series under (its `hashObject`), computed once for a bound child.
 * Should prom-client change its format, the bound child only loses its fast path: a lookup that
 * misses falls back to prom-client's own method.
 */
function seriesKey(sortedLabelNames: readonly string[], labels: Record<string, string>): string {
  let key = '';
  for (const name of sortedLabelNames) {
    if (labels[name] !== undefined) key += `${name}:${labels[name]},`;
  }
  return key;
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
    hooks.drop('invalid_value', `"${guard.metricName}" expects ${expected}, got ${String(value)}`);
    return undefined;
  }
  const labels = guard.admit(hasLabels ? a : undefined);
  return labels && { labels, value };
}

const nonNegative = (v: number): boolean => Number.isFinite(v) && v >= 0;
const finite = (v: number): boolean => Number.isFinite(v);

/** Runs `fn`; any error becomes a counted drop instead of reaching the caller. */
function safely(hooks: GuardHooks, name: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    hooks.drop('internal_error', `"${name}": ${(error as Error)?.message ?? String(error)}`);
  }
}

/** A prom-client `Counter` whose events are validated and bounded; it never throws. */
export class GuardedCounter<T extends string = string> extends Counter<T> {
  private readonly guard: SeriesGuard;

  constructor(
    config: CounterConfiguration<T>,
    private readonly hooks: GuardHooks,
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
    // prom-client assigns `inc` on the instance, which would hide the guarded prototype method.
    delete (this as Partial<this>).inc;
  }

  private rawInc(labels: Record<string, string>, value: number): void {
    (this as unknown as RawCounter).incWithoutExemplar(labels, value);
  }

  override inc(a?: any, b?: number): void {
    safely(this.hooks, this.guard.metricName, () => {
      const event = split(this.guard, this.hooks, a, b, 1, nonNegative, 'a finite number >= 0');
      if (event) this.rawInc(event.labels, event.value);
    });
  }

  /**
   * A child for a fixed label set, admitted once: for hot paths that resolve their labels at
   * bootstrap. Its `inc` skips per-call label checks; values must be valid.
   * @internal
   */
  bind(labels: Record<string, unknown>): { inc(value?: number): void } {
    const admitted = this.guard.admit(labels);
    if (!admitted) return { inc: () => undefined };
    const raw = this as unknown as RawCounterState;
    // prom-client's own path hashes and validates the labels on every call; for a bound
    // child they are fixed, so the series is updated in place once it exists.
    const key = seriesKey(raw.sortedLabelNames, admitted);
    return {
      inc: (value = 1) => {
        const series = raw.hashMap[key];
        if (series === undefined || !(value >= 0) || value === Infinity) {
          this.rawInc(admitted, value);
        } else {
          series.value += value;
        }
      },
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

/** A prom-client `Gauge` whose events are validated and bounded; it never throws. */
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
      const event = split(this.guard, this.hooks, a, b, fallback, finite, 'a finite number');
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
    const event = split(guard, hooks, a, b, undefined, finite, 'a finite number');
    if (event) record(event.labels, event.value);
  });
}

/** A prom-client `Histogram` whose events are validated and bounded; it never throws. */
export class GuardedHistogram<T extends string = string> extends Histogram<T> {
  private readonly guard: SeriesGuard;

  constructor(
    config: HistogramConfiguration<T>,
    private readonly hooks: GuardHooks,
  ) {
    super(config);
    this.guard = new SeriesGuard(config.name, config.labelNames ?? [], hooks);
    // prom-client assigns `observe` on the instance, which would hide the guarded prototype method.
    delete (this as Partial<this>).observe;
  }

  override observe(a: any, b?: number): void {
    observeGuarded(this.guard, this.hooks, a, b, (labels, value) =>
      (this as unknown as RawHistogram).observeWithoutExemplar(labels, value),
    );
  }

  /**
   * A child for a fixed label set, admitted once: for hot paths that resolve their labels at
   * bootstrap. Its `observe` skips per-call label checks; values must be finite.
   * @internal
   */
  bind(labels: Record<string, unknown>): { observe(value: number): void } {
    const admitted = this.guard.admit(labels);
    if (!admitted) return { observe: () => undefined };
    const raw = this as unknown as RawHistogram & RawHistogramState;
    // prom-client's own path rebuilds the series key and turns each bucket bound into a
    // property key on every call (~400 ns); both are fixed for a bound child.
    const bounds = raw.upperBounds;
    const bucketKeys = bounds.map(String);
    const key = seriesKey(raw.sortedLabelNames, admitted);
    let fast = !raw.enableExemplars;
    return {
      observe: (value: number) => {
        const series = fast ? raw.hashMap[key] : undefined;
        if (!series || !Number.isFinite(value)) {
          // First call, after reset()/remove(), or an invalid value: prom-client's path
          // creates the series (or throws); the fast path stays on only if the key matches.
          raw.observeWithoutExemplar(admitted, value);
          fast = !raw.enableExemplars && raw.hashMap[key] !== undefined;
          return;
        }
        series.sum += value;
        series.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]) {
            series.bucketValues[bucketKeys[i]] += 1;
            return;
          }
        }
      },
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

/** A prom-client `Summary` whose events are validated and bounded; it never throws. */
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
