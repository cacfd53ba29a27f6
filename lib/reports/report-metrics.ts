import { MetricCatalog as M } from '../metrics/metric-catalog';

/**
 * The metric names (without prefix) the reports read, in one place. The business metrics are
 * not in the built-in catalog: a report field whose metric has no series says "no data".
 */
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
  /** Revenue by `plan_type` and `currency` (a counter, in the currency's unit). */
  revenue: 'revenue_total',
  /** Active subscriptions by `plan_type` (a gauge). */
  subscriptionsActive: 'subscriptions_active',
  /** Active users by `time_period` (a gauge). */
  usersActive: 'users_active',
  /** Usage by `tenant_id` and `metric_type` (a counter). */
  usage: 'usage_total',
} as const;
