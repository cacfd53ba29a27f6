import type { AlertClock } from './alert-clock';
import type { AlertNotification, AlertSeverity } from './alert.types';
import type { AlertChannel } from './channels/alert-channel.interface';

/**
 * A message template: a string with `{{placeholders}}` or a function of the notification.
 * Placeholders: `{{name}}`, `{{summary}}`, `{{description}}`, `{{severity}}`, `{{status}}`,
 * `{{STATUS}}` (upper case), `{{count}}`, `{{fingerprint}}`, `{{service}}`, `{{environment}}`,
 * `{{labels.<name>}}`, `{{annotations.<name>}}` (from the first alert of the notification).
 *
 * @example
 * ```ts
 * { title: '[{{STATUS}}] {{name}} on {{service}}', text: '{{summary}} (queue {{labels.queue}})' }
 * ```
 */
export type AlertTemplateText = string | ((notification: AlertNotification) => string);

/** Title and text of a channel's message; unset parts keep the default. */
export interface AlertTemplate {
  /** @default '[{{STATUS}}:{{count}}] {{name}}' */
  title?: AlertTemplateText;
  /** @default one line per alert: summary, description and labels */
  text?: AlertTemplateText;
}

/** Fields every built-in channel accepts. */
export interface AlertChannelCommonOptions {
  /**
   * Deliver to this channel. `false` keeps it configured but silent.
   * @default true
   */
  enabled?: boolean;
  /**
   * Abort a delivery attempt after this many milliseconds.
   * @default alerting.delivery.timeoutMs
   */
  timeoutMs?: number;
  /**
   * Deliveries allowed per minute; more wait in the queue.
   * @default unlimited
   */
  rateLimitPerMinute?: number;
  /** Message template of this channel. */
  template?: AlertTemplate;
}

/** Generic webhook: a JSON body with the alerts. */
export interface WebhookChannelOptions extends AlertChannelCommonOptions {
  /**
   * Target URL (http or https, without `user:password@`: give credentials in `headers`).
   * @default process.env.ALERT_WEBHOOK_URL
   */
  url?: string;
  /** Extra request headers (e.g. `Authorization`). @default {} */
  headers?: Record<string, string>;
  /**
   * Signs each body with HMAC-SHA256: header `X-Alert-Signature: t=<unix seconds>,v1=<hex>`
   * where the digest is over `<t>.<body>`.
   * @default process.env.ALERT_WEBHOOK_SECRET
   */
  secret?: string;
  /**
   * Body format: the generic JSON, or Slack's Block Kit.
   * @default 'slack' for a hooks.slack.com URL, else 'json'
   */
  format?: 'json' | 'slack';
}

/** Slack incoming webhook (Block Kit). */
export interface SlackChannelOptions extends AlertChannelCommonOptions {
  /** @default process.env.SLACK_WEBHOOK_URL */
  webhookUrl?: string;
  /**
   * @deprecated Slack app incoming webhooks ignore it: a webhook always posts to the channel
   * chosen when it was created. Only legacy custom-integration webhooks honour it; it is still
   * sent for them, with a warning at boot. Create a webhook per channel instead.
   */
  channel?: string;
  /**
   * @deprecated Slack app incoming webhooks ignore it (they post under the app's name); only
   * legacy custom-integration webhooks honour it. Sent for them, with a warning at boot.
   */
  username?: string;
}

/** Discord webhook (embeds). */
export interface DiscordChannelOptions extends AlertChannelCommonOptions {
  /** @default process.env.DISCORD_WEBHOOK_URL */
  webhookUrl?: string;
  username?: string;
}

/** Email over SMTP through nodemailer (optional peer dependency). */
export interface EmailChannelOptions extends AlertChannelCommonOptions {
  /** `smtp://user:pass@host:587` or `smtps://...`. @default process.env.SMTP_URL */
  smtpUrl?: string;
  /** Sender. @default process.env.ALERT_EMAIL_FROM ?? 'alerts@localhost' */
  from?: string;
  /** Recipients. @default process.env.ALERT_EMAIL_TO (comma-separated) */
  to?: string | string[];
}

/** SMS through Twilio's Messages REST API. */
export interface SmsChannelOptions extends AlertChannelCommonOptions {
  /** @default process.env.TWILIO_ACCOUNT_SID */
  accountSid?: string;
  /** @default process.env.TWILIO_AUTH_TOKEN */
  authToken?: string;
  /** Sending number (E.164). @default process.env.TWILIO_FROM */
  from?: string;
  /** Recipients (E.164). @default process.env.ALERT_SMS_TO (comma-separated) */
  to?: string | string[];
  /** @default 'https://api.twilio.com' */
  baseUrl?: string;
}

/** PagerDuty Events API v2. */
export interface PagerDutyChannelOptions extends AlertChannelCommonOptions {
  /** Integration (routing) key. @default process.env.PAGERDUTY_ROUTING_KEY */
  routingKey?: string;
  /** @default 'https://events.pagerduty.com/v2/enqueue' */
  url?: string;
  /** `payload.source`. @default the `service` option */
  source?: string;
}

/** Prometheus Alertmanager (`POST /api/v2/alerts`). */
export interface AlertmanagerChannelOptions extends AlertChannelCommonOptions {
  /** Base URL, e.g. `http://alertmanager:9093`. @default process.env.ALERTMANAGER_URL */
  url?: string;
  /** `generatorURL` of each alert. */
  generatorUrl?: string;
}

/** The built-in channels and user channels. */
export interface AlertChannelsOptions {
  /**
   * Writes alerts to the Nest logger. On by default when no other channel is configured.
   * @default true when nothing else is configured
   */
  log?: boolean | AlertChannelCommonOptions;
  webhook?: WebhookChannelOptions;
  slack?: SlackChannelOptions;
  discord?: DiscordChannelOptions;
  email?: EmailChannelOptions;
  sms?: SmsChannelOptions;
  pagerduty?: PagerDutyChannelOptions;
  alertmanager?: AlertmanagerChannelOptions;
  /** Your own channels; each `name` becomes routable. @default [] */
  custom?: AlertChannel[];
}

/**
 * Where alerts go. The first route whose `match` and `severity` fit takes the alert; with
 * `continue: true` the next matching routes take it too. An alert no route takes goes to every
 * enabled channel.
 *
 * @example
 * ```ts
 * routes: [
 *   { severity: 'critical', channels: ['pagerduty', 'slack'], escalateAfterMs: 900_000, escalateTo: ['sms'] },
 *   { severity: 'warning', channels: ['slack'] },
 * ]
 * ```
 */
export interface AlertRoute {
  /** Label values the alert must have (exact match). `alertname` matches the name. @default {} */
  match?: Record<string, string>;
  /** Severities taken. @default all */
  severity?: AlertSeverity | AlertSeverity[];
  /** Channel names (`slack`, `pagerduty`, a custom channel's name, ...). */
  channels: string[];
  /** Keep looking for further matching routes. @default false */
  continue?: boolean;
  /** Labels whose values form the group of the grouping window. @default ['alertname'] */
  groupBy?: string[];
  /** Batch alerts of one group arriving within this window. @default alerting.groupWaitMs */
  groupWaitMs?: number;
  /** @default alerting.repeatIntervalMs */
  repeatIntervalMs?: number;
  /** A `critical` alert neither acknowledged nor resolved after this long escalates. */
  escalateAfterMs?: number;
  /**
   * The escalation chain: each entry (a channel, or channels notified together) is the next
   * target, reached `escalateAfterMs` after the previous one while the alert stays unacknowledged.
   * @default []
   * @example ['slack-oncall', ['sms', 'email']]
   */
  escalateTo?: Array<string | string[]>;
}

/** Retries, timeouts and the circuit breaker of deliveries. */
export interface AlertDeliveryOptions {
  /** @default 5000 */
  timeoutMs?: number;
  /** Retries after the first attempt, on network errors, timeouts, 5xx and 429. @default 5 */
  maxRetries?: number;
  /** First backoff; doubled each retry, with jitter. @default 500 */
  backoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  /** Consecutive failed attempts that open a channel's circuit. @default 5 */
  breakerThreshold?: number;
  /** How long an open circuit waits before one trial delivery. @default 30000 */
  breakerCooldownMs?: number;
  /**
   * On shutdown, how long pending deliveries may take before they are dropped. The flush runs
   * after the health grace period (`health.shutdownGracePeriodMs`) and the HTTP server's close,
   * so alerts raised while the application still serves are delivered.
   * @default 5000
   */
  shutdownTimeoutMs?: number;
  /**
   * Deliveries in flight at once per healthy channel, so a burst to a healthy receiver is
   * delivered rather than lost to the queue bound (`alerting.queue.maxSize`). A failing channel
   * falls back to one delivery at a time until one succeeds, so retries, backoff and the
   * circuit's single trial stay sequential.
   * @default 8
   */
  concurrency?: number;
}

/**
 * A Nest guard class (`implements CanActivate`), typed structurally so that the options carry
 * no Nest type into code that does not use Nest.
 */
export type AdminGuardClass = new (...args: never[]) => { canActivate(context: never): unknown };

/**
 * Admin HTTP API of the Nest module (`GET /alerts`, `GET /alerts/history`, `POST /alerts/test`,
 * `POST /alerts/configure`, `POST /alerts/:fingerprint/acknowledge`,
 * `POST /alerts/:fingerprint/resolve`). Its routes exist only when `token` or `guard` protects
 * them, with `forRoot()` and `forRootAsync()` alike.
 */
export interface AlertAdminOptions {
  /** Bearer token. @default process.env.ALERT_ADMIN_TOKEN */
  token?: string;
  /** Your guard instead of (or next to) the token. */
  guard?: AdminGuardClass;
  /** @default '/alerts' */
  path?: string;
  /**
   * Requests each client IP may make per minute (a token bucket holding one minute's worth),
   * counted before authentication so that tokens cannot be guessed quickly. Past it the API
   * answers `429` with `Retry-After`.
   * @default 60
   */
  rateLimitPerMinute?: number;
  /**
   * Origins (`https://hooks.example.com`) `POST /alerts/configure` may move a channel to,
   * besides the origin the channel was configured with. A move to another origin must give the
   * channel's credentials again (`headers`/`secret`, `accountSid`/`authToken`, `routingKey`):
   * stored credentials are never sent to a new origin.
   * @default [] (only the configured origin)
   */
  allowedOrigins?: string[];
  /**
   * Let `POST /alerts/configure` set plain `http://` targets on a loopback host (`127.0.0.1`,
   * `localhost`, `[::1]`), for tests against local receivers. Every other runtime target must
   * be https.
   * @default false
   */
  allowLoopbackHttp?: boolean;
}

/** Options of the alerting pipeline. */
export interface AlertingOptions {
  /** @default process.env.ALERTING_ENABLED ?? true */
  enabled?: boolean;
  channels?: AlertChannelsOptions;
  /** @default [] (every alert to every enabled channel) */
  routes?: AlertRoute[];
  /** A firing alert is not sent again within this interval. @default 14400000 (4 h) */
  repeatIntervalMs?: number;
  /** Grouping window; `0` sends each alert at once. @default 0 */
  groupWaitMs?: number;
  /** Bounded queue of each channel; overflow drops the oldest. */
  queue?: { maxSize?: number };
  /**
   * Active alerts kept at most. When full, a new alert makes room by forgetting the least
   * recently raised non-critical alert (or, for a new critical alert, the least recently raised
   * one), counted in `alerts_expired_total{reason="evicted"}`; only a non-critical alert finding
   * every slot critical is dropped (`alerts_dropped_total{reason="too_many_active"}`).
   * @default 10000
   */
  maxActiveAlerts?: number;
  /**
   * How long an alert stays active without being raised again (`send()`) nor resolved. It is
   * then forgotten (`alerts_expired_total{reason="ttl"}`), so its next firing is sent at once.
   * @default 3 x the alert's repeat interval, and never before its escalation chain has run
   */
  activeAlertTtlMs?: number;
  delivery?: AlertDeliveryOptions;
  /** Off unless `token` or `guard` is set. */
  admin?: AlertAdminOptions;
  /** Templates per channel name, merged over the channel's own `template`. @default {} */
  templates?: Record<string, AlertTemplate>;
  /**
   * Severity of the `PaymentFailure` alert, raised by `alertPaymentFailure()` and by every
   * tracked payment failure (`trackPaymentFailure()`, KPI `payment_failure`). `false` keeps the
   * `payment_failures_total` counter but raises no alert for tracked failures (an explicit
   * `alertPaymentFailure()` call is then `critical`).
   * @default 'critical'
   */
  paymentFailureSeverity?: AlertSeverity | false;
  /** Time source (tests). @default the system clock @internal */
  clock?: AlertClock;
}

/** A built-in channel's name. */
export type BuiltInChannelName =
  'log' | 'webhook' | 'slack' | 'discord' | 'email' | 'sms' | 'pagerduty' | 'alertmanager';

/** Resolved options of one built-in channel. */
export type ResolvedChannelOptions = { name: BuiltInChannelName; enabled: boolean } & Record<
  string,
  unknown
>;

/** Alerting options after defaults and environment variables. */
export interface ResolvedAlertingOptions {
  enabled: boolean;
  channels: ResolvedChannelOptions[];
  custom: AlertChannel[];
  routes: AlertRoute[];
  repeatIntervalMs: number;
  groupWaitMs: number;
  queueMaxSize: number;
  maxActiveAlerts: number;
  /** `undefined`: from each alert's repeat interval. */
  activeAlertTtlMs: number | undefined;
  delivery: Required<AlertDeliveryOptions>;
  admin: {
    token: string | undefined;
    guard: AdminGuardClass | undefined;
    path: string;
    rateLimitPerMinute: number;
    /** Origins only (`scheme://host[:port]`). */
    allowedOrigins: string[];
    allowLoopbackHttp: boolean;
  };
  templates: Record<string, AlertTemplate>;
  /** `false`: tracked payment failures raise no alert. */
  paymentFailureSeverity: AlertSeverity | false;
  clock: AlertClock | undefined;
}
