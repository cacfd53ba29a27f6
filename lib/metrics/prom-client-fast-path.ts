import { Counter, Histogram, Registry } from 'prom-client';
import { loadOptional } from '../config/optional-module';

type Labels = Record<string, string>;

/** prom-client's per-series state of a counter, keyed by its label hash. Private to it. */
interface RawCounterState {
  hashMap: Record<string, { value: number } | undefined>;
  sortedLabelNames: readonly string[];
}
/** prom-client's per-series state of a histogram, keyed by its label hash. Private to it. */
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

/** prom-client's public `inc`/`observe` (an instance's own, or its prototype's). */
export type RecordEvent = (labels: Record<string, unknown>, value: number) => void;

/** What a bound child reports instead of throwing. */
export interface BoundChildHooks {
  /** A value the public method would reject (negative for a counter, not finite). */
  invalid(value: unknown): void;
  /** Anything else that threw. */
  failed(error: unknown): void;
}

/**
 * Whether the bound children of one prom-client metric class may update its private state in
 * place (see {@link counterFastPath}).
 */
export interface FastPath {
  /** `true` once the self-check has passed; until then, and for good if it fails, `false`. */
  readonly enabled: boolean;
  /** Resolves to `undefined` when the check passed, or to the reason it failed. */
  readonly verdict: Promise<string | undefined>;
}

/** The verdict of one self-check, shared by every metric of the class it checked. */
class FastPathState implements FastPath {
  constructor(
    public enabled: boolean,
    public verdict: Promise<string | undefined>,
  ) {}
}

/** The key prom-client files a series under (its `hashObject` with label names). */
function seriesKey(sortedLabelNames: readonly string[], labels: Labels): string {
  let key = '';
  for (const name of sortedLabelNames) {
    if (labels[name] !== undefined) key += `${name}:${labels[name]},`;
  }
  return key;
}

const COUNTER_MEMBERS = ['hashMap', 'sortedLabelNames'];
const HISTOGRAM_MEMBERS = ['hashMap', 'sortedLabelNames', 'upperBounds'];

/** The first of `members` the metric lacks (each must be an object or an array). */
function missingMember(metric: object, members: readonly string[]): string | undefined {
  const raw = metric as Record<string, unknown>;
  return members.find((member) => typeof raw[member] !== 'object' || raw[member] === null);
}

/**
 * The `inc` of a counter child bound to fixed, admitted labels. prom-client's own `inc` hashes
 * and validates the labels on every call; once `path` is enabled, this one adds to the series
 * in place, and only calls `publicInc` when the series does not exist (first event, after
 * `reset()` or `remove()`), which creates it. It never throws.
 */
export function boundCounterInc(
  counter: object,
  labels: Labels,
  path: Pick<FastPath, 'enabled'>,
  publicInc: RecordEvent,
  hooks: BoundChildHooks,
): (value?: number) => void {
  const raw = counter as RawCounterState;
  const key = missingMember(counter, COUNTER_MEMBERS)
    ? undefined
    : seriesKey(raw.sortedLabelNames, labels);
  return (value = 1) => {
    try {
      if (!(Number.isFinite(value) && value >= 0)) return hooks.invalid(value);
      if (path.enabled && key !== undefined) {
        const series = raw.hashMap[key];
        if (series !== undefined) {
          series.value += value;
          return;
        }
      }
      publicInc.call(counter, labels, value);
    } catch (error) {
      hooks.failed(error);
    }
  };
}

/**
 * The `observe` of a histogram child bound to fixed, admitted labels. prom-client's own
 * `observe` rebuilds the series key and turns each bucket bound into a property key on every
 * call (~400 ns); once `path` is enabled, this one updates the series in place, and only calls
 * `publicObserve` when the series does not exist, which creates it. It never throws.
 */
export function boundHistogramObserve(
  histogram: object,
  labels: Labels,
  path: Pick<FastPath, 'enabled'>,
  publicObserve: RecordEvent,
  hooks: BoundChildHooks,
): (value: number) => void {
  const raw = histogram as RawHistogramState;
  // prom-client keeps exemplars next to the buckets; only its own path updates them.
  const usable = !missingMember(histogram, HISTOGRAM_MEMBERS) && !raw.enableExemplars;
  const key = usable ? seriesKey(raw.sortedLabelNames, labels) : undefined;
  const bounds: readonly number[] = usable ? raw.upperBounds : [];
  const bucketKeys = bounds.map(String);
  return (value) => {
    try {
      if (!Number.isFinite(value)) return hooks.invalid(value);
      if (path.enabled && key !== undefined) {
        const series = raw.hashMap[key];
        if (series !== undefined) {
          series.sum += value;
          series.count += 1;
          for (let i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
              series.bucketValues[bucketKeys[i]] += 1;
              break;
            }
          }
          return;
        }
      }
      publicObserve.call(histogram, labels, value);
    } catch (error) {
      hooks.failed(error);
    }
  };
}

/**
 * The self-check's copy of the in-place update of {@link boundCounterInc}: the same reads and
 * writes of prom-client's state, returning `false` when the series does not exist. A copy, not
 * a bound child: V8 shares a function's inline caches between every closure it creates, and
 * the check's series keys would leave the application's bound children on megamorphic lookups
 * (measured at +18 ns per `@TrackDuration()` call).
 */
function counterProbe(counter: object, labels: Labels): (value: number) => boolean {
  const raw = counter as RawCounterState;
  const key = seriesKey(raw.sortedLabelNames, labels);
  return (value) => {
    const series = raw.hashMap[key];
    if (series === undefined) return false;
    series.value += value;
    return true;
  };
}

/** The self-check's copy of the in-place update of {@link boundHistogramObserve}. */
function histogramProbe(histogram: object, labels: Labels): (value: number) => boolean {
  const raw = histogram as RawHistogramState;
  if (raw.enableExemplars) return () => false;
  const key = seriesKey(raw.sortedLabelNames, labels);
  const bounds = raw.upperBounds;
  const bucketKeys = bounds.map(String);
  return (value) => {
    const series = raw.hashMap[key];
    if (series === undefined) return false;
    series.sum += value;
    series.count += 1;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        series.bucketValues[bucketKeys[i]] += 1;
        break;
      }
    }
    return true;
  };
}

/**
 * Label sets whose keys would collide, or miss, under another key format (values swapped,
 * labels absent); the last but one is the first in another key order (the same series).
 */
const CHECK_LABELS: readonly Labels[] = [
  { a: 'x', b: 'y' },
  { b: 'x', a: 'y' },
  { a: 'x' },
  { b: 'x' },
  { b: 'y', a: 'x' },
  {},
];
const CHECK_VALUES = {
  // Whole numbers, as most counters count: one fraction would make V8 store the `value` of
  // every prom-client counter series in the process as a boxed double.
  Counter: [1, 0, 1, 2, 5, 10, 3, 11, 7, 4, 1, 3, 100, 2],
  // Bucket bounds, values between and beyond them, and negatives (valid in a histogram).
  Histogram: [1, 0, 0.1, 2.5, 1e-9, 10, 0.3, 11, -0.5, 0.05, 1, 3, 100, 0.2],
};
const CHECK_CONFIG = { help: 'The self-check of the fast path.', labelNames: ['a', 'b'] };

/** Two prom-client metrics of one kind, each on a scratch registry. */
interface Twins {
  readonly kind: 'Counter' | 'Histogram';
  /** Recorded in place where the series exists, through its public method otherwise. */
  readonly fast: object;
  /** An in-place update of one series of `fast` (see {@link counterProbe}). */
  probe(labels: Labels): (value: number) => boolean;
  /** Records on `fast` through its public `inc`/`observe`. */
  create(labels: Labels, value: number): void;
  /** Records on `reference` through `labels(labels).inc(value)` or `inc(labels, value)`. */
  reference(labels: Labels, value: number, viaLabels: boolean): void;
  reset(): void;
  remove(labels: Labels): void;
  /** The `values` of `await metric.get()`, of `fast` and of `reference`. */
  values(): Promise<[unknown, unknown]>;
}

/** JSON with the keys of every object sorted: label order is not a difference in value. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/**
 * Drives `twins` through the same events, with a `reset()` and a `remove()` between rounds:
 * `fast` as bound children record them, `reference` through the public API only. Returns why
 * they differ, or `undefined` when every existing series was updated in place and both
 * metrics hold identical values.
 */
async function compareTwins(twins: Twins): Promise<string | undefined> {
  const { kind } = twins;
  const missing = missingMember(
    twins.fast,
    kind === 'Counter' ? COUNTER_MEMBERS : HISTOGRAM_MEMBERS,
  );
  if (missing) return `${kind}: no "${missing}" field`;
  const probes = CHECK_LABELS.map((labels) => twins.probe(labels));
  const present = new Set<string>();
  const series = (k: number): string => JSON.stringify(Object.entries(CHECK_LABELS[k]).sort());
  let creations = 0;
  let publicCalls = 0;
  const round = (): void => {
    CHECK_VALUES[kind].forEach((value, i) => {
      const k = (i * 7) % CHECK_LABELS.length;
      if (!present.has(series(k))) {
        present.add(series(k));
        creations++;
      }
      if (!probes[k](value)) {
        publicCalls++;
        twins.create(CHECK_LABELS[k], value);
      }
      twins.reference(CHECK_LABELS[k], value, i % 2 === 1);
    });
  };
  round();
  round();
  twins.reset();
  present.clear();
  round();
  twins.remove(CHECK_LABELS[0]);
  present.delete(series(0));
  round();
  if (publicCalls !== creations) {
    return `${kind}: its series keys are not in the format the fast path computes`;
  }
  const [fast, reference] = await twins.values();
  if (canonical(fast) !== canonical(reference)) {
    return `${kind}: the fast path recorded other values than prom-client's public API`;
  }
  return undefined;
}

function counterTwins(): Twins {
  const config = { ...CHECK_CONFIG, name: 'fast_path_check_total' };
  const fast = new Counter({ ...config, registers: [new Registry()] });
  const reference = new Counter({ ...config, registers: [new Registry()] });
  return {
    kind: 'Counter',
    fast,
    probe: (labels) => counterProbe(fast, labels),
    create: (labels, value) => fast.inc(labels, value),
    reference: (labels, value, viaLabels) =>
      viaLabels ? reference.labels(labels).inc(value) : reference.inc(labels, value),
    reset: () => {
      fast.reset();
      reference.reset();
    },
    remove: (labels) => {
      fast.remove(labels);
      reference.remove(labels);
    },
    values: async () => [(await fast.get()).values, (await reference.get()).values],
  };
}

function histogramTwins(): Twins {
  const config = { ...CHECK_CONFIG, name: 'fast_path_check_seconds', buckets: [0.1, 1, 10] };
  const fast = new Histogram({ ...config, registers: [new Registry()] });
  const reference = new Histogram({ ...config, registers: [new Registry()] });
  return {
    kind: 'Histogram',
    fast,
    probe: (labels) => histogramProbe(fast, labels),
    create: (labels, value) => fast.observe(labels, value),
    reference: (labels, value, viaLabels) =>
      viaLabels ? reference.labels(labels).observe(value) : reference.observe(labels, value),
    reset: () => {
      fast.reset();
      reference.reset();
    },
    remove: (labels) => {
      fast.remove(labels);
      reference.remove(labels);
    },
    values: async () => [(await fast.get()).values, (await reference.get()).values],
  };
}

/** The verdict of each prom-client class, so the check runs once per loaded prom-client. */
const FAST_PATHS = new WeakMap<object, FastPath>();

function selfCheckedFastPath(metricClass: object, twins: () => Twins): FastPath {
  let path = FAST_PATHS.get(metricClass);
  if (!path) {
    const state = new FastPathState(false, Promise.resolve(undefined));
    const kind = metricClass === Counter ? 'Counter' : 'Histogram';
    state.verdict = Promise.resolve()
      .then(() => compareTwins(twins()))
      .then(
        (failure) => {
          state.enabled = failure === undefined;
          return failure;
        },
        (error: unknown) => `${kind}: ${(error as Error)?.message ?? String(error)}`,
      );
    path = state;
    FAST_PATHS.set(metricClass, path);
  }
  return path;
}

/**
 * The fast path of `GuardedCounter.bind()`. Bound children update prom-client's private series
 * state in place (its `hashMap` and key format), which no semver range protects. So, once per
 * loaded prom-client, twin counters on scratch registries record the same events, one in place
 * (where its series exists) and one through the public API, and the fast path turns on only if
 * the series were found under the keys the fast path computes and the values (`await
 * metric.get()`) are identical. Until then, and for good if the check fails, bound children use
 * the public API: the same values, for more CPU per event.
 */
export function counterFastPath(): FastPath {
  return selfCheckedFastPath(Counter, counterTwins);
}

/**
 * The same self-check as {@link counterFastPath}, for `GuardedHistogram.bind()`
 * (`bucketValues`, `sum`, `count`).
 */
export function histogramFastPath(): FastPath {
  return selfCheckedFastPath(Histogram, histogramTwins);
}

/** The version of the loaded prom-client, for diagnostics. */
export function promClientVersion(): string {
  try {
    return loadOptional<{ version?: string }>('prom-client/package.json')?.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
