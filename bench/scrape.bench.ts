/**
 * `npm run bench:scrape`: what a scrape of `/metrics` costs, and what it does to the requests the
 * same process serves meanwhile.
 *
 * 1. CPU per scrape. Registries shaped like the library's HTTP metrics (a counter and a histogram
 *    with the catalog's 11 buckets per method × route × status code, so 16 series per label
 *    combination) of about 1k, 10k and 50k series. For each size, in interleaved rounds, the CPU
 *    time (user + system, `process.cpuUsage`) of N back-to-back scrapes, divided by N, for:
 *    prom-client's `registry.metrics()`, our text form and our OpenMetrics form
 *    (`renderExposition`, what `/metrics` serves), and the OpenMetrics form as it was rendered
 *    before (`toOpenMetrics(registry.metrics())`). The table shows the median of the rounds and
 *    each form's ratio to prom-client's of the same round (median of the paired ratios).
 * 2. Latency of a concurrent request. A trivial `node:http` server on 127.0.0.1 in this process
 *    answers `GET /ping`; a worker thread (its own event loop, so the client's work does not
 *    stall this one) sends one request at a time with a 1 ms pause and times each one. Its
 *    p50/p99/max are taken idle, then while this process scrapes back to back (one turn of the
 *    event loop between scrapes, as between two HTTP scrapes) with each form. Beside them, the
 *    event-loop delay of this process (`monitorEventLoopDelay`, 1 ms resolution, p99 and max),
 *    which the machine's other load moves less than a round trip.
 *
 * 3. The same over HTTP: this process serves `/metrics` and `/ping`, one worker scrapes
 *    `/metrics` back to back while another times `/ping`; `/metrics` rendered in one string then
 *    sent, or written a slice at a time as the metrics server does (`writeChunks`).
 *
 * Environment (all optional):
 *   BENCH_SIZES=1000,10000,50000   series per registry
 *   BENCH_ROUNDS=7                 rounds of the CPU measurement
 *   BENCH_LATENCY_SIZE=10000       registry size of the latency measurement
 *   BENCH_LATENCY_MS=3000          duration of each latency phase
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Counter, Histogram, Registry } from 'prom-client';
import { renderExposition, renderExpositionChunks, writeChunks } from '../lib/metrics/exposition';
import { toOpenMetrics } from '../lib/metrics/openmetrics';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const LATENCY_SIZE = Number(process.env.BENCH_LATENCY_SIZE ?? 10_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 3_000);

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SERIES_PER_COMBINATION = 1 + BUCKETS.length + 1 + 2;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '400', '404', '500'];

type Scrape = (registry: Registry) => Promise<string>;
const FORMS: Record<string, Scrape> = {
  'prom-client metrics()': (registry) => registry.metrics(),
  'ours, text': (registry) => renderExposition(registry, 'prometheus'),
  'ours, OpenMetrics': (registry) => renderExposition(registry, 'openmetrics'),
  'before: toOpenMetrics(metrics())': async (registry) => toOpenMetrics(await registry.metrics()),
};
const BASELINE = 'prom-client metrics()';

function buildRegistry(series: number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'bench' });
  const registers = [registry];
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'app_http_requests_total',
    help: 'HTTP responses sent, by method, route template and status code.',
    labelNames,
    registers,
  });
  const duration = new Histogram({
    name: 'app_http_request_duration_seconds',
    help: 'Time from the arrival of an HTTP request to the end of its response, in seconds.',
    labelNames,
    buckets: BUCKETS,
    registers,
  });
  const combinations = Math.max(1, Math.round(series / SERIES_PER_COMBINATION));
  for (let i = 0; i < combinations; i++) {
    const labels = {
      method: METHODS[i % METHODS.length],
      route: `/api/v1/resource-${Math.floor(i / (METHODS.length * STATUSES.length))}/:id`,
      status_code: STATUSES[Math.floor(i / METHODS.length) % STATUSES.length],
    };
    requests.inc(labels, i + 1);
    duration.observe(labels, (i % 100) / 37);
  }
  return registry;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function cpuPerScrape(registry: Registry, scrape: Scrape, count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    await scrape(registry);
    await nextTurn();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / count;
}

async function measureCpu(): Promise<void> {
  console.log(`CPU ms per scrape (median of ${ROUNDS} rounds; ratio = paired, to prom-client)`);
  for (const size of SIZES) {
    const registry = buildRegistry(size);
    const lines = (await registry.metrics()).split('\n').filter((l) => l && l[0] !== '#');
    const count = Math.max(3, Math.round(200_000 / size));
    const names = Object.keys(FORMS);
    for (const name of names) await cpuPerScrape(registry, FORMS[name], count); // warm-up
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const rotated = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of rotated) {
        samples[name].push(await cpuPerScrape(registry, FORMS[name], count));
      }
    }
    console.log(`\n${lines.length} series (${count} scrapes per round)`);
    for (const name of names) {
      const ratios = samples[name].map((ms, i) => ms / samples[BASELINE][i]);
      console.log(
        `  ${name.padEnd(34)} ${median(samples[name]).toFixed(2).padStart(8)} ms` +
          `   x${median(ratios).toFixed(2)}`,
      );
    }
  }
}

/** The worker: sends `GET url` one at a time for `ms`, and posts every latency in ms. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const once = () => new Promise((resolve, reject) => {
  const start = process.hrtime.bigint();
  http.get(workerData.url, { agent }, (res) => {
    res.resume();
    res.on('end', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
  }).on('error', reject);
});
(async () => {
  const latencies = [];
  const end = Date.now() + workerData.ms;
  while (Date.now() < end) {
    latencies.push(await once());
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  agent.destroy();
  parentPort.postMessage(latencies);
})();
`;

/** The scraper worker: GETs `url` back to back (reading every body) until told to stop. */
const SCRAPER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let stop = false;
let scrapes = 0;
parentPort.on('message', () => (stop = true));
const once = () => new Promise((resolve, reject) => {
  http.get(workerData.url, { agent }, (res) => {
    res.resume();
    res.on('end', resolve);
  }).on('error', reject);
});
(async () => {
  while (!stop) {
    await once();
    scrapes++;
  }
  agent.destroy();
  parentPort.postMessage(scrapes);
})();
`;

function clientLatencies(url: string, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: { url, ms } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function measureLatency(): Promise<void> {
  const server: Server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
  const registry = buildRegistry(LATENCY_SIZE);
  const series = (await registry.metrics()).split('\n').filter((l) => l && l[0] !== '#').length;
  console.log(
    `\nLatency of a concurrent GET /ping (ms) at ${series} series, ${LATENCY_MS} ms per phase`,
  );
  const phases: [string, Scrape | undefined][] = [
    ['idle', undefined],
    ...Object.entries(FORMS).map(([name, scrape]): [string, Scrape] => [name, scrape]),
  ];
  let idleP99 = 0;
  for (const [name, scrape] of phases) {
    let stop = false;
    let scrapes = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const loop = (async () => {
      while (!stop && scrape) {
        await scrape(registry);
        scrapes++;
        await nextTurn();
      }
    })();
    const latencies = (await clientLatencies(url, LATENCY_MS)).sort((a, b) => a - b);
    stop = true;
    await loop;
    loopDelay.disable();
    const p99 = percentile(latencies, 0.99);
    if (!scrape) idleP99 = p99;
    console.log(
      `  ${`${name}${scrape ? ` (${scrapes} scrapes)` : ''}`.padEnd(48)}` +
        ` p50 ${percentile(latencies, 0.5).toFixed(2).padStart(6)}` +
        `  p99 ${p99.toFixed(2).padStart(6)}` +
        `  max ${latencies[latencies.length - 1].toFixed(2).padStart(7)}` +
        `  p99/idle x${(p99 / idleP99).toFixed(2)}` +
        `  | loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}` +
        ` max ${(loopDelay.max / 1e6).toFixed(1)}`,
    );
  }
  await new Promise((resolve) => server.close(resolve));
  await measureHttpLatency(registry, series);
}

/**
 * The same over HTTP: this process serves `/metrics` (the way the metrics server does) and
 * `/ping`; one worker scrapes `/metrics` back to back, another times `/ping`.
 */
async function measureHttpLatency(registry: Registry, series: number): Promise<void> {
  const ways: Record<string, (res: import('node:http').ServerResponse) => Promise<void>> = {
    'prom-client metrics(), one string': async (res) => {
      res.end(await registry.metrics());
    },
    'ours, text, joined then sent (before)': async (res) => {
      res.end(await renderExposition(registry, 'prometheus'));
    },
    'ours, text, written in slices (/metrics)': async (res) => {
      await writeChunks(
        res,
        await renderExpositionChunks(registry, 'prometheus', { encode: true }),
      );
    },
    'ours, OpenMetrics, written in slices (/metrics)': async (res) => {
      await writeChunks(
        res,
        await renderExpositionChunks(registry, 'openmetrics', { encode: true }),
      );
    },
  };
  let way: keyof typeof ways = 'prom-client metrics(), one string';
  const server: Server = createServer((req, res) => {
    if (req.url === '/ping') return void res.end('pong');
    void ways[way](res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(
    `\nThe same over HTTP, ${series} series: this process serves /metrics and /ping; ` +
      `a worker scrapes /metrics back to back`,
  );
  const idle = (await clientLatencies(`${base}/ping`, LATENCY_MS)).sort((a, b) => a - b);
  const idleP99 = percentile(idle, 0.99);
  console.log(
    `  ${'idle'.padEnd(48)} p50 ${percentile(idle, 0.5).toFixed(2).padStart(6)}` +
      `  p99 ${idleP99.toFixed(2).padStart(6)}`,
  );
  for (const name of Object.keys(ways) as (keyof typeof ways)[]) {
    way = name;
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const scraper = new Worker(SCRAPER, { eval: true, workerData: { url: `${base}/metrics` } });
    const scrapes = new Promise<number>((resolve) => scraper.once('message', resolve));
    const latencies = (await clientLatencies(`${base}/ping`, LATENCY_MS)).sort((a, b) => a - b);
    scraper.postMessage('stop');
    const count = await scrapes;
    loopDelay.disable();
    const p99 = percentile(latencies, 0.99);
    console.log(
      `  ${`${name} (${count} scrapes)`.padEnd(48)}` +
        ` p50 ${percentile(latencies, 0.5).toFixed(2).padStart(6)}` +
        `  p99 ${p99.toFixed(2).padStart(6)}` +
        `  max ${latencies[latencies.length - 1].toFixed(2).padStart(7)}` +
        `  p99/idle x${(p99 / idleP99).toFixed(2)}` +
        `  | loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}` +
        ` max ${(loopDelay.max / 1e6).toFixed(1)}`,
    );
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function main(): Promise<void> {
  console.log(`node ${process.version}`);
  await measureCpu();
  await measureLatency();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
