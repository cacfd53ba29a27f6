import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, Interval, ScheduleModule, SchedulerRegistry, Timeout } from '@nestjs/schedule';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ObservabilityModule } from 'nestjs-observability';
import { findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { startTracing, type TestTracing, waitFor } from './utils/tracing';

class ReportError extends Error {
  override name = 'ReportError';
}

@Injectable()
class Jobs {
  polls = 0;
  warmed = false;
  reports = 0;
  traceIds: string[] = [];

  constructor(private readonly registry: SchedulerRegistry) {}

  /** Stops itself after its third run, so its runs are counted exactly. */
  @Interval('poll-inbox', 10)
  async poll(): Promise<void> {
    this.traceIds.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
    await Promise.resolve();
    if (++this.polls === 3) this.registry.deleteInterval('poll-inbox');
  }

  @Timeout(10)
  warmUp(): void {
    this.warmed = true;
  }

  @Cron('0 0 1 1 *', { name: 'yearly-report' })
  async report(): Promise<void> {
    this.reports++;
    if (this.reports === 2) throw new ReportError('ledger locked');
  }
}

describe.each([
  ['ScheduleModule', true],
  ['ObservabilityModule', false],
])('contexts: @nestjs/schedule jobs (%s imported first)', (_first, scheduleFirst) => {
  let tracing: TestTracing;
  let app: INestApplicationContext;

  beforeAll(async () => {
    tracing = startTracing();
    const observability = ObservabilityModule.forRoot({
      service: 'scheduler',
      metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
      health: { enabled: false },
    });
    @Module({
      imports: scheduleFirst
        ? [ScheduleModule.forRoot(), observability]
        : [observability, ScheduleModule.forRoot()],
      providers: [Jobs],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await tracing?.stop();
  });

  it('counts and times each run by job name and status, with exact counts', async () => {
    const jobs = app.get(Jobs);
    await waitFor(
      () => jobs.polls === 3 && jobs.warmed,
      'the interval ran 3 times and the timeout once',
    );
    await waitFor(() => tracing.spans('Jobs.poll').length === 3, 'the third poll span ended');
    // The cron job fires through the cron library, as at its scheduled time.
    const cron = app.get(SchedulerRegistry).getCronJob('yearly-report');
    for (let i = 0; i < 3; i++) await cron.fireOnTick();
    await waitFor(() => tracing.spans('Jobs.report').length === 3, 'three report spans ended');

    const { exposition } = await scrape(app);
    const s = { service: 'scheduler' };
    expect(
      sampleValue(exposition, 'scheduled_job_runs_total', {
        ...s,
        job: 'poll-inbox',
        status: 'success',
      }),
    ).toBe(3);
    expect(
      sampleValue(exposition, 'scheduled_job_runs_total', {
        ...s,
        job: 'Jobs.warmUp',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'scheduled_job_runs_total', {
        ...s,
        job: 'yearly-report',
        status: 'success',
      }),
    ).toBe(2);
    expect(
      sampleValue(exposition, 'scheduled_job_runs_total', {
        ...s,
        job: 'yearly-report',
        status: 'error',
      }),
    ).toBe(1);
    expect(findSamples(exposition, 'scheduled_job_runs_total')).toHaveLength(4);
    expect(
      sampleValue(exposition, 'scheduled_job_duration_seconds_count', { ...s, job: 'poll-inbox' }),
    ).toBe(3);
    expect(
      sampleValue(exposition, 'scheduled_job_duration_seconds_count', {
        ...s,
        job: 'yearly-report',
      }),
    ).toBe(3);
    expect(exposition.types.scheduled_job_duration_seconds).toBe('histogram');
  });

  it('runs each job in its own root span, named Class.method, failed when it throws', () => {
    const polls = tracing.spans('Jobs.poll');
    expect(polls).toHaveLength(3);
    for (const span of polls) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(span.attributes).toEqual({
        'nestjs.schedule.job': 'poll-inbox',
        'nestjs.schedule.type': 'interval',
      });
    }
    // Each run is a trace of its own, active while the job runs.
    const jobs = app.get(Jobs);
    expect(new Set(jobs.traceIds).size).toBe(3);
    expect(jobs.traceIds).toEqual(polls.map((span) => span.spanContext().traceId));
    expect(tracing.span('Jobs.warmUp').attributes['nestjs.schedule.type']).toBe('timeout');
    const reports = tracing.spans('Jobs.report');
    expect(reports.map((span) => span.status.code)).toEqual([
      SpanStatusCode.UNSET,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);
    expect(reports[1].status.message).toBe('ledger locked');
  });
});
