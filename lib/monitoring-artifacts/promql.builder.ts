import type { MetricDefinition } from '../metrics/metric-catalog';

/** Escapes a label value for a double-quoted PromQL string. */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Builds the selectors of one expression: adds the configured prefix and the `service` matcher
 * to every metric, and records which metrics the expression reads, so that whatever reads a
 * disabled metric can be left out.
 */
export class PromQL {
  /** Names (without prefix) of the metrics read so far. */
  readonly used = new Set<string>();

  /**
   * @param prefix the application's `metrics.prefix`
   * @param serviceMatcher `service="api"`, `service=~"$service"`, or `undefined` for no matcher
   * @param aliases catalog names read under another name (the `openai_*` names of the AI metrics)
   */
  constructor(
    private readonly prefix: string,
    private readonly serviceMatcher: string | undefined,
    private readonly aliases?: ReadonlyMap<string, string>,
  ) {}

  /**
   * A selector of a catalog metric, e.g. `luneo_http_requests_total{service="api",status_code=~"5.."}`.
   * @param suffix `_bucket`, `_sum` or `_count` of a histogram
   */
  sel(metric: MetricDefinition, suffix = '', ...matchers: string[]): string {
    return this.raw(this.aliases?.get(metric.name) ?? metric.name, suffix, ...matchers);
  }

  /** A selector of a metric outside the catalog that carries the prefix (process metrics). */
  raw(name: string, suffix = '', ...matchers: string[]): string {
    this.used.add(name);
    return this.selector(`${this.prefix}${name}${suffix}`, matchers);
  }

  /**
   * Prometheus' own `up` series (no prefix: Prometheus writes it, not the application), each
   * with a `service` label. `up` carries only the target's labels: under the generated
   * `prometheus.yml` the target has a `service` label, but a minimal scrape configuration
   * (`job_name: api` and a target) gives `up` only `job` and `instance`. Those series take their
   * job name as service, so `ServiceDown` and "Targets Up" see the targets of both.
   */
  up(): string {
    const byJob = this.serviceMatcher?.replace(/^service/, 'job');
    const labelled = ['service!=""', this.serviceMatcher].filter(Boolean).join(',');
    const unlabelled = ['service=""', byJob].filter(Boolean).join(',');
    return (
      `(up{${labelled}} or ` + `label_replace(up{${unlabelled}}, "service", "$1", "job", "(.*)"))`
    );
  }

  private selector(name: string, matchers: string[]): string {
    const all = [this.serviceMatcher, ...matchers].filter((m): m is string => Boolean(m));
    return all.length ? `${name}{${all.join(',')}}` : name;
  }
}

/**
 * `good / (good + bad)` over 5m rates, summed by `by`. Each side falls back to the other times
 * zero, so a ratio still exists when only one of the two counters has series (all generations
 * failed, say), where the plain division returns nothing and never alerts.
 */
export function successRatio(good: string, bad: string, by: string): string {
  const g = `sum by (${by}) (rate(${good}[5m]))`;
  const b = `sum by (${by}) (rate(${bad}[5m]))`;
  const G = `(${g} or ${b} * 0)`;
  const B = `(${b} or ${g} * 0)`;
  return `${G} / (${G} + ${B})`;
}

/**
 * `part / total` of two sums grouped by `by` (or ungrouped), where a missing numerator counts
 * as 0: `sum(rate(5xx))` has no series before the first 5xx, and the plain division then
 * returns nothing ("No data") instead of a ratio of 0.
 */
export function partRatio(part: string, total: string, by?: string): string {
  const sum = by === undefined ? 'sum' : `sum by (${by})`;
  const t = `${sum} (rate(${total}[5m]))`;
  return `(${sum} (rate(${part}[5m])) or ${t} * 0) / ${t}`;
}

/**
 * An ungrouped `sum(...)` that answers 0 rather than nothing when no series exists yet (a
 * counter with labels appears only at its first increment).
 */
export function sumOrZero(expr: string): string {
  return `(sum(${expr}) or vector(0))`;
}

/** `histogram_quantile(q, sum by (by, le) (rate(<bucket>[5m])))`. */
export function quantile(phi: number, bucket: string, by: string[]): string {
  return `histogram_quantile(${phi}, sum by (${[...by, 'le'].join(', ')}) (rate(${bucket}[5m])))`;
}
