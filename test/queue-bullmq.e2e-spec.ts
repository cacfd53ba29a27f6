import { Controller, Get, type INestApplication, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import type { ChildProcess } from 'node:child_process';
import { ObservabilityModule, QueueMetricsService } from 'nestjs-observability';
import { QUEUE_METRICS_TOKEN } from '../lib/observability.constants';
import { type Exposition, findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { startWorker, stopProcess } from './utils/queue-worker';
import { describeWithRedis, type RedisHandle, startRedis } from './utils/redis-server';

const QUEUE = 'image-generation';

class LogCapture implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(`log ${String(message)}`);
  }
  error(message: unknown): void {
    this.lines.push(`error ${String(message)}`);
  }
  warn(message: unknown): void {
    this.lines.push(`warn ${String(message)}`);
  }
}

@Controller('ping')
class PingController {
  @Get()
  ping(): string {
    return 'pong';
  }
}

/** Scrapes until `done` holds (at most 150 scrapes, 100 ms apart). */
async function scrapeUntil(
  app: INestApplication,
  done: (exposition: Exposition) => boolean,
): Promise<Exposition> {
  let last: Exposition | undefined;
  for (let i = 0; i < 150; i++) {
    const { status, exposition } = await scrape(app);
    if (status === 200) {
      last = exposition;
      try {
        if (done(exposition)) return exposition;
      } catch {
        // a series is not there yet
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Condition not reached; last scrape:\n${JSON.stringify(last?.samples)}`);
}

describeWithRedis('BullMQ queues on a real Redis', () => {
  let redis: RedisHandle;
  let app: INestApplication;
  let producer: Queue;
  let worker: ChildProcess | undefined;
  const logs = new LogCapture();
  const q = { service: 'worker', queue_name: QUEUE };
  const appUrl = async (): Promise<string> => (await app.getUrl()).replace('[::1]', '127.0.0.1');

  beforeAll(async () => {
    redis = await startRedis();
    const connection = { host: '127.0.0.1', port: redis.port };
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'worker',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
          queues: { scrapeTimeoutMs: 500, bullmq: { connection, queues: [QUEUE] } },
        }),
      ],
      controllers: [PingController],
      // Turns on the health `queues` check, fed by the watched queues.
      providers: [{ provide: QUEUE_METRICS_TOKEN, useExisting: QueueMetricsService }],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: logs, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    producer = new Queue(QUEUE, { connection });
    producer.on('error', () => undefined);
  });

  afterAll(async () => {
    await stopProcess(worker);
    await producer?.close().catch(() => undefined);
    await app?.close();
    await redis?.stop();
  });

  it('reads the backlog by state and the oldest waiting job at scrape time', async () => {
    expect(app.get(QueueMetricsService).watchedQueues()).toEqual([QUEUE]);
    await producer.add('ok', {}, { timestamp: Date.now() - 42_000 });
    await producer.add('ok', {});
    await producer.add('ok', {}, { delay: 3_600_000 });

    const { status, exposition: e } = await scrape(app);
    expect(status).toBe(200);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'waiting' })).toBe(2);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'active' })).toBe(0);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'delayed' })).toBe(1);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'failed' })).toBe(0);
    expect(sampleValue(e, 'queue_jobs_waiting', q)).toBe(2);
    // The oldest waiting job was created 42 s ago (bounded above loosely: the clock moves on).
    const age = sampleValue(e, 'worker_queue_wait_time_current_seconds', q);
    expect(age).toBeGreaterThanOrEqual(42);
    expect(age).toBeLessThan(100);

    const health = await fetch(`${await appUrl()}/health/detailed`);
    const body = (await health.json()) as {
      info: { queues: { status: string; queues: Record<string, { waiting: number }> } };
    };
    expect(body.info.queues.status).toBe('up');
    expect(body.info.queues.queues[QUEUE].waiting).toBe(2);
  });

  it('measures jobs processed by a worker in another process, failures included', async () => {
    await producer.add('ok', {});
    await producer.add('fail', { errorName: 'TimeoutError' }, { attempts: 1 });
    await producer.add('fail', { errorName: 'TimeoutError' }, { attempts: 1 });
    worker = await startWorker(redis.port, QUEUE);

    const e = await scrapeUntil(
      app,
      (x) =>
        sampleValue(x, 'queue_jobs_completed_total', { ...q, job_type: 'ok' }) === 3 &&
        sampleValue(x, 'queue_failures_total', { ...q, error_type: 'TimeoutError' }) === 2,
    );
    expect(sampleValue(e, 'queue_jobs_completed_total', { ...q, job_type: 'ok' })).toBe(3);
    expect(sampleValue(e, 'queue_failures_total', { ...q, error_type: 'TimeoutError' })).toBe(2);
    expect(findSamples(e, 'queue_jobs_completed_total', { job_type: 'fail' })).toHaveLength(0);
    expect(sampleValue(e, 'queue_job_duration_seconds_count', { ...q, job_type: 'ok' })).toBe(3);
    expect(sampleValue(e, 'queue_job_duration_seconds_count', { ...q, job_type: 'fail' })).toBe(2);
    // Five jobs waited: four briefly, one since its creation 42 s before.
    const waits = findSamples(e, 'worker_queue_wait_time_seconds_bucket', q);
    expect(waits.map((s) => [s.labels.le, s.value])).toEqual([
      ['1', expect.any(Number)],
      ['5', expect.any(Number)],
      ['10', expect.any(Number)],
      ['30', 4],
      ['60', 5],
      ['120', 5],
      ['300', 5],
      ['600', 5],
      ['+Inf', 5],
    ]);
    // The backlog now: nothing waits, the delayed job still waits for its time, two failed.
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'waiting' })).toBe(0);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'active' })).toBe(0);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'delayed' })).toBe(1);
    expect(sampleValue(e, 'queue_jobs', { ...q, state: 'failed' })).toBe(2);
    expect(sampleValue(e, 'queue_jobs_waiting', q)).toBe(0);
    expect(sampleValue(e, 'worker_queue_wait_time_current_seconds', q)).toBe(0);
    // Jobs of other processes are not in this process's active-jobs gauge.
    expect(findSamples(e, 'active_jobs_total')).toHaveLength(0);
    expect(sampleValue(e, 'queue_metrics_errors_total', q)).toBe(0);
  });

  it('keeps serving /metrics when Redis dies, and logs and counts the failure', async () => {
    await stopProcess(worker);
    await producer.close();
    await redis.stop();

    const first = await scrape(app);
    expect(first.status).toBe(200);
    const second = await scrape(app);
    expect(second.status).toBe(200);
    const e = second.exposition;
    // What was recorded stays; the backlog, which cannot be read, is left out.
    expect(sampleValue(e, 'queue_jobs_completed_total', { ...q, job_type: 'ok' })).toBe(3);
    expect(findSamples(e, 'queue_jobs', { queue_name: QUEUE })).toHaveLength(0);
    expect(findSamples(e, 'queue_jobs_waiting', { queue_name: QUEUE })).toHaveLength(0);
    expect(sampleValue(e, 'queue_metrics_errors_total', q)).toBeGreaterThanOrEqual(2);
    expect(
      logs.lines.filter((l) => l.startsWith(`error Cannot read queue "${QUEUE}"`)),
    ).toHaveLength(1);
    // The application itself is unaffected.
    const ping = await fetch(`${await appUrl()}/ping`);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe('pong');
    const health = await fetch(`${await appUrl()}/health/detailed`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as {
      error: { queues: { status: string; message: string } };
    };
    expect(body.error.queues.status).toBe('down');
    expect(body.error.queues.message).toContain(`Cannot read queue "${QUEUE}" from Redis`);
  });
});
