import type { AlertInput, AlertSeverity } from './alert.types';
import { safeJson, truncate } from './alert-normalizer';

/**
 * The type and message of anything thrown. Libraries throw strings and plain objects too, and
 * the type becomes a label, so it must always be a short non-empty string.
 */
function errorParts(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name || 'Error', message: error.message };
  if (typeof error === 'string') return { type: error || 'unknown', message: error || 'unknown' };
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; type?: unknown };
    const type = [e.type, e.code, e.name].find((v) => typeof v === 'string' && v) as string;
    return { type: type ?? 'unknown', message: String(e.message ?? safeJson(error, 500)) };
  }
  return { type: 'unknown', message: String(error) };
}

/**
 * The alert of a failed queue job: `QueueJobFailed`, `warning`, labels `queue` and
 * `error_type`; the job data goes to the `job` annotation (truncated).
 * @internal Raised through `AlertingService.alertQueueFailure()`.
 */
export function queueFailureAlert(
  queueName: string,
  error: unknown,
  jobData?: unknown,
): AlertInput {
  const { type, message } = errorParts(error);
  return {
    name: 'QueueJobFailed',
    severity: 'warning',
    summary: `Job failed in queue "${queueName}": ${message}`,
    labels: { queue: String(queueName ?? 'unknown'), error_type: type },
    annotations: {
      error: truncate(message, 1000),
      ...(jobData !== undefined ? { job: safeJson(jobData) } : {}),
    },
  };
}

/**
 * The alert of a failed payment: `PaymentFailure`, `critical`, labels `error_type`
 * (and `payment_method` when `meta.paymentMethod` is set). The payment id and `meta` are
 * annotations, not labels, so failures of one kind dedup into one page.
 * @internal Raised through `AlertingService.alertPaymentFailure()`.
 */
export function paymentFailureAlert(
  paymentId: string,
  error: unknown,
  meta?: Record<string, unknown>,
  severity: AlertSeverity = 'critical',
): AlertInput {
  const { type, message } = errorParts(error);
  const method = meta?.paymentMethod ?? meta?.payment_method;
  return {
    name: 'PaymentFailure',
    severity,
    summary: `Payment ${String(paymentId ?? 'unknown')} failed: ${message}`,
    labels: {
      error_type: type,
      ...(typeof method === 'string' && method ? { payment_method: method } : {}),
    },
    annotations: {
      payment_id: String(paymentId ?? 'unknown'),
      ...(meta ? { meta: safeJson(meta) } : {}),
    },
  };
}

/** What `costSpikeAlert()` says about the spend besides the two amounts. @internal */
export interface CostSpikeDetails {
  provider?: string;
  model?: string;
  window?: string;
  currency?: string;
  /** Fixed severity, instead of `warning` below 5x the baseline and `critical` from it. */
  severity?: 'warning' | 'critical';
}

/** `value` when it is an amount of money (a finite number >= 0); throws naming `name` otherwise. */
function amount(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const shown =
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string'
        ? JSON.stringify(value)
        : safeJson(value, 50);
  throw new Error(`"${name}" must be a finite number >= 0, got ${shown}`);
}

/**
 * The alert of AI cost above its baseline (`CostSpikeDetected`): `warning`, or
 * `critical` from 5x the baseline; labels `provider` and `model` when given. Throws on amounts
 * that are not finite numbers >= 0: a `NaN` baseline must not page as an infinite spike.
 * @internal Raised through `AlertingService.alertCostSpike()`, which counts what it throws.
 */
export function costSpikeAlert(
  currentCost: number,
  baselineCost: number,
  meta: CostSpikeDetails = {},
): AlertInput {
  amount('currentCost', currentCost);
  amount('baselineCost', baselineCost);
  // From a zero baseline any cost is an infinite spike, and no cost is none.
  const ratio = baselineCost > 0 ? currentCost / baselineCost : currentCost > 0 ? Infinity : 0;
  const currency = meta.currency ?? 'USD';
  return {
    name: 'CostSpikeDetected',
    severity: meta.severity ?? (ratio >= 5 ? 'critical' : 'warning'),
    summary:
      `AI cost ${currentCost.toFixed(2)} ${currency}` +
      `${meta.window ? ` over ${meta.window}` : ''} is ` +
      `${Number.isFinite(ratio) ? ratio.toFixed(1) : '∞'}x the baseline ${baselineCost.toFixed(2)} ${currency}`,
    labels: {
      ...(meta.provider ? { provider: meta.provider } : {}),
      ...(meta.model ? { model: meta.model } : {}),
    },
    annotations: {
      current_cost: String(currentCost),
      baseline_cost: String(baselineCost),
    },
  };
}
