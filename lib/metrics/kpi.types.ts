import type { QuotaEvent, RevenueEvent } from '../kpi/business-kpi.types';

/** Severity of a tracked error; the `severity` label of `errors_total`. */
export type ErrorSeverity = 'info' | 'warning' | 'error' | 'critical';

/** Outcome of an AI provider call; the `status` label of the `ai_*` metrics. */
export type AiRequestStatus = 'success' | 'error';

/** @deprecated Renamed {@link AiRequestStatus}. */
export type AIRequestStatus = AiRequestStatus;

/**
 * One business KPI event, as passed to `CustomMetricsService.trackKpi()`.
 * The `type` selects the metric; `data` carries its labels and values.
 */
export type KpiEvent =
  | { type: 'active_user'; data: { userId: string } }
  | { type: 'generation_success'; data: { type: string } }
  | { type: 'generation_failure'; data: { type: string; errorType: string } }
  | { type: 'token_spend'; data: { tokens: number; model: string; type: string } }
  | { type: 'payment_conversion'; data: { paymentMethod: string; plan: string } }
  | {
      type: 'payment_failure';
      data: { paymentId: string; paymentMethod: string; errorType: string };
    }
  | { type: 'revenue'; data: RevenueEvent }
  | { type: 'subscription_started'; data: { planType: string } }
  | { type: 'subscription_cancelled'; data: { planType: string } }
  | { type: 'subscriptions_active'; data: { planType: string; count: number } }
  | { type: 'feature_usage'; data: { feature: string; count?: number; tenantId?: string } }
  | { type: 'usage'; data: { metricType: string; amount?: number; tenantId?: string } }
  | { type: 'quota'; data: QuotaEvent };

/** The `type` of every KPI event. */
export type KpiType = KpiEvent['type'];

/** One call to an AI provider, as passed to `CustomMetricsService.trackAiRequest()`. */
export interface AiRequestEvent {
  /** Provider, e.g. `openai`, `anthropic`. */
  provider: string;
  /** Model, e.g. `gpt-4`, `dall-e-3`. */
  model: string;
  /** Operation, e.g. `chat_completion`, `image_generation`. */
  operation: string;
  /** Wall time of the call in seconds. */
  durationSeconds: number;
  /** Outcome of the call. */
  status: AiRequestStatus;
  /** Error class or code when `status` is `error`, e.g. `rate_limit`. */
  errorType?: string;
  /** Cost of the call in US cents, when known. */
  costCents?: number;
}

/** @deprecated Renamed {@link AiRequestEvent}. */
export type AIRequestEvent = AiRequestEvent;
