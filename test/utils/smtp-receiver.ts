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

/** How the SMTP receiver behaves beyond accepting everything. */
export interface SmtpReceiverOptions {
  /** Require `AUTH` with these credentials (over plain SMTP, as in tests). */
  auth?: { user: string; pass: string };
  /**
   * Called for each `RCPT TO`: a reply `{ code, message }` refuses that recipient (a 4xx is
   * temporary, a 5xx permanent); `undefined` accepts it.
   */
  onRecipient?: (address: string) => { code: number; message: string } | undefined;
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps what it receives. */
export class SmtpReceiver {
  private constructor(
    private readonly server: SMTPServer,
    readonly messages: ReceivedMail[],
    /** Every `RCPT TO` address, accepted or not, in order. */
    readonly recipientAttempts: string[],
  ) {}

  static async start(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
    const messages: ReceivedMail[] = [];
    const attempts: string[] = [];
    const server = new SMTPServer({
      authOptional: !options.auth,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        const expected = options.auth;
        if (expected && auth.username === expected.user && auth.password === expected.pass) {
          callback(null, { user: auth.username });
        } else {
          callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
        }
      },
      onRcptTo(address, _session, callback) {
        attempts.push(address.address);
        const refusal = options.onRecipient?.(address.address);
        if (!refusal) return callback();
        callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      },
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
    const receiver = new SmtpReceiver(server, messages, attempts);
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
