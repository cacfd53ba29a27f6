/**
 * What the contexts instrumentation costs per handler call: a `@MessagePattern()` handler of a
 * Nest application with `ObservabilityModule` (span + `rpc_requests_total` +
 * `rpc_request_duration_seconds`), next to the same method on a class that is not a handler,
 * first with no OpenTelemetry SDK registered (non-recording spans), then with a
 * `BasicTracerProvider` and the `AsyncLocalStorage` context manager (recording spans, no
 * exporter). The transport is left out: the method is called directly, so the figure is the
 * wrapper's own cost. Sync and async handlers; the median of interleaved rounds.
 *
 * Run with `npm run bench:contexts`.
 */
import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ObservabilityModule } from 'nestjs-observability';

const ROUNDS = 9;
const SYNC_CALLS = 200_000;
const ASYNC_CALLS = 100_000;

@Injectable()
class Bare {
  sum(values: number[]): number {
    return values[0] + values[1];
  }

  async sumLater(values: number[]): Promise<number> {
    return values[0] + values[1];
  }
}

@Controller()
class Handlers {
  @MessagePattern('sum')
  sum(values: number[]): number {
    return values[0] + values[1];
  }

  @MessagePattern('sum-later')
  async sumLater(values: number[]): Promise<number> {
    return values[0] + values[1];
  }
}

function timeSync(fn: (v: number[]) => number): number {
  const input = [1, 2];
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < SYNC_CALLS; i++) sink += fn(input);
  const ns = Number(process.hrtime.bigint() - start) / SYNC_CALLS;
  if (sink === -1) console.log(sink);
  return ns;
}

async function timeAsync(fn: (v: number[]) => Promise<number>): Promise<number> {
  const input = [1, 2];
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ASYNC_CALLS; i++) sink += await fn(input);
  const ns = Number(process.hrtime.bigint() - start) / ASYNC_CALLS;
  if (sink === -1) console.log(sink);
  return ns;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function main(): Promise<void> {
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
        health: { enabled: false },
        logging: { enabled: false },
      }),
    ],
    controllers: [Handlers],
    providers: [Bare],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  const bare = app.get(Bare);
  const handlers = app.get(Handlers);

  // Each case is measured right after its bare baseline, in the same round: the "paired" ratio
  // is the median of those per-round ratios, which cancels most of what other tenants of the
  // machine do to a round.
  const cases: Array<{
    name: string;
    sdk: boolean;
    bare: () => Promise<number> | number;
    run: () => Promise<number> | number;
  }> = [
    {
      name: 'sync handler, no SDK',
      sdk: false,
      bare: () => timeSync((v) => bare.sum(v)),
      run: () => timeSync((v) => handlers.sum(v)),
    },
    {
      name: 'async handler, no SDK',
      sdk: false,
      bare: () => timeAsync((v) => bare.sumLater(v)),
      run: () => timeAsync((v) => handlers.sumLater(v)),
    },
    {
      name: 'sync handler, SDK (recording spans)',
      sdk: true,
      bare: () => timeSync((v) => bare.sum(v)),
      run: () => timeSync((v) => handlers.sum(v)),
    },
    {
      name: 'async handler, SDK (recording spans)',
      sdk: true,
      bare: () => timeAsync((v) => bare.sumLater(v)),
      run: () => timeAsync((v) => handlers.sumLater(v)),
    },
  ];
  const samples = new Map<string, { bare: number[]; run: number[]; ratio: number[] }>();
  const provider = new BasicTracerProvider();
  const manager = new AsyncLocalStorageContextManager();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      if (c.sdk) {
        trace.setGlobalTracerProvider(provider);
        context.setGlobalContextManager(manager.enable());
      }
      const bareNs = await c.bare();
      const runNs = await c.run();
      if (c.sdk) {
        trace.disable();
        context.disable();
      }
      const entry = samples.get(c.name) ?? { bare: [], run: [], ratio: [] };
      entry.bare.push(bareNs);
      entry.run.push(runNs);
      entry.ratio.push(runNs / bareNs);
      samples.set(c.name, entry);
    }
  }
  await app.close();

  console.log(
    `node ${process.version}, ${ROUNDS} rounds, median ns per call (\`npm run bench:contexts\`)`,
  );
  console.log('| call | bare ns/call | handler ns/call | added ns/call | paired ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, entry] of samples) {
    const b = median(entry.bare);
    const r = median(entry.run);
    console.log(
      `| ${name} | ${b.toFixed(0)} | ${r.toFixed(0)} | ${(r - b).toFixed(0)} | ${median(entry.ratio).toFixed(1)}x |`,
    );
  }
}

void main();
