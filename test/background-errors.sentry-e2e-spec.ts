import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import * as Sentry from '@sentry/nestjs';
import { ObservabilityModule, type ObservabilityModuleOptions } from 'nestjs-observability';
import { initSentry } from 'nestjs-observability/sentry';
import { findSamples } from './utils/exposition';
import { LogCapture } from './utils/log-capture';
import { scrape } from './utils/metrics-client';
import { SentryReceiver } from './utils/sentry-receiver';

/**
 * Without Sentry tracing, Sentry's own `Nest` integration is off (it would cost every HTTP
 * request), and with it what it captured: errors of `@nestjs/schedule` jobs, `@OnEvent()`
 * listeners and BullMQ processors. The module's handler instrumentation reports them instead.
 * Its own Jest process, like every `*.sentry-e2e-spec.ts` (Sentry's client is process-wide).
 */

class LedgerError extends Error {
  override name = 'LedgerError';
}
class RenderError extends Error {
  override name = 'RenderError';
}
class MailError extends Error {
  override name = 'MailError';
}

@Injectable()
class Jobs {
  runs = 0;

  /** Fails on its second run, with an error the job rethrows from a nested call. */
  @Cron('0 0 1 1 *', { name: 'yearly-report' })
  async report(): Promise<void> {
    this.runs++;
    if (this.runs === 2) throw new LedgerError('ledger locked');
  }
}

@Processor('images')
class ImageProcessor extends WorkerHost {
  constructor(private readonly events: EventEmitter2) {
    super();
  }

  async process(job: {
    id?: string;
    name: string;
    data: { fail?: boolean; notify?: boolean };
  }): Promise<string> {
    if (job.data.fail) throw new RenderError('cannot render');
    // A listener's error, rethrown by the emitter and then by the job.
    if (job.data.notify) await this.events.emitAsync('image.rendered', job.data);
    return 'done';
  }
}

@Injectable()
class Mailer {
  sent = 0;

  @OnEvent('order.created')
  onOrderCreated(order: { fail?: boolean }): void {
    if (order.fail) throw new MailError('smtp down');
    this.sent++;
  }

  @OnEvent('image.rendered', { suppressErrors: false })
  onImageRendered(): void {
    throw new MailError('mailbox full');
  }
}

const receiver = new SentryReceiver();

async function boot(
  contexts = true,
): Promise<{ app: INestApplicationContext; capture: LogCapture }> {
  const capture = new LogCapture();
  const options: ObservabilityModuleOptions = {
    service: 'worker',
    metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    health: { enabled: false },
    logging: { stream: capture },
    errors: { dsn: receiver.dsn },
    contexts: { enabled: contexts },
  };
  @Module({
    imports: [
      ObservabilityModule.forRoot(options),
      ScheduleModule.forRoot(),
      EventEmitterModule.forRoot(),
    ],
    providers: [Jobs, ImageProcessor, Mailer],
  })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await app.init();
  return { app, capture };
}

/** `errors_total` of `errorType`: 0 while it has no series. */
async function errorsTotal(app: INestApplicationContext, errorType: string): Promise<number> {
  const samples = findSamples((await scrape(app)).exposition, 'errors_total', {
    service: 'worker',
    error_type: errorType,
    severity: 'error',
  });
  expect(samples.length).toBeLessThanOrEqual(1);
  return samples[0]?.value ?? 0;
}

beforeAll(async () => {
  await receiver.start();
  expect(initSentry({ service: 'worker', errors: { dsn: receiver.dsn } })).toBe(true);
  // Sentry does not trace: its `Nest` integration is off.
  expect(Sentry.getClient()?.getIntegrationByName('Nest')).toBeUndefined();
});

afterAll(async () => {
  await Sentry.close(2000);
  await receiver.stop();
});

describe('errors of handlers outside HTTP, Sentry not tracing', () => {
  let app: INestApplicationContext | undefined;
  let capture: LogCapture;

  beforeEach(() => receiver.clear());

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('reports a failed @Cron run once, tagged schedule:Class.method, and counts it; successful runs send nothing', async () => {
    ({ app, capture } = await boot());
    // The cron job fires through the cron library, as at its scheduled time.
    const cron = app.get(SchedulerRegistry).getCronJob('yearly-report');
    await cron.fireOnTick();
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(0);
    expect(await errorsTotal(app, 'LedgerError')).toBe(0);

    await cron.fireOnTick();
    await cron.fireOnTick();
    expect(app.get(Jobs).runs).toBe(3);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      level: 'error',
      tags: { context: 'schedule:Jobs.report', error_type: 'LedgerError', service: 'worker' },
      exception: { values: [{ type: 'LedgerError', value: 'ledger locked' }] },
    });
    expect(await errorsTotal(app, 'LedgerError')).toBe(1);
    // `@nestjs/schedule` logs the failure itself: no second line from error tracking.
    expect(capture.lines.filter((line) => line.error_type === 'LedgerError')).toEqual([]);
  });

  it('reports a failed BullMQ job once, tagged queue:Class, and rethrows it untouched', async () => {
    ({ app } = await boot());
    const processor = app.get(ImageProcessor);
    // The wrapped method, called as the worker calls it.
    await expect(processor.process({ id: '1', name: 'thumb', data: {} })).resolves.toBe('done');
    const failure = processor.process({ id: '2', name: 'thumb', data: { fail: true } });
    await expect(failure).rejects.toBeInstanceOf(RenderError);
    await expect(failure).rejects.toThrow('cannot render');
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      tags: { context: 'queue:ImageProcessor', error_type: 'RenderError' },
      exception: { values: [{ type: 'RenderError' }] },
    });
    expect(await errorsTotal(app, 'RenderError')).toBe(1);
  });

  it('reports an error rethrown through two instrumented handlers once, where it was thrown', async () => {
    ({ app } = await boot());
    await expect(
      app.get(ImageProcessor).process({ id: '4', name: 'thumb', data: { notify: true } }),
    ).rejects.toThrow('mailbox full');
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0].tags.context).toBe('event:Mailer.onImageRendered');
    expect(await errorsTotal(app, 'MailError')).toBe(1);
  });

  it('reports a failed @OnEvent listener once, tagged event:Class.method; others still run', async () => {
    ({ app } = await boot());
    const events = app.get(EventEmitter2);
    // `@nestjs/event-emitter` logs and swallows the listener's error, as without the module.
    await events.emitAsync('order.created', {});
    await events.emitAsync('order.created', { fail: true });
    await events.emitAsync('order.created', {});
    expect(app.get(Mailer).sent).toBe(2);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      tags: { context: 'event:Mailer.onOrderCreated', error_type: 'MailError' },
      exception: { values: [{ type: 'MailError', value: 'smtp down' }] },
    });
    expect(await errorsTotal(app, 'MailError')).toBe(1);
  });

  it('reports nothing new with contexts.enabled: false', async () => {
    ({ app } = await boot(false));
    await app.get(SchedulerRegistry).getCronJob('yearly-report').fireOnTick();
    await app.get(SchedulerRegistry).getCronJob('yearly-report').fireOnTick();
    await expect(
      app.get(ImageProcessor).process({ id: '3', name: 'thumb', data: { fail: true } }),
    ).rejects.toBeInstanceOf(RenderError);
    await app.get(EventEmitter2).emitAsync('order.created', { fail: true });
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(0);
    expect(await errorsTotal(app, 'RenderError')).toBe(0);
  });
});
