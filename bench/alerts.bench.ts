/**
 * Alerting throughput: 100k alerts over 1k fingerprints through AlertingService.send(), delivered
 * to a local webhook receiver. Reports alerts/s accepted, deliveries made, drops and heap before
 * and after, against a baseline (a counter increment through CustomMetricsService) measured in
 * the same run, since this machine is shared and absolute numbers are noisy.
 *
 * Run: npm run bench:alerts
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertingService, CustomMetricsService, ObservabilityModule } from 'nestjs-observability';

const ALERTS = 100_000;
const FINGERPRINTS = 1_000;

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

async function scenario(
  title: string,
  repeatIntervalMs: number,
  port: number,
  counter: { n: number },
) {
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        service: 'bench',
        metrics: { enabled: false, defaultMetrics: false },
        alerting: {
          repeatIntervalMs,
          queue: { maxSize: 1000 },
          channels: { webhook: { url: `http://127.0.0.1:${port}/hook` } },
        },
      }),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.init();
  const alerting = app.get(AlertingService);
  const metrics = app.get(CustomMetricsService);
  const labels = Array.from({ length: FINGERPRINTS }, (_, i) => ({ queue: `queue-${i}` }));

  // Baseline: the same number of calls to a counter increment.
  let start = process.hrtime.bigint();
  for (let i = 0; i < ALERTS; i++) metrics.trackGenerationSuccess('image');
  const baselineNs = Number(process.hrtime.bigint() - start);

  const before = heapMb();
  const delivered = counter.n;
  start = process.hrtime.bigint();
  for (let i = 0; i < ALERTS; i++) {
    alerting.send({
      name: 'QueueJobFailed',
      severity: 'warning',
      summary: 'Job failed',
      labels: labels[i % FINGERPRINTS],
    });
  }
  const sendNs = Number(process.hrtime.bigint() - start);
  const afterSend = heapMb();
  const pendingAfterSend = alerting.getChannelStates()[0].pending;
  await alerting.whenIdle();
  const deliveries = counter.n - delivered;
  const exposition = await metrics.getMetrics();
  const dropped = (reason: string) =>
    Number(
      new RegExp(`^alerts_dropped_total\\{[^}]*reason="${reason}"[^}]*\\} (\\S+)`, 'm').exec(
        exposition,
      )?.[1] ?? 0,
    );
  await app.close();
  const afterAll = heapMb();

  const perSec = (ns: number) => Math.round(ALERTS / (ns / 1e9));
  console.log(`\n### ${title}`);
  console.log(`| measure | value |\n| --- | --- |`);
  console.log(`| alerts accepted/s (send) | ${perSec(sendNs).toLocaleString('en')} |`);
  console.log(`| baseline counter inc/s | ${perSec(baselineNs).toLocaleString('en')} |`);
  console.log(`| send cost / counter inc cost | ${(sendNs / baselineNs).toFixed(1)}x |`);
  console.log(`| ns per send | ${Math.round(sendNs / ALERTS)} |`);
  console.log(`| deliveries made | ${deliveries} |`);
  console.log(`| dropped: duplicate | ${dropped('duplicate')} |`);
  console.log(`| dropped: queue_full | ${dropped('queue_full')} |`);
  console.log(`| pending right after the send loop | ${pendingAfterSend} |`);
  console.log(
    `| heap MB before / after send loop / after drain+close | ${before.toFixed(1)} / ${afterSend.toFixed(1)} / ${afterAll.toFixed(1)} |`,
  );
}

async function main() {
  const counter = { n: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      counter.n++;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(
    `node ${process.version}, ${ALERTS.toLocaleString('en')} alerts over ${FINGERPRINTS} fingerprints, gc ${gc ? 'exposed' : 'NOT exposed'}`,
  );
  await scenario(
    'Default repeat interval (4 h): duplicates are deduplicated',
    4 * 3600_000,
    port,
    counter,
  );
  await scenario(
    'repeatIntervalMs: 1 (every send is a delivery; queue bound 1000)',
    1,
    port,
    counter,
  );
  server.close();
}

void main();
