import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message the SMTP receiver accepted. */
export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  raw: string;
  subject: string | undefined;
  /** The body, quoted-printable decoded. */
  text: string;
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps what it receives. */
export class SmtpReceiver {
  private constructor(
    private readonly server: SMTPServer,
    readonly messages: ReceivedMail[],
  ) {}

  static async start(): Promise<SmtpReceiver> {
    const messages: ReceivedMail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head, ...rest] = raw.split(/\r?\n\r?\n/);
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/im
            .exec(head)?.[1]
            .replace(/\r?\n[ \t]/g, ' ');
          const qp = /Content-Transfer-Encoding: quoted-printable/i.test(head);
          const body = rest.join('\n\n');
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject,
            text: qp ? decodeQuotedPrintable(body) : body,
          });
          callback();
        });
      },
    });
    const receiver = new SmtpReceiver(server, messages);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  }

  url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves once `count` messages arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`Expected ${count} emails, got ${this.messages.length} in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.messages.slice(0, count);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
