import cluster, { type Worker } from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listen, reply } from '../metrics/http-listener';
import type { AddressInfo } from 'node:net';
import { Counter, type Metric, Registry } from 'prom-client';
import { ActiveUsersTracker } from '../metrics/active-users.tracker';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  toOpenMetrics,
  wantsOpenMetrics,
} from '../metrics/openmetrics';
import { Messages } from '../observability.messages';
import {
  type AggregatedMetric,
  aggregateWorkers,
  cumulativeOnly,
  foldOverflow,
  sumCumulative,
  type WorkerMetrics,
} from './cluster-aggregation';
import {
  CLUSTER_SCRAPE_ERROR_REASONS,
  ClusterMetricCatalog,
  type ClusterScrapeErrorReason,
} from './cluster-metric-catalog';
import {
  ClusterMessageType,
  isMessage,
  type MetricsResponseMessage,
  type ReadyMessage,
  type WireMetric,
} from './cluster-metrics.protocol';
import type {
  ClusterMetricsOptions,
  ClusterMetricsServerOptions,
  ResolvedClusterMetricsOptions,
} from './cluster-options.interface';
import { resolveClusterOptions, resolveClusterServerOptions } from './resolve-cluster-options';

/** Request ids are unique per process, so two aggregators never take each other's answers. */
let nextRequestId = 0;

/** Sorts the exited workers' totals after every live worker (for the `first` rule). */
const RETIRED_ID = Number.MAX_SAFE_INTEGER;

interface PendingScrape {
  waiting: Map<number, Worker>;
  answers: WorkerMetrics[];
  finish(): void;
}

/** The answer's metrics and sketches when it has the shape of ours, else `undefined`. */
function readAnswer(message: MetricsResponseMessage, workerId: number): WorkerMetrics | undefined {
  const { metrics, activeUsers = [] } = message;
  if (!Array.isArray(metrics) || !Array.isArray(activeUsers)) return undefined;
  const wellFormed = metrics.every(
    (metric) =>
      typeof metric?.name === 'string' &&
      typeof metric.help === 'string' &&
      Array.isArray(metric.values) &&
      metric.values.every((sample) => typeof sample?.labels === 'object' && sample.labels !== null),
  );
  if (!wellFormed) return undefined;
  for (const sketch of activeUsers) {
    if (typeof sketch?.metric !== 'string') return undefined;
    try {
      ActiveUsersTracker.estimateSnapshot(sketch.snapshot);
    } catch {
      return undefined;
    }
  }
  return { workerId, metrics, activeUsers };
}

/**
 * Serves the metrics of every worker of a Node.js cluster in one scrape, from the primary
 * process: the metrics endpoint of a cluster application lives there, since a worker's server
 * would only ever show that worker.
 *
 * Each worker runs {@link exposeToPrimary}. At each scrape the aggregator asks every worker that
 * exposes metrics, in parallel, and combines the answers:
 *
 * - counters, histograms and summaries are summed (prom-client's rule);
 * - gauges are summed (`active_jobs_total`, `http_requests_in_progress`: per-process work),
 *   except the built-in gauges that read shared state (`queue_jobs`, `queue_jobs_waiting`,
 *   `worker_queue_wait_time_current_seconds`: `max`) or must hold everywhere
 *   (`health_check_status`: `min`); prom-client's default metrics follow their own hints
 *   (`process_start_time_seconds` omitted, `nodejs_version_info` first, event-loop lag
 *   averaged). `aggregators` overrides any of them by name;
 * - `active_users_total` is the estimate of the workers' HyperLogLog sketches merged (register by
 *   register, the highest), so a user seen by two workers counts once. The workers' own gauges
 *   are dropped from the aggregation, not merely hinted `omit`, so the rule holds for workers
 *   that never set a hint.
 *
 * A worker that dies, hangs or answers garbage does not break the scrape: the scrape answers
 * after at most `timeoutMs` with the workers that did answer, and counts each one left out in
 * `observability_cluster_scrape_errors_total{reason}` (`timeout`, `exit`, `error`,
 * `invalid_response`). A worker that exits mid-scrape is given up at once, and is no longer
 * asked afterwards. The cluster's counters still never go down, since Prometheus would read
 * that as a reset and count the whole remaining total again in `rate()`: a worker left out
 * contributes the counters and histograms of its last answer, and an exited worker's last
 * counters are kept for the primary's lifetime (what it counted after its last answer is lost).
 * Its gauges and active users, which describe the present, are left out. Past
 * `maxSeriesPerMetric` label combinations, a metric's extra series fold into `__overflow__`
 * (see {@link foldOverflow}).
 *
 * It does not use prom-client's `clusterMetrics()`, which rejects the whole scrape when any
 * worker fails or is slower than its fixed 5 s, but its aggregation (`AggregatorRegistry.aggregate`).
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import { availableParallelism } from 'node:os';
 *
 * if (cluster.isPrimary) {
 *   const aggregator = new ClusterMetricsAggregator({ timeoutMs: 3000 });
 *   await aggregator.start({ port: 9091 });
 *   for (let i = 0; i < availableParallelism(); i++) cluster.fork();
 *   process.once('SIGTERM', () => void aggregator.close());
 * } else {
 *   const registry = new Registry(); // every metric of this worker registers here
 *   const users = new ActiveUsersTracker(300);
 *   const exposure = exposeToPrimary(registry, { activeUsers: () => users.snapshot() });
 *   process.once('SIGTERM', () => exposure.close());
 * }
 * ```
 */
export class ClusterMetricsAggregator {
  /** The primary's own metrics (the scrape errors). */
  readonly registry = new Registry();
  private readonly options: ResolvedClusterMetricsOptions;
  private readonly scrapeErrors: Counter<'reason'>;
  /** Workers that announced they expose metrics. */
  private readonly exposing = new Set<number>();
  private readonly pending = new Map<number, PendingScrape>();
  /** The cumulative part of the last answer of each live worker. */
  private readonly lastAnswers = new Map<number, WorkerMetrics>();
  /** The cumulative metrics of every exited worker, summed. */
  private retired: WireMetric[] = [];
  private readonly warned = new Set<string>();
  private server: Server | undefined;
  private serverPath = '/metrics';
  private closed = false;

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage<ReadyMessage>(message, ClusterMessageType.ready)) {
      if (message.exposed) this.exposing.add(worker.id);
      else this.exposing.delete(worker.id);
      return;
    }
    if (!isMessage<MetricsResponseMessage>(message, ClusterMessageType.response)) return;
    const scrape = this.pending.get(message.id);
    if (!scrape || !scrape.waiting.delete(worker.id)) return; // late, after its scrape ended
    const answer = message.error === undefined ? readAnswer(message, worker.id) : undefined;
    if (answer) {
      scrape.answers.push(answer);
      this.lastAnswers.set(worker.id, cumulativeOnly(answer));
    } else if (message.error !== undefined) this.leftOut(worker, 'error', message.error);
    else this.leftOut(worker, 'invalid_response', 'the answer has another format');
    if (scrape.waiting.size === 0) scrape.finish();
  };

  private readonly onGone = (worker: Worker): void => {
    this.exposing.delete(worker.id);
    const last = this.lastAnswers.get(worker.id);
    if (last) {
      this.lastAnswers.delete(worker.id);
      this.retired = sumCumulative(this.retired, last.metrics);
    }
    for (const scrape of this.pending.values()) {
      if (!scrape.waiting.delete(worker.id)) continue;
      this.leftOut(worker, 'exit', 'it exited or disconnected');
      if (scrape.waiting.size === 0) scrape.finish();
    }
    for (const key of [...this.warned]) {
      if (key.startsWith(`${worker.id}:`)) this.warned.delete(key);
    }
  };

  constructor(options: ClusterMetricsOptions = {}) {
    if (!cluster.isPrimary) throw new Error(Messages.clusterAggregatorInWorker());
    this.options = resolveClusterOptions(options);
    const { prefix, defaultLabels } = this.options;
    this.registry.setDefaultLabels({ ...defaultLabels });
    const definition = ClusterMetricCatalog.scrapeErrors;
    this.scrapeErrors = new Counter({
      name: prefix + definition.name,
      help: definition.help,
      labelNames: [...definition.labelNames],
      registers: [this.registry],
    });
    for (const reason of CLUSTER_SCRAPE_ERROR_REASONS) this.scrapeErrors.inc({ reason }, 0);
    cluster.on('message', this.onMessage);
    cluster.on('disconnect', this.onGone);
    cluster.on('exit', this.onGone);
    // Workers that exposed their metrics before this aggregator existed announce themselves.
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) this.trySend(worker, { type: ClusterMessageType.discover });
    }
  }

  /** Content type of {@link metrics}: the Prometheus text format 0.0.4. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /**
   * The metrics of every worker that answers within `timeoutMs`, aggregated, followed by the
   * primary's own, in the Prometheus text format. Never rejects because of a worker.
   */
  async metrics(): Promise<string> {
    // An answer of a worker that exited since is already in `retired`.
    const answers = (await this.collect()).filter((a) => this.lastAnswers.has(a.workerId));
    const answered = new Set(answers.map((answer) => answer.workerId));
    const stale = [...this.lastAnswers.values()].filter((last) => !answered.has(last.workerId));
    const retired = { workerId: RETIRED_ID, metrics: this.retired, activeUsers: [] };
    const { prefix, aggregators, maxSeriesPerMetric } = this.options;
    const aggregated = await aggregateWorkers([...answers, ...stale, retired], prefix, aggregators);
    const own = await this.registry.getMetricsAsJSON();
    const ownNames = new Set(own.map((metric) => metric.name));
    const output = new Registry();
    for (const metric of aggregated) {
      if (ownNames.has(metric.name)) continue;
      const { metric: bounded, folded } = foldOverflow(metric, maxSeriesPerMetric);
      if (folded > 0) {
        this.warnOnce(`fold:${metric.name}`, () =>
          Messages.clusterSeriesFolded(metric.name, maxSeriesPerMetric),
        );
      }
      output.registerMetric(asMetric(bounded));
    }
    for (const metric of own)
      output.registerMetric(asMetric(metric as unknown as AggregatedMetric));
    return output.metrics();
  }

  /** The bound address of the server, or `undefined` when it is not running. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  /** The port the server listens on (useful with `port: 0`). */
  get port(): number | undefined {
    return this.address()?.port;
  }

  /**
   * Serves `GET`/`HEAD` `path` with {@link metrics} (OpenMetrics when the scraper's `Accept`
   * asks for it); any other path answers 404. Rejects with a message naming the port when it
   * is taken. Does nothing when the server already runs.
   */
  async start(options: ClusterMetricsServerOptions = {}): Promise<void> {
    if (this.server) return;
    const { port, host, path } = resolveClusterServerOptions(options);
    this.serverPath = path;
    this.server = await listen(
      (req, res) => void this.handle(req, res),
      host,
      port,
      { portInUse: Messages.clusterServerPortInUse, failed: Messages.clusterServerFailed },
      (error) => this.options.logger.error(error.message),
    );
  }

  /**
   * Closes the server and stops listening to the workers. Scrapes in flight answer with what
   * they have. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      cluster.removeListener('message', this.onMessage);
      cluster.removeListener('disconnect', this.onGone);
      cluster.removeListener('exit', this.onGone);
      for (const scrape of this.pending.values()) scrape.finish();
    }
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  /** Asks every exposing worker for its metrics; resolves with the answers by `timeoutMs`. */
  private collect(): Promise<WorkerMetrics[]> {
    const targets: Worker[] = [];
    for (const id of this.exposing) {
      const worker = cluster.workers?.[id];
      if (worker?.isConnected()) targets.push(worker);
      else this.exposing.delete(id);
    }
    if (this.closed || targets.length === 0) return Promise.resolve([]);
    const id = nextRequestId++;
    return new Promise((resolve) => {
      const scrape: PendingScrape = {
        waiting: new Map(targets.map((worker) => [worker.id, worker])),
        answers: [],
        finish: () => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(scrape.answers);
        },
      };
      const timer = setTimeout(() => {
        for (const worker of scrape.waiting.values()) {
          this.leftOut(worker, 'timeout', `no answer within ${this.options.timeoutMs} ms`);
        }
        scrape.waiting.clear();
        scrape.finish();
      }, this.options.timeoutMs);
      this.pending.set(id, scrape);
      for (const worker of targets) {
        this.trySend(worker, { type: ClusterMessageType.request, id }, (error) => {
          if (!scrape.waiting.delete(worker.id)) return;
          this.leftOut(worker, 'error', `the request could not be sent: ${error.message}`);
          if (scrape.waiting.size === 0) scrape.finish();
        });
      }
    });
  }

  /** Sends `message`, reporting a failure (a closed channel) to `onError` rather than throwing. */
  private trySend(worker: Worker, message: object, onError?: (error: Error) => void): void {
    const fail = (error: unknown): void =>
      onError?.(error instanceof Error ? error : new Error(String(error)));
    try {
      worker.send(message, undefined, (error: Error | null) => {
        if (error) fail(error);
      });
    } catch (error) {
      fail(error);
    }
  }

  private leftOut(worker: Worker, reason: ClusterScrapeErrorReason, detail: string): void {
    this.scrapeErrors.inc({ reason });
    this.warnOnce(`${worker.id}:${reason}`, () =>
      Messages.clusterWorkerLeftOut(worker.id, worker.process.pid, reason, detail),
    );
  }

  private warnOnce(key: string, message: () => string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.logger.warn(message());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    try {
      if (pathname !== this.serverPath) {
        return reply(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return reply(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
      }
      const text = await this.metrics();
      const head = req.method === 'HEAD';
      if (wantsOpenMetrics(req.headers.accept)) {
        return reply(res, 200, OPENMETRICS_CONTENT_TYPE, toOpenMetrics(text), head);
      }
      return reply(res, 200, PROMETHEUS_CONTENT_TYPE, text, head);
    } catch (error) {
      this.options.logger.error(
        Messages.clusterScrapeFailed((error as Error)?.message ?? String(error)),
      );
      return reply(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
    }
  }
}

/**
 * A registry entry that renders `metric` as is: prom-client's own `aggregate` registers its
 * results the same way, as an object whose `get()` returns the JSON.
 */
function asMetric(metric: AggregatedMetric): Metric {
  return { ...metric, get: async () => metric } as unknown as Metric;
}
