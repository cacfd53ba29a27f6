/**
 * What `@TrackDuration()` costs per call, next to the same method undecorated and next to the
 * `histogram.startTimer()` wrapper a user would write by hand without the library; then the
 * same decorator on a plain class bound to a standalone `Monitoring` (no Nest), and `trackKpi`
 * through the Nest service and the standalone core, next to a bare prom-client `inc()`.
 *
 * Run with `npm run bench`. See BENCHMARKS.md for how to read the numbers.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomMetricsService, ObservabilityModule, TrackDuration } from 'nestjs-observability';
import { MetricCatalog } from '../lib/metrics/metric-catalog';
import { createMonitoring } from 'nestjs-observability/core';
import * as os from 'node:os';
import { Counter, Histogram, Registry } from 'prom-client';

const COMMAND = 'npm run bench';
const ROUNDS = 11;
const WARMUP_CALLS = 200_000;
const SYNC_CALLS = 400_000;
const ASYNC_CALLS = 150_000;

/** What a user would set up by hand: the library's default buckets and label names. */
const manualRegistry = new Registry();
const manualHistogram = new Histogram({
  name: 'manual_method_duration_seconds',
  help: 'Hand-written startTimer() wrapper.',
  labelNames: ['class', 'method', 'status'],
  buckets: [...(MetricCatalog.methodDuration.buckets ?? [])],
  registers: [manualRegistry],
});

@Injectable()
class BenchService {
  bareSync(x: number): number {
    return x + 1;
  }

  async bareAsync(x: number): Promise<number> {
    return x + 1;
  }

  @TrackDuration()
  trackedSync(x: number): number {
    return x + 1;
  }

  @TrackDuration()
  async trackedAsync(x: number): Promise<number> {
    return x + 1;
  }

  /** The bare method, timed the way a user would write it without the library. */
  manualSync(x: number): number {
    const end = manualHistogram.startTimer({ class: 'BenchService', method: 'manualSync' });
    try {
      const result = this.bareSync(x);
      end({ status: 'success' });
      return result;
    } catch (error) {
      end({ status: 'error' });
      throw error;
    }
  }

  async manualAsync(x: number): Promise<number> {
    const end = manualHistogram.startTimer({ class: 'BenchService', method: 'manualAsync' });
    try {
      const result = await this.bareAsync(x);
      end({ status: 'success' });
      return result;
    } catch (error) {
      end({ status: 'error' });
      throw error;
    }
  }
}

@Module({
  imports: [
    ObservabilityModule.forRoot({
      service: 'bench',
      metrics: { enabled: true, port: 0, defaultMetrics: false },
    }),
  ],
  providers: [BenchService],
})
class BenchModule {}

type Kind = 'bare' | 'tracked' | 'manual' | 'core' | 'nest';

interface Case {
  kind: Kind;
  label: string;
  /** Makes `calls` calls and returns the sum of the results (kept in `sink`). */
  run(calls: number): number | Promise<number>;
  samples: number[];
}

/** Results end up here and are printed, so no call can be optimised away. */
let sink = 0;

/**
 * Each case has its own loop function, so every call site stays monomorphic and the
 * baseline is not inflated by a shared, megamorphic `fn()` call.
 */
function syncCases(svc: BenchService): Case[] {
  return [
    {
      kind: 'bare',
      label: 'sync  bare method',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += svc.bareSync(i);
        return sum;
      },
    },
    {
      kind: 'tracked',
      label: 'sync  @TrackDuration()',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += svc.trackedSync(i);
        return sum;
      },
    },
    {
      kind: 'manual',
      label: 'sync  hand-written startTimer()',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += svc.manualSync(i);
        return sum;
      },
    },
  ];
}

function asyncCases(svc: BenchService): Case[] {
  return [
    {
      kind: 'bare',
      label: 'async bare method',
      samples: [],
      run: async (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += await svc.bareAsync(i);
        return sum;
      },
    },
    {
      kind: 'tracked',
      label: 'async @TrackDuration()',
      samples: [],
      run: async (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += await svc.trackedAsync(i);
        return sum;
      },
    },
    {
      kind: 'manual',
      label: 'async hand-written startTimer()',
      samples: [],
      run: async (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += await svc.manualAsync(i);
        return sum;
      },
    },
  ];
}

/** `@TrackDuration()` through each door: the Nest-bound instance and a core-bound plain one. */
function doorCases(nest: BenchService, core: BenchService): Case[] {
  return [
    {
      kind: 'bare',
      label: 'sync  bare method',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += nest.bareSync(i);
        return sum;
      },
    },
    {
      kind: 'nest',
      label: 'sync  @TrackDuration(), Nest module',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += nest.trackedSync(i);
        return sum;
      },
    },
    {
      kind: 'core',
      label: 'sync  @TrackDuration(), monitoring.bind() (no Nest)',
      samples: [],
      run: (calls) => {
        let sum = 0;
        for (let i = 0; i < calls; i++) sum += core.trackedSync(i);
        return sum;
      },
    },
  ];
}

const MODELS = ['gpt-4', 'gpt-4o', 'claude'] as const;

/** `token_spend` through each door, next to the bare prom-client counter it ends in. */
function kpiCases(
  nest: CustomMetricsService,
  core: ReturnType<typeof createMonitoring>,
  counter: Counter<'model' | 'type'>,
): Case[] {
  return [
    {
      kind: 'bare',
      label: 'prom-client counter.inc(labels, n)',
      samples: [],
      run: (calls) => {
        for (let i = 0; i < calls; i++) counter.inc({ model: MODELS[i % 3], type: 'input' }, i);
        return calls;
      },
    },
    {
      kind: 'nest',
      label: 'CustomMetricsService.trackKpi(token_spend)',
      samples: [],
      run: (calls) => {
        for (let i = 0; i < calls; i++) {
          nest.trackKpi({
            type: 'token_spend',
            data: { tokens: i, model: MODELS[i % 3], type: 'input' },
          });
        }
        return calls;
      },
    },
    {
      kind: 'core',
      label: 'monitoring.trackKpi(token_spend) (no Nest)',
      samples: [],
      run: (calls) => {
        for (let i = 0; i < calls; i++) {
          core.trackKpi({
            type: 'token_spend',
            data: { tokens: i, model: MODELS[i % 3], type: 'input' },
          });
        }
        return calls;
      },
    },
  ];
}

/** One row per case with its median and its ratio to the `bare` case of the same rounds. */
function ratioRows(cases: Case[]): string[][] {
  const bare = cases.find((c) => c.kind === 'bare')!;
  return cases.map((c) => {
    const perRound = c.samples.map((ns, round) => ns / bare.samples[round]);
    return [
      c.label,
      fmt(median(c.samples)),
      `${fmt(Math.min(...c.samples))}–${fmt(Math.max(...c.samples))}`,
      c.kind === 'bare' ? '–' : fmt(median(c.samples) - median(bare.samples)),
      `${fmt(median(perRound), 2)}×`,
    ];
  });
}

/**
 * Warms every case up, then runs `ROUNDS` rounds. Each round runs every case once, starting
 * from a different case each time, so drift (GC, frequency, neighbours) hits all cases alike.
 */
async function measure(cases: Case[], calls: number): Promise<void> {
  for (const c of cases) sink += await c.run(WARMUP_CALLS);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(round + k) % cases.length];
      const start = process.hrtime.bigint();
      sink += await c.run(calls);
      c.samples.push(Number(process.hrtime.bigint() - start) / calls);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

/**
 * One table row per case. The `@TrackDuration` / hand-written ratio is taken per round (the
 * three cases of a round ran back to back) and its median is reported, so a slow patch of
 * the machine does not tilt it.
 */
function report(cases: Case[]): { rows: string[][]; ratio: number; ratios: number[] } {
  const by = (kind: Kind): Case => cases.find((c) => c.kind === kind)!;
  const [bare, tracked, manual] = [by('bare'), by('tracked'), by('manual')];
  const ratios = bare.samples.map(
    (b, round) => (tracked.samples[round] - b) / (manual.samples[round] - b),
  );
  const ratio = median(ratios);
  const bareNs = median(bare.samples);
  const rows = cases.map((c) => {
    const ns = median(c.samples);
    return [
      c.label,
      fmt(ns),
      `${fmt(Math.min(...c.samples))}–${fmt(Math.max(...c.samples))}`,
      c.kind === 'bare' ? '–' : fmt(ns - bareNs),
      `${fmt(ns / bareNs, 2)}×`,
      c.kind === 'tracked'
        ? `${fmt(ratio, 2)} (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})`
        : '',
    ];
  });
  return { rows, ratio, ratios };
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const svc = app.get(BenchService);
  const startedAt = Date.now();

  console.log(`command: ${COMMAND}`);
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`,
  );
  console.log(
    `${ROUNDS} interleaved rounds after ${WARMUP_CALLS} warm-up calls per case; ` +
      `${SYNC_CALLS} calls per round (sync), ${ASYNC_CALLS} (async, each awaited)\n`,
  );

  const sync = syncCases(svc);
  const asyncs = asyncCases(svc);
  await measure(sync, SYNC_CALLS);
  await measure(asyncs, ASYNC_CALLS);

  const syncReport = report(sync);
  const asyncReport = report(asyncs);
  const header = [
    'case',
    'ns/call (median)',
    'min–max',
    'overhead vs bare (ns)',
    'ratio vs bare',
    '@TrackDuration / hand-written overhead (min–max)',
  ];
  console.log(table([header, ...syncReport.rows, ...asyncReport.rows]));
  for (const [name, { ratio }] of [
    ['sync', syncReport],
    ['async', asyncReport],
  ] as const) {
    const verdict = ratio <= 1 ? 'met' : 'NOT met';
    console.log(
      `${name}: @TrackDuration overhead is ${fmt(ratio, 2)}× the hand-written wrapper's (goal <= 1: ${verdict})`,
    );
  }

  // The decorated methods must have recorded every call, or the numbers above measured a
  // wrapper that was never bound to a recorder.
  const exposition = await app.get(CustomMetricsService).getMetrics();
  const counts = exposition
    .split('\n')
    .filter((line) => line.includes('method_duration_seconds_count'));
  console.log('\nrecorded by @TrackDuration() (the library registry):');
  for (const line of counts) console.log(`  ${line}`);
  console.log('recorded by the hand-written wrappers (their own registry):');
  for (const line of (await manualRegistry.metrics()).split('\n')) {
    if (line.includes('_count')) console.log(`  ${line}`);
  }
  const expected = {
    trackedSync: WARMUP_CALLS + ROUNDS * SYNC_CALLS,
    trackedAsync: WARMUP_CALLS + ROUNDS * ASYNC_CALLS,
  };
  for (const [method, calls] of Object.entries(expected)) {
    const line = counts.find(
      (l) => l.includes(`method="${method}"`) && l.includes('status="success"'),
    );
    const recorded = Number(line?.split(' ').pop());
    if (recorded !== calls) {
      throw new Error(`${method} recorded ${line ? recorded : 'nothing'}, expected ${calls} calls`);
    }
  }

  // The two doors onto the core, in one run: the Nest-bound instance against a plain one bound
  // to a standalone Monitoring, and trackKpi through both against bare prom-client.
  const monitoring = createMonitoring({
    service: 'bench-core',
    metrics: { enabled: true, port: 0, defaultMetrics: false },
    logging: { enabled: false },
  });
  const plain = monitoring.bind(new BenchService());
  const doors = doorCases(svc, plain);
  await measure(doors, SYNC_CALLS);
  const promRegistry = new Registry();
  const bareCounter = new Counter({
    name: 'bare_token_spend_total',
    help: 'Bare prom-client counter.',
    labelNames: ['model', 'type'],
    registers: [promRegistry],
  });
  const kpis = kpiCases(app.get(CustomMetricsService), monitoring, bareCounter);
  await measure(kpis, SYNC_CALLS);
  const ratioHeader = [
    'case',
    'ns/call (median)',
    'min–max',
    'overhead vs bare (ns)',
    'ratio vs bare',
  ];
  console.log('\none code path, two doors (same run):');
  console.log(table([ratioHeader, ...ratioRows(doors), ...ratioRows(kpis)]));
  const coreText = await monitoring.getMetrics();
  const coreCount = coreText
    .split('\n')
    .find((l) => l.startsWith('method_duration_seconds_count') && l.includes('trackedSync'));
  if (Number(coreCount?.split(' ').pop()) !== WARMUP_CALLS + ROUNDS * SYNC_CALLS) {
    throw new Error(`the core-bound method recorded ${coreCount ?? 'nothing'}`);
  }
  console.log(`recorded by the core-bound instance: ${coreCount}`);
  await monitoring.close();

  console.log(`\nsink ${sink}, ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
