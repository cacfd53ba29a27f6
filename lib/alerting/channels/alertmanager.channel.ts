import type { AlertNotification } from '../alert.types';
import type { BatchAlertChannel } from './batch-channel';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskUrl } from './http-delivery';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `entries` as an object whose keys are valid Alertmanager label names
 * (`[a-zA-Z_][a-zA-Z0-9_]*`): Alertmanager answers 400 to the whole batch for one invalid name
 * (an annotation `runbook-url`), and the alert and its resolve would be lost. Invalid
 * characters become `_` and a leading digit gets a `_` prefix (`runbook-url` → `runbook_url`,
 * `1st.note` → `_1st_note`); a name already taken gets a suffix (`runbook_url_2`), valid names
 * first, so no value is lost.
 */
export function toLabelNames(entries: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  const invalid: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(entries)) {
    if (LABEL_NAME.test(name)) result[name] = value;
    else invalid.push([name, value]);
  }
  for (const [name, value] of invalid) {
    const base = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=[0-9])|^$/, '_');
    let candidate = base;
    for (let n = 2; candidate in result; n++) candidate = `${base}_${n}`;
    result[candidate] = value;
  }
  return result;
}

/**
 * Prometheus Alertmanager: `POST {url}/api/v2/alerts` with postable alerts (`labels` with
 * `alertname`, `severity` and `service`; `annotations` with `summary` and `description`;
 * `startsAt`; `endsAt` once resolved), every label and annotation name made valid
 * ({@link toLabelNames}). Several replicas sending the same alert are deduplicated and grouped by
 * Alertmanager itself. A firing alert carries `endsAt` = now + the longest repeat interval + 5
 * minutes: each repeat extends it, so Alertmanager keeps it active while it fires and resolves it
 * on its own if this process dies. Waiting notifications go in one request, up to
 * `maxBatchSize` (the endpoint takes an array), so a burst costs few requests.
 */
export class AlertmanagerChannel implements BatchAlertChannel, RuntimeConfigurable {
  readonly name = 'alertmanager';
  readonly maxBatchSize = 64;
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private url: string;
  private readonly secrets = new SecretScrubber();

  constructor(
    private readonly options: {
      url: string;
      generatorUrl?: string;
      /** How long a firing alert stays active in Alertmanager unless sent again. */
      firingTtlMs?: number;
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
    this.secrets.addOptions(options, 'alerting.channels.alertmanager');
  }

  send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    return this.sendBatch([notification], signal);
  }

  async sendBatch(notifications: readonly AlertNotification[], signal: AbortSignal): Promise<void> {
    const alerts = notifications.flatMap((notification) => this.postable(notification));
    await httpDeliver(
      `${this.url}/api/v2/alerts`,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) },
      signal,
      this.secrets,
    );
  }

  /** The postable alerts of `notification`. */
  private postable(notification: AlertNotification): Array<Record<string, unknown>> {
    return notification.alerts.map((alert) => ({
      labels: toLabelNames({
        ...alert.labels,
        alertname: alert.name,
        severity: alert.severity,
        service: this.context.service,
      }),
      annotations: toLabelNames({
        ...alert.annotations,
        summary: alert.summary,
        ...(alert.description ? { description: alert.description } : {}),
      }),
      startsAt: alert.startsAt.toISOString(),
      ...(alert.endsAt
        ? { endsAt: alert.endsAt.toISOString() }
        : this.options.firingTtlMs
          ? { endsAt: new Date(Date.now() + this.options.firingTtlMs).toISOString() }
          : {}),
      ...(this.options.generatorUrl ? { generatorURL: this.options.generatorUrl } : {}),
    }));
  }

  describe(): Record<string, unknown> {
    return { type: 'alertmanager', url: maskUrl(this.url) };
  }

  runtimeConfig(): RuntimeConfig {
    return {
      targetKey: 'url',
      target: this.url,
      configuredTarget: this.options.url,
      credentials: {},
    };
  }

  reconfigure(change: Readonly<Record<string, unknown>>): void {
    this.secrets.addOptions({ ...change }, 'alerting.channels.alertmanager');
    if (typeof change.url === 'string') this.url = change.url.replace(/\/+$/, '');
  }
}
