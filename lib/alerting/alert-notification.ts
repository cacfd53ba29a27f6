import { type Alert, type AlertNotification, highestSeverity } from './alert.types';

/** Who sends: stamped on every notification so receivers know the service and environment. @internal */
export interface AlertOrigin {
  service: string;
  environment: string;
}

/** Why a notification goes out besides the alert firing or resolving. @internal */
export interface AlertNotificationFlags {
  escalation?: boolean;
  test?: boolean;
  acknowledged?: boolean;
}

/**
 * One notification of `alerts` to `channel`. It is `resolved` only when every alert is, so a
 * group that still holds a firing alert never reads as cleared.
 * @internal
 */
export function buildNotification(
  origin: AlertOrigin,
  channel: string,
  alerts: Alert[],
  groupKey: string,
  flags: AlertNotificationFlags = {},
): AlertNotification {
  return {
    channel,
    status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
    severity: highestSeverity(alerts),
    groupKey,
    alerts,
    service: origin.service,
    environment: origin.environment,
    ...flags,
  };
}
