import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy on 127.0.0.1 between Prometheus and an application's metrics
 * server. Prometheus scrapes the application's real output through it; `batch(fn)` holds
 * scrapes while `fn` drives traffic, so every change `fn` makes lands in one and the same
 * scrape. Series that change together then share their sample timestamps, which makes
 * `rate()` ratios exact instead of depending on where a scrape fell during the traffic.
 */
export class ScrapeGate {
  /** Scrapes that arrived during a batch, run when it ends; `undefined` when not held. */
  private held: (() => void)[] | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Scrapes answered so far. */
  scrapes = 0;

  private constructor(
    private readonly server: Server,
    private readonly upstream: string,
  ) {}

  /** Starts the proxy in front of `upstream` (e.g. `http://127.0.0.1:9091`). */
  static async start(upstream: string): Promise<ScrapeGate> {
    const server = createServer((req, res) => gate.handle(req, res));
    const gate = new ScrapeGate(server, upstream);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  /** `host:port` to put in a scrape configuration. */
  get target(): string {
    const { port } = this.server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Registered synchronously, so a batch never misses a scrape that already started.
    const run = (): void => {
      const done = this.forward(req, res);
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    };
    if (this.held) this.held.push(run);
    else run();
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const response = await fetch(`${this.upstream}${req.url ?? '/'}`, {
        headers: req.headers.accept ? { accept: req.headers.accept } : undefined,
      });
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, {
        'content-type': response.headers.get('content-type') ?? 'text/plain',
      });
      res.end(body);
      this.scrapes++;
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  }

  /**
   * Runs `fn` with scrapes held: waits for scrapes in flight, holds new ones until `fn`
   * settles, then lets them through (they then see everything `fn` did).
   */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held) throw new Error('ScrapeGate.batch() calls cannot overlap.');
    this.held = [];
    try {
      await Promise.all([...this.inFlight]);
      return await fn();
    } finally {
      const waiting = this.held;
      this.held = undefined;
      for (const run of waiting) run();
    }
  }

  /** Stops the proxy. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
