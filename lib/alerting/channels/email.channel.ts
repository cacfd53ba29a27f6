import type { Transporter } from 'nodemailer';
import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import { Messages } from '../../observability.messages';
import { AlertDeliveryError, type AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { maskUrl } from './http-delivery';
import { RecipientProgress } from './recipient-progress';

/** What nodemailer reports about one recipient it could not deliver to. */
interface RejectedRecipient {
  recipient?: string;
  responseCode?: number;
}

/** The bare address of `Name <a@example.com>` or `a@example.com`, lower case. */
const addressOf = (recipient: string): string =>
  (/<([^>]+)>\s*$/.exec(recipient)?.[1] ?? recipient).trim().toLowerCase();

/** SMTP 5xx replies are permanent; connection errors and 4xx are worth a retry. */
function smtpError(code: number | undefined, fallback: string | undefined): AlertDeliveryError {
  return new AlertDeliveryError(`SMTP ${code ?? fallback ?? 'error'}`, {
    retryable: !(code !== undefined && code >= 500),
    status: code,
  });
}

/**
 * Email over SMTP with nodemailer (an optional peer dependency, loaded on first delivery):
 * subject = the rendered title, plain-text body = the rendered text, one mail to every
 * recipient. A recipient the server refuses for now is retried alone: the others do not get the
 * mail twice.
 */
export class EmailChannel implements AlertChannel {
  readonly name = 'email';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private transport: Promise<Transporter> | undefined;
  private readonly progress = new RecipientProgress();

  constructor(
    private readonly options: {
      smtpUrl: string;
      from: string;
      to: string[];
      timeoutMs?: number;
      rateLimitPerMinute?: number;
    },
    private readonly context: ChannelContext,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.rateLimitPerMinute = options.rateLimitPerMinute;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    const transport = await this.getTransport();
    const { title, text } = renderAlert(notification, this.context.template);
    const recipients = this.options.to;
    const to = this.progress.remaining(notification, recipients);
    const failures = new Map<string, unknown>();
    const sending = transport.sendMail({ from: this.options.from, to, subject: title, text });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new AlertDeliveryError('timed out', { retryable: true }));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const info = (await Promise.race([sending, aborted])) as {
        rejectedErrors?: RejectedRecipient[];
      };
      this.refused(to, info?.rejectedErrors, failures);
    } catch (error) {
      if (error instanceof AlertDeliveryError) {
        for (const recipient of to) failures.set(recipient, error);
      } else {
        const { responseCode, code, rejectedErrors } = error as {
          responseCode?: number;
          code?: string;
          rejectedErrors?: RejectedRecipient[];
        };
        // Every recipient refused: each with its own reply. Anything else failed them all.
        if (!this.refused(to, rejectedErrors, failures)) {
          for (const recipient of to) failures.set(recipient, smtpError(responseCode, code));
        }
      }
    }
    this.progress.record(notification, recipients, to, failures);
  }

  /** Records each recipient of `rejected` in `failures`; false when there is none. */
  private refused(
    to: readonly string[],
    rejected: RejectedRecipient[] | undefined,
    failures: Map<string, unknown>,
  ): boolean {
    if (!rejected?.length) return false;
    for (const { recipient, responseCode } of rejected) {
      const match = to.find((candidate) => addressOf(candidate) === addressOf(recipient ?? ''));
      if (match) failures.set(match, smtpError(responseCode, undefined));
    }
    return true;
  }

  describe(): Record<string, unknown> {
    return { type: 'email', smtpUrl: maskUrl(this.options.smtpUrl), to: this.options.to.length };
  }

  private getTransport(): Promise<Transporter> {
    this.transport ??= import('nodemailer').then(
      (nodemailer) => {
        const timeout = this.timeoutMs ?? 10_000;
        const create = nodemailer.createTransport ?? (nodemailer as any).default?.createTransport;
        const url = new URL(this.options.smtpUrl);
        return create({
          host: url.hostname,
          port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
          secure: url.protocol === 'smtps:',
          ...(url.username
            ? {
                auth: {
                  user: decodeURIComponent(url.username),
                  pass: decodeURIComponent(url.password),
                },
              }
            : {}),
          connectionTimeout: timeout,
          greetingTimeout: timeout,
          socketTimeout: timeout,
        }) as Transporter;
      },
      () => {
        this.transport = undefined;
        throw new AlertDeliveryError(
          Messages.optionalPeerMissing('nodemailer', 'alerting.channels.email'),
          {
            retryable: false,
          },
        );
      },
    );
    return this.transport;
  }
}
