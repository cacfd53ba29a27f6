import type { Transporter } from 'nodemailer';
import type { AlertNotification } from '../alert.types';
import { renderAlert } from '../alert-template';
import { Messages } from '../../observability.messages';
import { AlertDeliveryError, type AlertChannel } from './alert-channel.interface';
import type { ChannelContext } from './channel-context';
import { maskUrl } from './http-delivery';

/**
 * Email over SMTP with nodemailer (an optional peer dependency, loaded on first delivery):
 * subject = the rendered title, plain-text body = the rendered text.
 */
export class EmailChannel implements AlertChannel {
  readonly name = 'email';
  readonly timeoutMs?: number;
  readonly rateLimitPerMinute?: number;
  private transport: Promise<Transporter> | undefined;

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
    const sending = transport.sendMail({
      from: this.options.from,
      to: this.options.to,
      subject: title,
      text,
    });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new AlertDeliveryError('timed out', { retryable: true }));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([sending, aborted]);
    } catch (error) {
      if (error instanceof AlertDeliveryError) throw error;
      const code = (error as { responseCode?: number }).responseCode;
      // SMTP 5xx replies are permanent; connection errors and 4xx are worth a retry.
      throw new AlertDeliveryError(`SMTP ${code ?? (error as { code?: string }).code ?? 'error'}`, {
        retryable: !(code !== undefined && code >= 500),
        status: code,
      });
    }
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
