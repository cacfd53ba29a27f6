import {
  Injectable,
  type INestApplication,
  type LoggerService,
  Module,
  type Provider,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:net';
import {
  AlertingService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
  QueueMetricsService,
  TrackJob,
} from 'nestjs-observability';
import { findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';

const base: ObservabilityModuleOptions = {
  service: 'worker',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
};

class RenderError extends Error {
  override name = 'RenderError';
}

/** Resolves every job it holds when `release()` is called. */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

interface RenderJob {
  id: string;
  name: string;
  data: { fail?: boolean; gate?: Gate };
  attemptsMade: number;
}

@Injectable()
class RenderProcessor {
  @TrackJob('render', 'thumbnail', { kpi: 'generation' })
  async render(job: RenderJob): Promise<string> {
    await job.data.gate?.opened;
    if (job.data.fail) throw new RenderError(`job ${job.id} failed`);
    return `rendered ${job.id}`;
  }

  /** No job type: the job's name is used. */
  @TrackJob('render')
  async byName(job: RenderJob): Promise<string> {
    return job.name;
  }

  @TrackJob('sync-queue')
  crunch(input: number): number {
    if (input < 0) throw new RangeError('negative input');
    return input * 2;
  }
}

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

async function boot(providers: Provider[] = [], logger: LoggerService | false = false) {
  @Module({ providers: [RenderProcessor, ...providers] })
  class FeatureModule {}
  @Module({ imports: [ObservabilityModule.forRoot(base), FeatureModule] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger, abortOnError: false });
  await app.init();
  return app;
}

const job = (id: string, data: RenderJob['data'] = {}, name = 'render-job'): RenderJob => ({
  id,
  name,
  data,
  attemptsMade: 0,
});

describe('Queue metrics', () => {
  const apps: INestApplication[] = [];
  const start = async (...args: Parameters<typeof boot>) => {
    const app = await boot(...args);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('QueueMetricsService', () => {
    it('exposes the seed metrics with their names, types, labels and buckets', async () => {
      const app = await start();
      const queues = app.get(QueueMetricsService);
      const end = queues.startJobTimer('image-generation', 'dalle-3');
      const seconds = end('completed');
      expect(end('completed')).toBeGreaterThanOrEqual(seconds); // only the first call records
      queues.startJobTimer('image-generation', 'dalle-3')('failed');
      queues.startJobTimer('image-generation', 'dalle-3')();
      queues.setActiveJobs('image-generation', 3);
      queues.trackQueueFailure('image-generation', 'TimeoutError');
      queues.trackQueueFailure('image-generation', 'TimeoutError');
      queues.trackJobCompleted('image-generation', 'upscale');
      queues.observeWaitTime('image-generation', 0.5);
      queues.observeWaitTime('image-generation', 45);
      queues.observeWaitTime('image-generation', 900);
      queues.setBacklog('emails', {
        waiting: 7,
        active: 2,
        delayed: 1,
        failed: 4,
        oldestWaitingSeconds: 12.5,
      });

      const { status, exposition: e } = await scrape(app);
      expect(status).toBe(200);
      const q = { service: 'worker', queue_name: 'image-generation' };
      expect(e.types).toMatchObject({
        queue_job_duration_seconds: 'histogram',
        active_jobs_total: 'gauge',
        queue_failures_total: 'counter',
        queue_jobs_completed_total: 'counter',
        worker_queue_wait_time_seconds: 'histogram',
        worker_queue_wait_time_current_seconds: 'gauge',
        queue_jobs_waiting: 'gauge',
        queue_jobs: 'gauge',
        queue_metrics_errors_total: 'counter',
      });
      expect(
        sampleValue(e, 'queue_job_duration_seconds_count', { ...q, job_type: 'dalle-3' }),
      ).toBe(3);
      expect(
        findSamples(e, 'queue_job_duration_seconds_bucket', { job_type: 'dalle-3' }).map(
          (s) => s.labels.le,
        ),
      ).toEqual([
        '0.05',
        '0.1',
        '0.25',
        '0.5',
        '1',
        '2.5',
        '5',
        '10',
        '30',
        '60',
        '120',
        '300',
        '600',
        '+Inf',
      ]);
      expect(sampleValue(e, 'queue_jobs_completed_total', { ...q, job_type: 'dalle-3' })).toBe(1);
      expect(sampleValue(e, 'queue_jobs_completed_total', { ...q, job_type: 'upscale' })).toBe(1);
      expect(sampleValue(e, 'active_jobs_total', q)).toBe(3);
      expect(sampleValue(e, 'queue_failures_total', { ...q, error_type: 'TimeoutError' })).toBe(2);
      const waitBuckets = findSamples(e, 'worker_queue_wait_time_seconds_bucket', q);
      expect(waitBuckets.map((s) => [s.labels.le, s.value])).toEqual([
        ['1', 1],
        ['5', 1],
        ['10', 1],
        ['30', 1],
        ['60', 2],
        ['120', 2],
        ['300', 2],
        ['600', 2],
        ['+Inf', 3],
      ]);
      expect(sampleValue(e, 'worker_queue_wait_time_seconds_sum', q)).toBe(945.5);
      const emails = { service: 'worker', queue_name: 'emails' };
      expect(sampleValue(e, 'queue_jobs', { ...emails, state: 'waiting' })).toBe(7);
      expect(sampleValue(e, 'queue_jobs', { ...emails, state: 'active' })).toBe(2);
      expect(sampleValue(e, 'queue_jobs', { ...emails, state: 'delayed' })).toBe(1);
      expect(sampleValue(e, 'queue_jobs', { ...emails, state: 'failed' })).toBe(4);
      expect(sampleValue(e, 'queue_jobs_waiting', emails)).toBe(7);
      expect(sampleValue(e, 'worker_queue_wait_time_current_seconds', emails)).toBe(12.5);
      // The same backlog feeds the health `queues` check.
      await expect(queues.getBacklogSnapshot()).resolves.toEqual([
        { queueName: 'emails', waiting: 7, oldestWaitSeconds: 12.5 },
      ]);
    });

    it('drops bad values without throwing', async () => {
      const app = await start();
      const queues = app.get(QueueMetricsService);
      expect(() => queues.setActiveJobs('q', Number.NaN)).not.toThrow();
      expect(() => queues.observeWaitTime('q', -Infinity)).not.toThrow();
      expect(() => queues.trackQueueFailure(undefined as never, undefined as never)).not.toThrow();
      const { exposition: e } = await scrape(app);
      expect(findSamples(e, 'active_jobs_total', { queue_name: 'q' })).toHaveLength(0);
      expect(
        sampleValue(e, 'queue_failures_total', {
          service: 'worker',
          queue_name: 'unknown',
          error_type: 'unknown',
        }),
      ).toBe(1);
      expect(
        sampleValue(e, 'observability_dropped_events_total', {
          service: 'worker',
          reason: 'invalid_value',
        }),
      ).toBe(2);
    });

    it('boots and scrapes while the Redis of a watched queue is unreachable', async () => {
      // A port nothing listens on.
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const address = server.address();
          server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
        });
      });
      @Module({
        imports: [
          ObservabilityModule.forRoot({
            ...base,
            queues: {
              scrapeTimeoutMs: 200,
              bullmq: { connection: { host: '127.0.0.1', port }, queues: ['reports'] },
            },
          }),
        ],
      })
      class UnreachableModule {}
      const logs = new LogCapture();
      const app = await NestFactory.create(UnreachableModule, {
        logger: logs,
        abortOnError: false,
      });
      apps.push(app);
      await app.init();

      const first = await scrape(app);
      const second = await scrape(app);
      expect([first.status, second.status]).toEqual([200, 200]);
      const q = { service: 'worker', queue_name: 'reports' };
      expect(
        sampleValue(second.exposition, 'queue_metrics_errors_total', q),
      ).toBeGreaterThanOrEqual(2);
      expect(findSamples(second.exposition, 'queue_jobs', { queue_name: 'reports' })).toHaveLength(
        0,
      );
      expect(
        logs.lines.filter((l) => l.startsWith('error Cannot read queue "reports"')),
      ).toHaveLength(1);
    });

    it('refuses to watch something that is not a BullMQ queue', async () => {
      const app = await start();
      await expect(app.get(QueueMetricsService).watchBullQueue({} as never)).rejects.toThrow(
        'QueueMetricsService.watchBullQueue() expects a BullMQ Queue, got object.',
      );
    });
  });

  describe('@TrackJob()', () => {
    it('keeps active_jobs_total exact under concurrency, records outcomes and rethrows', async () => {
      const app = await start();
      const processor = app.get(RenderProcessor);
      const gate = new Gate();
      const calls = [1, 2, 3, 4, 5].map((n) =>
        processor.render(job(`job-${n}`, { gate, fail: n % 2 === 0 })),
      );
      const q = { service: 'worker', queue_name: 'render' };

      const during = (await scrape(app)).exposition;
      expect(sampleValue(during, 'active_jobs_total', q)).toBe(5);

      gate.release();
      const results = await Promise.allSettled(calls);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const failure = results[1] as PromiseRejectedResult;
      expect(failure.reason).toBeInstanceOf(RenderError);
      expect(failure.reason.message).toBe('job job-2 failed');

      const { exposition: e } = await scrape(app);
      expect(sampleValue(e, 'active_jobs_total', q)).toBe(0);
      const thumbnail = { ...q, job_type: 'thumbnail' };
      expect(sampleValue(e, 'queue_job_duration_seconds_count', thumbnail)).toBe(5);
      expect(sampleValue(e, 'queue_jobs_completed_total', thumbnail)).toBe(3);
      expect(sampleValue(e, 'queue_failures_total', { ...q, error_type: 'RenderError' })).toBe(2);
      expect(
        sampleValue(e, 'generation_success_total', { service: 'worker', type: 'thumbnail' }),
      ).toBe(3);
      expect(
        sampleValue(e, 'generation_failure_total', {
          service: 'worker',
          type: 'thumbnail',
          error_type: 'RenderError',
        }),
      ).toBe(2);
    });

    it("uses the job's name as job type when none is given, and works on sync methods", async () => {
      const app = await start();
      const processor = app.get(RenderProcessor);
      await expect(processor.byName(job('a', {}, 'resize'))).resolves.toBe('resize');
      await expect(processor.byName(job('b', {}, 'resize'))).resolves.toBe('resize');
      expect(processor.crunch(21)).toBe(42);
      const error = (() => {
        try {
          processor.crunch(-1);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(RangeError);

      const { exposition: e } = await scrape(app);
      expect(
        sampleValue(e, 'queue_jobs_completed_total', {
          service: 'worker',
          queue_name: 'render',
          job_type: 'resize',
        }),
      ).toBe(2);
      const sync = { service: 'worker', queue_name: 'sync-queue' };
      // Not a job object: the method name is the job type.
      expect(sampleValue(e, 'queue_jobs_completed_total', { ...sync, job_type: 'crunch' })).toBe(1);
      expect(sampleValue(e, 'queue_failures_total', { ...sync, error_type: 'RangeError' })).toBe(1);
      expect(sampleValue(e, 'active_jobs_total', sync)).toBe(0);
      // No KPI unless asked for.
      expect(findSamples(e, 'generation_success_total')).toHaveLength(0);
    });

    it("raises a queue-failure alert through the module's AlertingService", async () => {
      const logs = new LogCapture();
      const app = await start([], logs);
      const alertQueueFailure = jest.spyOn(app.get(AlertingService), 'alertQueueFailure');
      const processor = app.get(RenderProcessor);
      const failing = job('job-9', { fail: true });
      failing.attemptsMade = 2;
      const error = await processor.render(failing).catch((caught: unknown) => caught);
      await processor.render(job('job-10'));

      expect(error).toBeInstanceOf(RenderError);
      expect(alertQueueFailure.mock.calls).toEqual([
        [
          'render',
          error,
          { jobId: 'job-9', jobName: 'render-job', attempts: 2, data: { fail: true } },
        ],
      ]);
      // The alert reaches the default (log) channel.
      const delivered = (): string | undefined =>
        logs.lines.find((line) => line.includes('QueueJobFailed'));
      for (let i = 0; i < 50 && !delivered(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(delivered()).toContain('Job failed in queue "render": job job-9 failed');
    });

    it('still rethrows the job error when the alerting service fails, and logs it', async () => {
      const logs = new LogCapture();
      const app = await start([], logs);
      jest.spyOn(app.get(AlertingService), 'alertQueueFailure').mockImplementation(() => {
        throw new Error('pager down');
      });
      const error = await app
        .get(RenderProcessor)
        .render(job('job-1', { fail: true }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RenderError);
      expect(logs.lines).toContain(
        'warn Raising the failure alert of queue "render" failed: pager down. The job\'s error was still rethrown and counted.',
      );
      const { exposition: e } = await scrape(app);
      expect(
        sampleValue(e, 'queue_failures_total', {
          service: 'worker',
          queue_name: 'render',
          error_type: 'RenderError',
        }),
      ).toBe(1);
    });

    it('records into the registry of the application each instance belongs to', async () => {
      const first = await start();
      const second = await start();
      await first.get(RenderProcessor).render(job('x'));
      await first.get(RenderProcessor).render(job('y'));
      await second.get(RenderProcessor).render(job('z'));
      const count = async (app: INestApplication) =>
        sampleValue((await scrape(app)).exposition, 'queue_jobs_completed_total', {
          service: 'worker',
          queue_name: 'render',
          job_type: 'thumbnail',
        });
      expect(await count(first)).toBe(2);
      expect(await count(second)).toBe(1);
    });

    it('refuses a missing queue name at decoration time', () => {
      expect(() => TrackJob('' as string)).toThrow(
        '@TrackJob() needs the queue name as its first argument (a non-empty string), got "".',
      );
    });
  });
});
