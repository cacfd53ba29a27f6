import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listen, reply } from './http-listener';
import type { AddressInfo } from 'node:net';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import { writeChunks } from './exposition';
import { MetricsRegistry } from './metrics-registry';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './openmetrics';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** What `/metrics` expects: an auth scheme (lowercase) and its credentials. */
interface ExpectedAuth {
  scheme: 'bearer' | 'basic';
  credentials: string;
}

/**
 * Whether an `Authorization` header carries `expected`. The scheme is compared
 * case-insensitively, as RFC 9110 §11.1 requires (`bearer`, `BEARER`), and the credentials
 * exactly, in constant time.
 */
function authorizes(header: string | undefined, expected: ExpectedAuth): boolean {
  const match = /^(\S+)\s+(.+)$/.exec(header?.trim() ?? '');
  const scheme = match?.[1].toLowerCase();
  // Compared even when the scheme differs, so the time taken tells nothing about the secret.
  const same = sameSecret(match?.[2] ?? '', expected.credentials);
  return scheme === expected.scheme && same;
}

/**
 * The small HTTP server that exposes `GET /metrics` (Prometheus text, or OpenMetrics when the
 * scraper's `Accept` asks for it) and `GET /health` on its own port (`metrics.port`, 9091), so
 * metrics stay off the application's public port. It starts with the application and closes
 * in the last shutdown phase of `app.close()`, so it keeps serving through a graceful shutdown.
 */
export class MetricsServer {
  private readonly logger: DiagnosticLogger;
  private server: Server | undefined;
  private readonly expectedAuth: ExpectedAuth | undefined;

  /** @internal */
  constructor(
    private readonly options: ResolvedObservabilityOptions,
    private readonly metrics: MetricsRegistry,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Observability');
    const { auth } = options.metrics;
    if (auth?.type === 'bearer') this.expectedAuth = { scheme: 'bearer', credentials: auth.token };
    if (auth?.type === 'basic') {
      const credentials = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      this.expectedAuth = { scheme: 'basic', credentials };
    }
  }

  /** The bound address, or `undefined` when the server is not running. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  /** The port the server listens on (useful with `metrics.port: 0`). */
  get port(): number | undefined {
    return this.address()?.port;
  }

  /**
   * Starts listening on `metrics.host`:`metrics.port` (nothing when metrics are disabled or the
   * server already runs). Rejects with a message naming the port when it is taken.
   */
  async start(): Promise<void> {
    if (!this.options.metrics.enabled || this.server) return;
    const { host, port, path } = this.options.metrics;
    const server = await listen(
      (req, res) => void this.handle(req, res),
      host,
      port,
      { portInUse: Messages.metricsPortInUse, failed: Messages.metricsServerFailed },
      (error) => this.logger.error(error.message),
    );
    this.server = server;
    const bound = this.address();
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    this.logger.log(Messages.metricsServerListening(`http://${shownHost}:${bound?.port}${path}`));
  }

  /** Closes the server, releasing its port. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0];
    const { path } = this.options.metrics;
    try {
      if (pathname !== path && pathname !== '/health') {
        return reply(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return reply(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
      }
      if (pathname === '/health') {
        const body = JSON.stringify({ status: 'ok', service: this.options.service });
        return reply(res, 200, 'application/json; charset=utf-8', body, req.method === 'HEAD');
      }
      if (this.expectedAuth && !authorizes(req.headers.authorization, this.expectedAuth)) {
        res.setHeader(
          'WWW-Authenticate',
          this.options.metrics.auth?.type === 'basic'
            ? 'Basic realm="metrics"'
            : 'Bearer realm="metrics"',
        );
        return reply(res, 401, 'text/plain; charset=utf-8', 'Unauthorized\n');
      }
      // Rendered with pauses for the event loop, so a large scrape does not stall the app.
      const openMetrics = wantsOpenMetrics(req.headers.accept);
      const chunks = await this.metrics.expositionChunks(
        openMetrics ? 'openmetrics' : 'prometheus',
      );
      res.statusCode = 200;
      res.setHeader(
        'Content-Type',
        openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
      );
      res.setHeader('Cache-Control', 'no-store');
      // Written a slice at a time too: one megabyte-sized string would hold the event loop.
      return await writeChunks(res, chunks, { head: req.method === 'HEAD' });
    } catch (error) {
      this.logger.error(`Scrape failed: ${(error as Error)?.message ?? String(error)}`);
      // Part of the body went out: the client must see a broken response, not a short one.
      if (res.headersSent) return void res.destroy();
      return reply(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
    }
  }
}
