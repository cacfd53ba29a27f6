import type { AlertNotification } from './alert.types';
import type { AlertTemplate, AlertTemplateText } from './alerting-options.interface';

/** Rendered title and text of a notification. */
export interface RenderedAlert {
  title: string;
  text: string;
}

/** The default title: `[FIRING:1] PaymentFailure`, like Alertmanager's. */
export const DEFAULT_TITLE = '[{{STATUS}}:{{count}}] {{name}}';

function defaultText(notification: AlertNotification): string {
  return notification.alerts
    .map((alert) => {
      const labels = Object.entries(alert.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      const lines = [`${alert.severity.toUpperCase()}: ${alert.summary}`];
      if (alert.description) lines.push(alert.description);
      if (labels) lines.push(`Labels: ${labels}`);
      return lines.join('\n');
    })
    .join('\n\n');
}

function fill(template: string, notification: AlertNotification): string {
  const first = notification.alerts[0];
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_match, key: string) => {
    if (key.startsWith('labels.')) return first?.labels[key.slice(7)] ?? '';
    if (key.startsWith('annotations.')) return first?.annotations[key.slice(12)] ?? '';
    switch (key) {
      case 'name':
        return first?.name ?? '';
      case 'summary':
        return first?.summary ?? '';
      case 'description':
        return first?.description ?? '';
      case 'fingerprint':
        return first?.fingerprint ?? '';
      case 'severity':
        return notification.severity;
      case 'status':
        return notification.status;
      case 'STATUS':
        return notification.status.toUpperCase();
      case 'count':
        return String(notification.alerts.length);
      case 'service':
        return notification.service;
      case 'environment':
        return notification.environment;
      default:
        return '';
    }
  });
}

function apply(
  text: AlertTemplateText | undefined,
  notification: AlertNotification,
  fallback: () => string,
): string {
  if (typeof text === 'function') return String(text(notification));
  if (typeof text === 'string') return fill(text, notification);
  return fallback();
}

/** Renders `notification` with `template`, falling back to the defaults part by part. */
export function renderAlert(
  notification: AlertNotification,
  template: AlertTemplate | undefined,
): RenderedAlert {
  const prefix = notification.test ? '[TEST] ' : notification.escalation ? '[ESCALATED] ' : '';
  return {
    title: prefix + apply(template?.title, notification, () => fill(DEFAULT_TITLE, notification)),
    text: apply(template?.text, notification, () => defaultText(notification)),
  };
}
