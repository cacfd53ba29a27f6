import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskSecret, maskUrl } from './http-delivery';
import { RecipientProgress } from './recipient-progress';
import type { RuntimeConfig, RuntimeConfigurable } from './runtime-config';
import { SecretScrubber } from './secret-scrubber';

/** Twilio's API host. */
export const TWILIO_BASE_URL = 'https://api.twilio.com';

/** Longest SMS body Twilio accepts. */
const MAX_BODY = 1600;

const PATH = 'alerting.channels.sms';

/**
 * SMS through Twilio's Messages REST API: `POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json`
 * with basic auth (account SID and auth token) and the form fields `To`, `From`, `Body`, one
 * request per recipient. A recipient that fails is retried alone: the others do not get the
 * message twice.
 */
export class SmsChannel implements AlertChannel, RuntimeConfigurable {
  readonly name = 'sms';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private baseUrl: string;
  private accountSid: string;
  private authToken: string;
  private readonly secrets = new SecretScrubber();
  private readonly progress = new RecipientProgress();

  constructor(
    private readonly options: {
      accountSid: string;
      authToken: string;
      from: string;
      to: string[];
      baseUrl?: string;
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.baseUrl = (options.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, '');
    this.accountSid = options.accountSid;
    this.authToken = options.authToken;
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
    this.secrets.addOptions(options, PATH).addBasicAuth(this.accountSid, this.authToken);
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const message = `${title}\n${text}`.slice(0, MAX_BODY);
    const { accountSid, authToken } = this;
    const url = `${this.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    const recipients = this.options.to;
    const pending = this.progress.remaining(notification, recipients);
    const failures = new Map<string, unknown>();
    for (const to of pending) {
      const body = new URLSearchParams({ To: to, From: this.options.from, Body: message });
      try {
        await httpDeliver(
          url,
          {
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
            body: body.toString(),
          },
          signal,
          this.secrets,
        );
      } catch (error) {
        failures.set(to, error);
      }
    }
    this.progress.record(notification, recipients, pending, failures);
  }

  describe(): Record<string, unknown> {
    return {
      type: 'sms',
      baseUrl: maskUrl(this.baseUrl),
      accountSid: maskSecret(this.accountSid),
      from: this.options.from,
      to: this.options.to.length,
    };
  }

  runtimeConfig(): RuntimeConfig {
    return {
      targetKey: 'baseUrl',
      target: this.baseUrl,
      configuredTarget: this.options.baseUrl ?? TWILIO_BASE_URL,
      credentials: { accountSid: true, authToken: true },
    };
  }

  reconfigure(change: Readonly<Record<string, unknown>>): void {
    this.secrets.addOptions({ ...change }, PATH);
    if (typeof change.baseUrl === 'string') this.baseUrl = change.baseUrl.replace(/\/+$/, '');
    if (typeof change.accountSid === 'string') this.accountSid = change.accountSid;
    if (typeof change.authToken === 'string') this.authToken = change.authToken;
    this.secrets.addBasicAuth(this.accountSid, this.authToken);
  }
}
