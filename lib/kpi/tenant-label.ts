import type { GuardHooks } from '../metrics/series-guard';
import { sanitizeLabelValue } from '../metrics/series-guard';
import { OVERFLOW_LABEL_VALUE } from '../observability.constants';
import type { ResolvedTenantLabel } from './business-kpi-options.interface';

/**
 * The opt-in tenant label of the business KPIs, bounded: the first `maxValues` distinct tenants
 * keep their value; later ones are recorded as `__overflow__` and counted as an overflow of the
 * metric they were recorded on.
 */
export class TenantLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly options: ResolvedTenantLabel,
    private readonly hooks: GuardHooks,
  ) {}

  /** The label name (`tenant_id` or `workspace_id`). */
  get name(): string {
    return this.options.label;
  }

  /** The value to record `tenant` under on `metricName`; `undefined` leaves the label out. */
  value(tenant: unknown, metricName: string): string | undefined {
    const value = sanitizeLabelValue(tenant);
    if (typeof value !== 'string' || value === '') return undefined;
    if (this.seen.has(value)) return value;
    if (this.seen.size < this.options.maxValues) {
      this.seen.add(value);
      return value;
    }
    this.hooks.overflow(metricName);
    return OVERFLOW_LABEL_VALUE;
  }
}
