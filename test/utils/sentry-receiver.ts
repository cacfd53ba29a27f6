import { createServer, type Server } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

/** One item of a Sentry envelope: its header and its (JSON) payload. */
export interface EnvelopeItem {
  header: { type: string; [key: string]: unknown };
  payload: any;
}

/** A received envelope: its header, items, and the request path. */
export interface Envelope {
  path: string;
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** Parses the newline-delimited envelope format (JSON items; binary items are skipped). */
export function parseEnvelope(path: string, body: Buffer): Envelope {
  const lines = body.toString('utf8').split('\n');
  const header = JSON.parse(lines[0]);
  const items: EnvelopeItem[] = [];
  for (let i = 1; i < lines.length; i += 2) {
    if (!lines[i]) continue;
    const itemHeader = JSON.parse(lines[i]);
    let payload: unknown = lines[i + 1];
    try {
      payload = JSON.parse(lines[i + 1]);
    } catch {
      // an attachment or other non-JSON payload
    }
    items.push({ header: itemHeader, payload });
  }
  return { path, header, items };
}

/**
 * A stand-in for Sentry's ingestion endpoint on 127.0.0.1: accepts envelopes on
 * `/api/<project>/envelope/` (gzip or plain) and keeps them for assertions.
 */
export class SentryReceiver {
  readonly envelopes: Envelope[] = [];
  private server: Server | undefined;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        const encoding = req.headers['content-encoding'];
        if (encoding === 'gzip') body = gunzipSync(body);
        else if (encoding === 'deflate') body = inflateSync(body);
        try {
          this.envelopes.push(parseEnvelope(req.url ?? '', body));
        } catch (error) {
          this.envelopes.push({ path: req.url ?? '', header: { error: String(error) }, items: [] });
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** A DSN that sends to this receiver, project 1. */
  get dsn(): string {
    return `http://publickey@127.0.0.1:${this.port}/1`;
  }

  /** The payloads of every `event` item received so far (errors, not transactions). */
  get events(): any[] {
    return this.envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.header.type === 'event').map((item) => item.payload),
    );
  }

  clear(): void {
    this.envelopes.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
