import { Controller, Get, type INestApplication, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type AlertingOptions, AlertingService, ObservabilityModule } from 'nestjs-observability';
import { ADAPTERS } from './utils/http-apps';
import { eventually } from './utils/http-client';
import { closedPort, HttpReceiver } from './utils/http-receiver';

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  error(message: unknown) {
    this.lines.push(String(message));
  }
  warn(message: unknown) {
    this.lines.push(String(message));
  }
  debug() {}
  verbose() {}
}

@Controller()
class RaiseController {
  constructor(private readonly alerting: AlertingService) {}
  @Get('raise')
  raise() {
    this.alerting.send({ name: 'RaisedWhileDraining', severity: 'critical', summary: 'late' });
    return { ok: true };
  }
}

describe.each(ADAPTERS)('Alerts raised during a graceful shutdown (%s)', (_name, adapter) => {
  let app: INestApplication | undefined;
  let closing: Promise<void> | undefined;
  let logger: CapturingLogger;

  async function start(webhookUrl: string, alerting: AlertingOptions = {}, graceMs = 800) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          health: { shutdownGracePeriodMs: graceMs },
          alerting: { ...alerting, channels: { webhook: { url: webhookUrl } } },
        }),
      ],
      controllers: [RaiseController],
    })
    class AppModule {}
    logger = new CapturingLogger();
    app = await NestFactory.create(AppModule, adapter() as never, {
      logger,
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${app.getHttpServer().address().port}`;
  }

  /**
   * `app.close('SIGTERM')`: what `enableShutdownHooks()` runs on SIGTERM (the signal reaches the
   * shutdown hooks, so the health grace period applies). Resolves once `/ready` answers 503.
   */
  async function terminate(url: string): Promise<{ closed: () => boolean }> {
    let closed = false;
    const context = app as unknown as { close(signal?: string): Promise<void> };
    closing = context.close('SIGTERM').then(() => {
      closed = true;
    });
    await eventually(async () => (await fetch(`${url}/ready`)).status === 503);
    return { closed: () => closed };
  }

  afterEach(async () => {
    if (closing) await closing;
    else await app?.close();
    app = undefined;
    closing = undefined;
  });

  it('delivers an alert raised during the grace period while the app still serves', async () => {
    const receiver = await HttpReceiver.start();
    try {
      const url = await start(receiver.url('/hook'));
      const shutdown = await terminate(url);
      expect((await fetch(`${url}/raise`)).status).toBe(200);
      const [request] = await receiver.waitFor(1, 2000);
      expect(shutdown.closed()).toBe(false);
      expect(request.json.alerts[0]).toMatchObject({ name: 'RaisedWhileDraining' });
      await closing;
    } finally {
      await receiver.close();
    }
  });

  it('starts the grace period at once while a delivery hangs, and flushes after it', async () => {
    const receiver = await HttpReceiver.start();
    receiver.setDefault({ hang: true });
    try {
      const url = await start(
        receiver.url('/hook'),
        { delivery: { timeoutMs: 60_000, shutdownTimeoutMs: 1500 } },
        300,
      );
      const alerting = app!.get(AlertingService);
      alerting.send({ name: 'Hanging', severity: 'warning', summary: 'receiver never answers' });
      await receiver.waitFor(1);
      const started = Date.now();
      await terminate(url);
      const grace =
        'Received SIGTERM: /ready now answers 503; the application keeps serving for 300 ms (health.shutdownGracePeriodMs) before it closes.';
      await eventually(async () => logger.lines.includes(grace), 25);
      // The grace period did not wait for the 1500 ms flush...
      expect(Date.now() - started).toBeLessThan(1000);
      await closing;
      // ...which ran after it, for its full deadline.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1800);
      expect(logger.lines.indexOf(grace)).toBeLessThan(
        logger.lines.indexOf(
          '1 alert deliveries were still pending after 1500 ms ("alerting.delivery.shutdownTimeoutMs") at shutdown and were dropped.',
        ),
      );
    } finally {
      await receiver.close();
    }
  });

  it('when the receiver is down, retries through the grace period, then logs the alert as lost after the flush deadline', async () => {
    const port = await closedPort();
    const url = await start(`http://127.0.0.1:${port}/hook`, {
      delivery: { backoffMs: 20, maxBackoffMs: 50, maxRetries: 1000, shutdownTimeoutMs: 300 },
    });
    const alerting = app!.get(AlertingService);
    await terminate(url);
    expect((await fetch(`${url}/raise`)).status).toBe(200);
    expect(alerting.getChannelStates()[0].pending).toBe(1);
    await closing;
    expect(logger.lines).toContain(
      '1 alert deliveries were still pending after 300 ms ("alerting.delivery.shutdownTimeoutMs") at shutdown and were dropped.',
    );

    alerting.send({ name: 'AfterClose', severity: 'critical', summary: 'too late' });
    expect(logger.lines).toContain(
      'Alert "AfterClose" was raised after alerting shut down and is lost. It is counted in alerts_dropped_total{reason="shutdown"}; further ones are only counted.',
    );
  });
});
