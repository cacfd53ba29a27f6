import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import type { AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { httpDeliver, maskSecret, maskUrl } from './http-delivery';

/** Twilio's API host. */
export const TWILIO_BASE_URL = 'https://api.twilio.com';

/** Longest SMS body Twilio accepts. */
const MAX_BODY = 1600;

/**
 * SMS through Twilio's Messages REST API: `POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json`
 * with basic auth (account SID and auth token) and the form fields `To`, `From`, `Body`, one
 * request per recipient.
 */
export class SmsChannel implements AlertChannel {
  readonly name = 'sms';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private baseUrl: string;

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
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const { title, text } = renderAlert(notification, this.context.template);
    const message = `${title}\n${text}`.slice(0, MAX_BODY);
    const { accountSid, authToken, from } = this.options;
    const url = `${this.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    for (const to of this.options.to) {
      const body = new URLSearchParams({ To: to, From: from, Body: message }).toString();
      await httpDeliver(
        url,
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
          body,
        },
        signal,
      );
    }
  }

  describe(): Record<string, unknown> {
    return {
      type: 'sms',
      baseUrl: maskUrl(this.baseUrl),
      accountSid: maskSecret(this.options.accountSid),
      from: this.options.from,
      to: this.options.to.length,
    };
  }

  setTarget(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }
}
