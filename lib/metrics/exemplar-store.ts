import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';

/** One exemplar: the trace of an observation that fell into a bucket. */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
  readonly value: number;
  /** Seconds since the epoch. */
  readonly timestamp: number;
}

/** prom-client's private state of a histogram (what the exposition reads too). */
interface RawHistogram {
  hashMap: Record<string, object | undefined>;
  upperBounds: readonly number[];
  sortedLabelNames: readonly string[];
}

/**
 * The latest exemplar of each bucket of each series, per histogram. Keyed by prom-client's
 * series objects, so a series removed or reset takes its exemplars with it. Kept beside
 * prom-client rather than in it (`enableExemplars`), which would switch the histogram off the
 * in-place fast path and change the Prometheus text: here the text form is untouched and only
 * the OpenMetrics form shows exemplars.
 */
const STORES = new WeakMap<object, WeakMap<object, (Exemplar | undefined)[]>>();

/** The exemplars of `histogram`'s series, if any was ever recorded. @internal */
export function exemplarsOf(
  histogram: object,
): WeakMap<object, (Exemplar | undefined)[]> | undefined {
  return STORES.get(histogram);
}

/** The sampled span active now, as exemplar ids; `undefined` outside one. */
export function activeSampledSpan(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const ids = span.spanContext();
  // An unsampled trace is not stored anywhere: an exemplar pointing at it would lead nowhere.
  if (!isSpanContextValid(ids) || (ids.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { traceId: ids.traceId, spanId: ids.spanId };
}

/**
 * Records exemplars for one series of a histogram (fixed labels), next to the observations
 * made through its bound child. Never throws.
 * @internal
 */
export class SeriesExemplars {
  private readonly raw: RawHistogram | undefined;
  private readonly key: string;

  constructor(histogram: object, labels: Readonly<Record<string, string>>) {
    const raw = histogram as Partial<RawHistogram>;
    const ok =
      typeof raw.hashMap === 'object' &&
      Array.isArray(raw.upperBounds) &&
      Array.isArray(raw.sortedLabelNames);
    this.raw = ok ? (raw as RawHistogram) : undefined;
    let key = '';
    for (const name of this.raw?.sortedLabelNames ?? []) {
      if (labels[name] !== undefined) key += `${name}:${labels[name]},`;
    }
    this.key = key;
    if (this.raw && !STORES.has(histogram)) STORES.set(histogram, new WeakMap());
  }

  /** Keeps `traceId`/`spanId` as the exemplar of the bucket `value` fell into. */
  record(value: number, traceId: string, spanId: string): void {
    try {
      const raw = this.raw;
      if (!raw) return;
      const series = raw.hashMap[this.key];
      if (!series) return;
      const store = STORES.get(raw as object);
      if (!store) return;
      let exemplars = store.get(series);
      if (!exemplars) store.set(series, (exemplars = []));
      const bounds = raw.upperBounds;
      let bucket = bounds.length;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          bucket = i;
          break;
        }
      }
      exemplars[bucket] = { traceId, spanId, value, timestamp: Date.now() / 1000 };
    } catch {
      // an exemplar is a nicety: never fail the observation for it
    }
  }

  /** Records the active sampled span's ids, if any. */
  recordActive(value: number): void {
    const ids = activeSampledSpan();
    if (ids) this.record(value, ids.traceId, ids.spanId);
  }
}

/** An exemplar as OpenMetrics writes it after a bucket sample: ` # {trace_id="...",span_id="..."} value timestamp`. */
export function exemplarText(exemplar: Exemplar): string {
  return ` # {trace_id="${exemplar.traceId}",span_id="${exemplar.spanId}"} ${exemplar.value} ${exemplar.timestamp.toFixed(3)}`;
}
