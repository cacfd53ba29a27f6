import { BullModule, getQueueToken, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Job, Queue } from 'bullmq';
import { AlertingService, ObservabilityModule, TrackJob } from 'nestjs-observability';
import { type Exposition, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { describeWithRedis, type RedisHandle, startRedis } from './utils/redis-server';

class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

class SmtpError extends Error {
  override name = 'SmtpError';
}

@Processor('emails', { concurrency: 3 })
class EmailProcessor extends WorkerHost {
  readonly gate = new Gate();
  readonly completed: string[] = [];
  readonly failed: string[] = [];

  @TrackJob('emails', undefined, { kpi: 'generation' })
  async process(job: Job<{ to: string }>): Promise<string> {
    if (job.name === 'bounce') throw new SmtpError(`mailbox of ${job.data.to} is full`);
    await this.gate.opened;
    return `sent to ${job.data.to}`;
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job): void {
    this.completed.push(String(job.id));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job, error: Error): void {
    this.failed.push(`${job.id}:${job.attemptsMade}:${error.name}`);
  }
}

/** A processor of a queue the application also watches through `queues.bullmq`. */
@Processor('digests')
class DigestProcessor extends WorkerHost {
  @TrackJob('digests')
  async process(job: Job): Promise<string> {
    if (job.name === 'broken') throw new SmtpError('relay refused the digest');
    return 'sent';
  }
}

/** Scrapes until `done` holds (at most 150 scrapes, 100 ms apart). */
async function scrapeUntil(
  app: INestApplication,
  done: (exposition: Exposition) => boolean,
): Promise<Exposition> {
  let last: Exposition | undefined;
  for (let i = 0; i < 150; i++) {
    const { exposition } = await scrape(app);
    last = exposition;
    try {
      if (done(exposition)) return exposition;
    } catch {
      // a series is not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Condition not reached; last scrape:\n${JSON.stringify(last?.samples)}`);
}

describeWithRedis('@TrackJob() on an @nestjs/bullmq processor', () => {
  let redis: RedisHandle;
  let app: INestApplication;
  let alerts: unknown[][] = [];

  beforeAll(async () => {
    redis = await startRedis();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'mailer',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
          queues: {
            bullmq: { connection: { host: '127.0.0.1', port: redis.port }, queues: ['digests'] },
          },
        }),
        BullModule.forRoot({ connection: { host: '127.0.0.1', port: redis.port } }),
        BullModule.registerQueue({ name: 'emails' }, { name: 'digests' }),
      ],
      providers: [EmailProcessor, DigestProcessor],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    // The module's own AlertingService receives the alerts (and delivers them to its log channel).
    alerts = jest.spyOn(app.get(AlertingService), 'alertQueueFailure').mock.calls;
  });

  afterAll(async () => {
    app?.get(EmailProcessor).gate.release();
    await app?.close();
    await redis?.stop();
  });

  it('measures each job and attempt, keeps active jobs exact and lets BullMQ retry', async () => {
    const queue = app.get<Queue>(getQueueToken('emails'));
    const processor = app.get(EmailProcessor);
    const bounce = await queue.add('bounce', { to: 'full@example.com' }, { attempts: 2 });
    for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) {
      await queue.add('welcome', { to });
    }
    const q = { service: 'mailer', queue_name: 'emails' };

    // Three welcome jobs hold the three slots; the bounce failed at least its first attempt (its
    // retry may wait for a free slot).
    const during = await scrapeUntil(
      app,
      (e) =>
        sampleValue(e, 'active_jobs_total', q) === 3 &&
        sampleValue(e, 'queue_failures_total', { ...q, error_type: 'SmtpError' }) >= 1,
    );
    expect(sampleValue(during, 'active_jobs_total', q)).toBe(3);
    expect(processor.completed).toEqual([]);

    processor.gate.release();
    const e = await scrapeUntil(
      app,
      (x) =>
        sampleValue(x, 'queue_jobs_completed_total', { ...q, job_type: 'welcome' }) === 3 &&
        sampleValue(x, 'queue_failures_total', { ...q, error_type: 'SmtpError' }) === 2,
    );
    expect(sampleValue(e, 'active_jobs_total', q)).toBe(0);
    expect(sampleValue(e, 'queue_job_duration_seconds_count', { ...q, job_type: 'welcome' })).toBe(
      3,
    );
    expect(sampleValue(e, 'queue_job_duration_seconds_count', { ...q, job_type: 'bounce' })).toBe(
      2,
    );
    expect(sampleValue(e, 'queue_failures_total', { ...q, error_type: 'SmtpError' })).toBe(2);
    expect(sampleValue(e, 'generation_success_total', { service: 'mailer', type: 'welcome' })).toBe(
      3,
    );
    expect(
      sampleValue(e, 'generation_failure_total', {
        service: 'mailer',
        type: 'bounce',
        error_type: 'SmtpError',
      }),
    ).toBe(2);

    // BullMQ saw the original error (and retried once); @OnWorkerEvent handlers still run.
    const failedJob = await queue.getJob(String(bounce.id));
    expect(await failedJob?.getState()).toBe('failed');
    expect(failedJob?.failedReason).toBe('mailbox of full@example.com is full');
    expect(failedJob?.attemptsMade).toBe(2);
    expect(processor.failed).toEqual([`${bounce.id}:1:SmtpError`, `${bounce.id}:2:SmtpError`]);
    expect(processor.completed).toHaveLength(3);

    // One alert per failed attempt, with the job's identity and data.
    expect(alerts).toHaveLength(2);
    expect(
      alerts.map(([queueName, error, jobData]) => [queueName, (error as Error).name, jobData]),
    ).toEqual([
      [
        'emails',
        'SmtpError',
        { jobId: bounce.id, jobName: 'bounce', attempts: 0, data: { to: 'full@example.com' } },
      ],
      [
        'emails',
        'SmtpError',
        { jobId: bounce.id, jobName: 'bounce', attempts: 1, data: { to: 'full@example.com' } },
      ],
    ]);
  });

  it('counts each job once when the queue is also watched (the events record, the decorator keeps active jobs and alerts)', async () => {
    const queue = app.get<Queue>(getQueueToken('digests'));
    jest.mocked(app.get(AlertingService).alertQueueFailure).mockClear();
    alerts = jest.mocked(app.get(AlertingService).alertQueueFailure).mock.calls;
    await queue.add('daily', {});
    await queue.add('daily', {});
    await queue.add('broken', {}, { attempts: 1 });
    const q = { service: 'mailer', queue_name: 'digests' };
    const e = await scrapeUntil(
      app,
      (x) =>
        sampleValue(x, 'queue_jobs_completed_total', { ...q, job_type: 'daily' }) === 2 &&
        sampleValue(x, 'queue_failures_total', { ...q, error_type: 'SmtpError' }) === 1,
    );
    // One more scrape: a double count would have landed by now.
    const again = (await scrape(app)).exposition;
    for (const x of [e, again]) {
      expect(sampleValue(x, 'queue_jobs_completed_total', { ...q, job_type: 'daily' })).toBe(2);
      expect(sampleValue(x, 'queue_job_duration_seconds_count', { ...q, job_type: 'daily' })).toBe(
        2,
      );
      expect(sampleValue(x, 'queue_job_duration_seconds_count', { ...q, job_type: 'broken' })).toBe(
        1,
      );
      expect(sampleValue(x, 'queue_failures_total', { ...q, error_type: 'SmtpError' })).toBe(1);
      expect(sampleValue(x, 'worker_queue_wait_time_seconds_count', q)).toBe(3);
      expect(sampleValue(x, 'active_jobs_total', q)).toBe(0);
      expect(sampleValue(x, 'queue_jobs', { ...q, state: 'failed' })).toBe(1);
    }
    expect(alerts.map(([queueName, error]) => [queueName, (error as Error).message])).toEqual([
      ['digests', 'relay refused the digest'],
    ]);
  });
});
