import type { AlertNotification } from '../alert.types';
import type { AlertChannel } from './alert-channel.interface';

/**
 * A channel whose receiver takes several notifications in one request (Alertmanager's
 * `POST /api/v2/alerts` takes an array). The dispatcher hands it up to `maxBatchSize` waiting
 * notifications at once; the batch succeeds or fails, and is retried, as a whole.
 */
export interface BatchAlertChannel extends AlertChannel {
  /** Most notifications per request. */
  readonly maxBatchSize: number;
  sendBatch(notifications: readonly AlertNotification[], signal: AbortSignal): Promise<void>;
}

/** Whether `channel` delivers batches. */
export function isBatchChannel(channel: AlertChannel): channel is BatchAlertChannel {
  const candidate = channel as Partial<BatchAlertChannel>;
  return typeof candidate.sendBatch === 'function' && (candidate.maxBatchSize ?? 0) > 1;
}
