import type {
  AlertName,
  ResolvedMonitoringArtifactsOptions,
} from './monitoring-artifacts-options.interface';
import type { PromQL } from './promql.builder';

/** One alert as data: its defaults and how to build its expression. */
export interface AlertDefinition {
  readonly name: AlertName;
  /**
   * Rule group: `service_alerts` (service health), `kpi_alerts` (business KPIs, AI cost),
   * `api_alerts` (API latency, jobs, memory), `business_alerts` (quotas, slow requests, AI cost
   * windows), `database_performance` (queries).
   */
  readonly group:
    'service_alerts' | 'kpi_alerts' | 'api_alerts' | 'business_alerts' | 'database_performance';
  /** Default threshold; `undefined` when the expression compares with nothing configurable. */
  readonly threshold: number | undefined;
  /** The threshold is a ratio between 0 and 1. */
  readonly ratio: boolean;
  readonly for: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
  readonly expr: (
    q: PromQL,
    threshold: number,
    options: ResolvedMonitoringArtifactsOptions,
  ) => string;
}
