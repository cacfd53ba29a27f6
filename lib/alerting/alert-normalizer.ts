import type { AlertClock } from './alert-clock';
import { type Alert, ALERT_SEVERITIES, alertFingerprint, type AlertInput } from './alert.types';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Longest summary, description or annotation kept: chat and SMS receivers reject more. */
const MAX_TEXT = 4000;
/** Memoised fingerprints kept before the memo starts over, so label churn cannot grow it. */
const MAX_MEMOISED_FINGERPRINTS = 10_000;

/**
 * `text`, cut to `max` characters with an ellipsis, so one oversized field cannot make a
 * receiver reject the whole notification.
 * @internal
 */
export const truncate = (text: string, max = MAX_TEXT): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/**
 * `value` as JSON (strings as they are), truncated to `max`; never throws, because it renders
 * caller data (job payloads, metadata) that may be circular.
 * @internal
 */
export function safeJson(value: unknown, max = 1000): string {
  try {
    return truncate(
      typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)),
      max,
    );
  } catch {
    return '[unserializable]';
  }
}

/**
 * Turns what a caller passes to `AlertingService.send()` into an {@link Alert}: checks the
 * required fields, makes label names valid for Prometheus/Alertmanager, truncates long text and
 * computes the fingerprint. Invalid input is reported to `invalid` (which counts and logs it)
 * rather than thrown, since alerting must never fail the caller.
 * @internal
 */
export class AlertNormalizer {
  /** Fingerprints by name and labels: hashing dominates the cost of a repeated send. */
  private readonly fingerprints = new Map<string, string>();

  constructor(
    private readonly clock: AlertClock,
    /** Called with what is wrong when an input is dropped; must not throw. */
    private readonly invalid: (detail: string) => void,
  ) {}

  /** The alert `input` describes, or `undefined` (after reporting why) when it is invalid. */
  normalize(input: AlertInput): Alert | undefined {
    if (!input || typeof input !== 'object') return this.reject('the alert is not an object');
    const { name, severity, summary } = input;
    if (typeof name !== 'string' || !name.trim())
      return this.reject('"name" must be a non-empty string');
    if (!ALERT_SEVERITIES.includes(severity)) {
      return this.reject(
        `"severity" must be info, warning or critical, got ${JSON.stringify(severity)}`,
      );
    }
    if (typeof summary !== 'string' || !summary.trim()) {
      return this.reject('"summary" must be a non-empty string');
    }
    const labels: Record<string, string> = {};
    if (input.labels && typeof input.labels === 'object') {
      for (const [key, value] of Object.entries(input.labels)) {
        if (value === undefined || value === null) continue;
        const label = LABEL_NAME.test(key)
          ? key
          : key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(\d)/, '_$1');
        labels[label] = truncate(String(value), 256);
      }
    }
    const annotations: Record<string, string> = {};
    if (input.annotations && typeof input.annotations === 'object') {
      for (const [key, value] of Object.entries(input.annotations)) {
        if (value === undefined || value === null) continue;
        annotations[key] = typeof value === 'string' ? truncate(value) : safeJson(value);
      }
    }
    const startsAt =
      input.startsAt instanceof Date && !Number.isNaN(input.startsAt.getTime())
        ? input.startsAt
        : new Date(this.clock.now());
    return {
      name: truncate(name.trim(), 200),
      severity,
      summary: truncate(summary),
      ...(typeof input.description === 'string' && input.description
        ? { description: truncate(input.description) }
        : {}),
      labels,
      annotations,
      status: 'firing',
      startsAt,
      fingerprint:
        typeof input.fingerprint === 'string' && input.fingerprint
          ? truncate(input.fingerprint, 255)
          : this.fingerprintOf(name.trim(), labels),
    };
  }

  /** `alertFingerprint`, memoised. */
  private fingerprintOf(name: string, labels: Record<string, string>): string {
    let key = name;
    for (const label of Object.keys(labels).sort()) key += `\u0000${label}\u0001${labels[label]}`;
    let fingerprint = this.fingerprints.get(key);
    if (fingerprint === undefined) {
      if (this.fingerprints.size >= MAX_MEMOISED_FINGERPRINTS) this.fingerprints.clear();
      fingerprint = alertFingerprint(name, labels);
      this.fingerprints.set(key, fingerprint);
    }
    return fingerprint;
  }

  private reject(detail: string): undefined {
    this.invalid(detail);
    return undefined;
  }
}
