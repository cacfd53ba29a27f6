import { MetricCatalog as M } from '../metrics/metric-catalog';

/** The built-in metrics (names without prefix) the reports read. */
export const REPORT_METRICS = {
  httpRequests: M.httpRequests.name,
  httpDuration: M.httpRequestDuration.name,
  generationSuccess: M.generationSuccess.name,
  generationFailure: M.generationFailure.name,
  paymentConversions: M.paymentConversions.name,
  paymentFailures: M.paymentFailures.name,
  tokenSpend: M.tokenSpend.name,
  tokenCost: M.tokenCost.name,
  aiCost: M.aiCost.name,
  aiRequests: M.aiRequests.name,
  activeUsers: M.activeUsers.name,
} as const;

/**
 * The business metrics the business-intelligence report reads, with the labels it groups by.
 * They are not built-in metrics: record them under these names (or change them here), and a
 * field whose metric has no series says "no data".
 */
export const BUSINESS_REPORT_METRICS = {
  /** Revenue, a counter in the currency's unit. */
  revenue: { name: 'revenue_total', plan: 'plan_type', currency: 'currency' },
  /** Active subscriptions, a gauge. */
  subscriptionsActive: { name: 'subscriptions_active', plan: 'plan_type' },
  /** Active users by period (`daily`, `monthly`...), a gauge. */
  usersActive: { name: 'users_active', period: 'time_period' },
  /** Usage by tenant and kind, a counter. */
  usage: { name: 'usage_total', tenant: 'tenant_id', kind: 'metric_type' },
} as const;
