import { MAX_LABEL_VALUE_LENGTH, OVERFLOW_LABEL_VALUE } from '../observability.constants';

/** Why a metric event was dropped; the `reason` label of `observability_dropped_events_total`. */
export type DropReason =
  | 'invalid_value'
  | 'invalid_label'
  | 'invalid_kpi'
  | 'invalid_amount'
  | 'invalid_currency'
  | 'internal_error';

/** What a guard reports to the registry that owns it. */
export interface GuardHooks {
  readonly maxSeries: number;
  drop(reason: DropReason, detail: string): void;
  overflow(metricName: string): void;
}

const INVALID = Symbol('invalid');

/** Turns a label value into a bounded string, or `undefined` for an absent label. */
export function sanitizeLabelValue(value: unknown): string | undefined | typeof INVALID {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_LABEL_VALUE_LENGTH ? value.slice(0, MAX_LABEL_VALUE_LENGTH) : value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return undefined;
    default:
      return value === null ? undefined : INVALID;
  }
}

/**
 * Validates and sanitises the labels of every event of one metric and keeps the number of
 * label combinations under `maxSeries`: past it, new combinations fold into one series whose
 * label values are all `__overflow__`.
 */
export class SeriesGuard {
  private readonly series = new Set<string>();
  private readonly declared: ReadonlySet<string>;

  constructor(
    readonly metricName: string,
    private readonly labelNames: readonly string[],
    private readonly hooks: GuardHooks,
  ) {
    this.declared = new Set(labelNames);
  }

  /** Labels from positional values, as prom-client's `labels('a', 'b')` takes them. */
  fromPositional(values: unknown[]): Record<string, unknown> | undefined {
    if (values.length === 1 && typeof values[0] === 'object' && values[0] !== null) {
      return values[0] as Record<string, unknown>;
    }
    if (values.length !== this.labelNames.length) {
      this.hooks.drop(
        'invalid_label',
        `metric "${this.metricName}" takes ${this.labelNames.length} label values, got ${values.length}`,
      );
      return undefined;
    }
    const labels: Record<string, unknown> = {};
    this.labelNames.forEach((name, i) => (labels[name] = values[i]));
    return labels;
  }

  /** The sanitised labels to record the event under, or `undefined` when it is dropped. */
  admit(input: unknown): Record<string, string> | undefined {
    const source = (input ?? {}) as Record<string, unknown>;
    if (typeof source !== 'object' || Array.isArray(source)) {
      this.hooks.drop('invalid_label', `labels of "${this.metricName}" must be an object`);
      return undefined;
    }
    for (const name in source) {
      if (!this.declared.has(name)) {
        this.hooks.drop('invalid_label', `label "${name}" is not declared on "${this.metricName}"`);
        return undefined;
      }
    }
    const labels: Record<string, string> = {};
    let key = '';
    for (const name of this.labelNames) {
      const value = sanitizeLabelValue(source[name]);
      if (value === INVALID) {
        this.hooks.drop(
          'invalid_label',
          `label "${name}" of "${this.metricName}" must be a string, got a ${typeof source[name]}`,
        );
        return undefined;
      }
      if (value !== undefined) labels[name] = value;
      key += value === undefined ? '\u0002\u0001' : `${value}\u0001`;
    }
    if (this.series.has(key)) return labels;
    if (this.series.size < this.hooks.maxSeries) {
      this.series.add(key);
      return labels;
    }
    this.hooks.overflow(this.metricName);
    const overflow: Record<string, string> = {};
    for (const name of this.labelNames) overflow[name] = OVERFLOW_LABEL_VALUE;
    return overflow;
  }

  /** Forgets every series, after the metric was reset. */
  clear(): void {
    this.series.clear();
  }

  /**
   * Removes the series named by prom-client-style `values` through `remove`, and forgets it.
   * Never throws: a failure is a counted drop.
   */
  removeSeries(values: unknown[], remove: (labels: Record<string, unknown>) => void): void {
    try {
      const labels = this.fromPositional(values);
      if (!labels) return;
      remove(labels);
      this.forget(labels);
    } catch (error) {
      this.hooks.drop(
        'internal_error',
        `"${this.metricName}": ${(error as Error)?.message ?? String(error)}`,
      );
    }
  }

  /** Forgets one series, after it was removed from the metric. */
  forget(labels: Record<string, unknown>): void {
    let key = '';
    for (const name of this.labelNames) {
      const value = sanitizeLabelValue(labels[name]);
      key += value === undefined || value === INVALID ? '\u0002\u0001' : `${value}\u0001`;
    }
    this.series.delete(key);
  }
}
