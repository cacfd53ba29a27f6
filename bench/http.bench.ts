/**
 * `npm run bench:http`: the CPU cost of the HTTP metrics per request, against the bare app.
 *
 * Each variant (bench/http-variants.ts) of the same Nest app (GET /users/:id) runs in its own
 * server process pinned to CPU 0 with `taskset`; this process, which drives the load with
 * autocannon over 127.0.0.1, pins itself to CPU 1. In each round, every server gets a warm-up,
 * then a fixed number of requests; the main figure is the server's CPU time (user + system,
 * from /proc/PID/stat) divided by that number, which is much steadier than req/s on a shared
 * machine. Every round starts fresh server processes. Rounds are interleaved (every variant once per round, in a rotated order) and the
 * table shows the median of the rounds, with req/s, p50 and p99 beside, and each variant's
 * ratio to the bare app of the same adapter. Last, the recorder's own cost per request is measured
 * in-process (bench/http-hot-path.ts), a figure the machine's noise barely moves.
 *
 * Environment (all optional):
 *   BENCH_ROUNDS=4                    rounds
 *   BENCH_ADAPTERS=express,fastify    adapters
 *   BENCH_VARIANTS=bare,...           variants (default: DEFAULT_VARIANTS of bench/http-variants.ts)
 *   BENCH_REQUESTS_EXPRESS=20000      measured requests per round on Express
 *   BENCH_REQUESTS_FASTIFY=40000      measured requests per round on Fastify
 *   BENCH_WARMUP=0.25                 warm-up requests, as a fraction of the measured ones
 *   BENCH_CONNECTIONS=10              concurrent connections of autocannon
 *   BENCH_NODE=/path/to/node          the Node binary of the servers (default: this one)
 */
import autocannon from 'autocannon';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server as Server_ } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hotPathNanos, requestLineNanos } from './http-hot-path';
import { DEFAULT_VARIANTS, type Variant, VARIANTS } from './http-variants';

type Adapter = 'express' | 'fastify';

interface Server {
  adapter: Adapter;
  variant: Variant;
  child: ChildProcess;
  pid: number;
  url: string;
}

interface Sample {
  cpuMicrosPerRequest: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 4);
const ADAPTERS = (env.BENCH_ADAPTERS ?? 'express,fastify').split(',') as Adapter[];
const VARIANT_LIST = (env.BENCH_VARIANTS?.split(',') ?? DEFAULT_VARIANTS) as Variant[];
const REQUESTS: Record<Adapter, number> = {
  express: Number(env.BENCH_REQUESTS_EXPRESS ?? 20_000),
  fastify: Number(env.BENCH_REQUESTS_FASTIFY ?? 40_000),
};
const WARMUP = Number(env.BENCH_WARMUP ?? 0.25);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 10);
const PATH = '/users/42';
const SERVER_NODE = env.BENCH_NODE ?? process.execPath;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of `pid` (all its threads) in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS;
}

function start(adapter: Adapter, variant: Variant, pinned: boolean): Promise<Server> {
  const root = join(__dirname, '..');
  const node = [
    SERVER_NODE,
    '-r',
    join(__dirname, 'transpile-register.js'),
    '-r',
    'tsconfig-paths/register',
    join(__dirname, 'http-server.ts'),
    adapter,
    variant,
  ];
  const [command, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...env,
      NODE_ENV: 'production',
      TS_NODE_PROJECT: join(root, 'tsconfig.json'),
      BENCH_OTLP_URL: otlpSinkUrl,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${adapter}/${variant}: no READY in 60 s`)),
      60_000,
    );
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+) (\d+)/.exec(out);
      if (match) {
        // Keep draining the server's stdout (request logs) without holding on to it.
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        out = '';
        clearTimeout(timer);
        resolve({
          adapter,
          variant,
          child,
          pid: Number(match[2]),
          url: `http://127.0.0.1:${match[1]}${PATH}`,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${adapter}/${variant} exited with ${code} before READY`));
    });
  });
}

async function load(url: string, amount: number): Promise<autocannon.Result> {
  const result = await autocannon({ url, amount, connections: CONNECTIONS, pipelining: 1 });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return result;
}

async function measure(server: Server): Promise<Sample> {
  const amount = REQUESTS[server.adapter];
  await load(server.url, Math.max(1000, Math.round(amount * WARMUP)));
  const before = cpuMicros(server.pid);
  const result = await load(server.url, amount);
  const after = cpuMicros(server.pid);
  return {
    cpuMicrosPerRequest: (after - before) / amount,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Where the traced variants export their spans: an OTLP/HTTP sink that answers 200 at once. */
let otlpSinkUrl = '';
let exportedBytes = 0;

async function startOtlpSink(): Promise<Server_> {
  const sink = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  otlpSinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  return sink;
}

async function main(): Promise<void> {
  const sink = await startOtlpSink();
  sink.unref();
  const pinned = hasTaskset();
  if (pinned) {
    execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  } else {
    console.warn('WARNING: taskset not found; server and load generator share the CPUs.');
  }
  console.log(
    `bench:http: ${ROUNDS} rounds; ${ADAPTERS.join(', ')}; ` +
      `${REQUESTS.express} (Express) / ${REQUESTS.fastify} (Fastify) requests per round after ` +
      `a ${WARMUP * 100}% warm-up; ${CONNECTIONS} connections; GET ${PATH}; ` +
      `server on CPU 0, autocannon on CPU 1${pinned ? '' : ' (NOT pinned)'}; CLK_TCK ${CLOCK_TICKS}; ` +
      `servers on Node ${execFileSync(SERVER_NODE, ['-v']).toString().trim()}.`,
  );

  const running = new Set<Server>();
  const stopAll = (): void => {
    for (const server of running) server.child.kill('SIGTERM');
    running.clear();
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const keyOf = (adapter: Adapter, variant: Variant): string => `${adapter} ${variant}`;
  const samples = new Map<string, Sample[]>();
  const kinds = ADAPTERS.flatMap((adapter) =>
    VARIANT_LIST.map((variant) => ({ adapter, variant })),
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Fresh processes every round: one process's JIT and memory layout must not bias every
      // round of its variant. Started one at a time, before any measurement of the round.
      const servers: Server[] = [];
      for (const { adapter, variant } of kinds) {
        const server = await start(adapter, variant, pinned);
        running.add(server);
        servers.push(server);
      }
      // Rotate the order each round, so no variant always runs first or last.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const server of order) {
        const sample = await measure(server);
        const key = keyOf(server.adapter, server.variant);
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(
          `  round ${round + 1}/${ROUNDS} ${server.adapter.padEnd(7)} ${server.variant.padEnd(14)} ` +
            `${sample.cpuMicrosPerRequest.toFixed(1).padStart(6)} µs CPU/req ` +
            `${Math.round(sample.requestsPerSecond).toString().padStart(6)} req/s`,
        );
      }
      stopAll();
    }

    console.log('\nMedian of the rounds (CPU µs per request is the main figure):\n');
    // "vs bare" divides the medians; "paired" is the median of each round's own ratio to the bare
    // server of the same round, which cancels what the machine's load did to that round.
    console.log('| adapter | variant | CPU µs/req | vs bare | paired | req/s | p50 ms | p99 ms |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const adapter of ADAPTERS) {
      const row = (variant: Variant) => {
        const list = samples.get(keyOf(adapter, variant))!;
        return {
          cpu: median(list.map((s) => s.cpuMicrosPerRequest)),
          rps: median(list.map((s) => s.requestsPerSecond)),
          p50: median(list.map((s) => s.p50)),
          p99: median(list.map((s) => s.p99)),
        };
      };
      const hasBare = VARIANT_LIST.includes('bare');
      const bare = hasBare ? row('bare').cpu : undefined;
      const bareRounds = hasBare ? samples.get(keyOf(adapter, 'bare'))! : [];
      for (const variant of VARIANT_LIST) {
        const r = row(variant);
        const ratio = bare ? `${(r.cpu / bare).toFixed(2)}x` : 'n/a';
        const list = samples.get(keyOf(adapter, variant))!;
        const paired = hasBare
          ? `${median(list.map((s, i) => s.cpuMicrosPerRequest / bareRounds[i].cpuMicrosPerRequest)).toFixed(2)}x`
          : 'n/a';
        console.log(
          `| ${adapter === 'express' ? 'Express' : 'Fastify'} | ${VARIANTS[variant]} | ` +
            `${r.cpu.toFixed(1)} | ${ratio} | ${paired} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} |`,
        );
      }
    }
    // Goal 2 compares the default configuration with and without a DSN, not with the bare app.
    if (VARIANT_LIST.includes('lib-dsn') && VARIANT_LIST.includes('lib-default')) {
      console.log("\nWith a DSN vs without (paired: median of each round's own ratio):\n");
      for (const adapter of ADAPTERS) {
        const dsn = samples.get(keyOf(adapter, 'lib-dsn'))!;
        const plain = samples.get(keyOf(adapter, 'lib-default'))!;
        const paired = median(
          dsn.map((s, i) => s.cpuMicrosPerRequest / plain[i].cpuMicrosPerRequest),
        );
        console.log(`  ${adapter.padEnd(7)} lib-dsn / lib-default: ${paired.toFixed(2)}x`);
      }
    }
    console.log(
      `\nThe recorder's own cost, in this process without a server (median of 5): ` +
        `${((await hotPathNanos()) / 1000).toFixed(2)} µs per request.`,
    );
    console.log(
      `The request log line's own cost, in this process, into a stream that drops it (median of 5): ` +
        `${(requestLineNanos() / 1000).toFixed(2)} µs per request.`,
    );
    if (exportedBytes > 0) {
      console.log(
        `The OTLP sink received ${exportedBytes} bytes of spans from the traced variants.`,
      );
    }
  } finally {
    stopAll();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
