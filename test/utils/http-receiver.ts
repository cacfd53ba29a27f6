import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a receiver got. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** `body` parsed as JSON, when it is JSON. */
  json: any;
  /** `body` parsed as a form, when it is form-encoded. */
  form: Record<string, string> | undefined;
}

/**
 * How the receiver answers one request; `hang` never answers; `echo` answers with what it got
 * (URL, `Authorization`, every header and the body), as a misbehaving receiver would.
 */
export interface ReceiverResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
  echo?: boolean;
  /** Answers after this many milliseconds, as a remote receiver would. */
  delayMs?: number;
}

/**
 * An HTTP server on 127.0.0.1 standing in for Slack, Discord, PagerDuty, Twilio or a webhook
 * target. It records every request and answers from a script (`respondWith`), then 200.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: ReceiverResponse[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters: Array<() => void> = [];
  private defaultResponse: ReceiverResponse = { status: 200, body: 'ok' };

  private constructor(private readonly server: Server) {}

  static async start(): Promise<HttpReceiver> {
    const server = createServer();
    const receiver = new HttpReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers the next requests with `responses`, in order, then with the default. */
  respondWith(...responses: ReceiverResponse[]): this {
    this.script.push(...responses);
    return this;
  }

  /** The answer once the script is used up. */
  setDefault(response: ReceiverResponse): this {
    this.defaultResponse = response;
    return this;
  }

  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Expected ${count} requests, got ${this.requests.length} in ${timeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requests.slice(0, count);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const isForm = String(req.headers['content-type']).startsWith(
        'application/x-www-form-urlencoded',
      );
      this.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json,
        form: isForm ? Object.fromEntries(new URLSearchParams(body)) : undefined,
      });
      for (const wake of this.waiters.splice(0)) wake();
      const response = this.script.shift() ?? this.defaultResponse;
      if (response.hang) return;
      if (response.delayMs) {
        setTimeout(() => this.answer(req, res, response, body), response.delayMs);
        return;
      }
      this.answer(req, res, response, body);
    });
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    response: ReceiverResponse,
    body: string,
  ): void {
    res.writeHead(response.status ?? 200, response.headers ?? {});
    res.end(
      response.echo
        ? JSON.stringify({
            url: req.url,
            authorization: req.headers.authorization,
            headers: req.headers,
            body,
          })
        : (response.body ?? ''),
    );
  }
}

/** A loopback port nothing listens on (a receiver that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
