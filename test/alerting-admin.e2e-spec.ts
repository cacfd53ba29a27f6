import {
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  type LoggerService,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type AlertingOptions, AlertingService, ObservabilityModule } from 'nestjs-observability';
import { HttpReceiver } from './utils/http-receiver';

const jsonOf = async (response: Response | Promise<Response>): Promise<any> =>
  (await response).json();

const SECRET_PATH = '/services/T0SECRET/B0SECRET/xoxb-very-secret';

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

@Injectable()
class HeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-admin'] === 'yes';
  }
}

for (const Adapter of [ExpressAdapter, FastifyAdapter]) {
  describe(`Alerting admin API (${Adapter.name})`, () => {
    let slack: HttpReceiver;
    let app: INestApplication | undefined;
    let base: string;
    let logger: CapturingLogger;

    async function start(alerting: AlertingOptions) {
      @Module({
        imports: [
          ObservabilityModule.forRoot({
            service: 'api',
            metrics: { enabled: false, defaultMetrics: false },
            alerting: {
              delivery: { backoffMs: 1, maxBackoffMs: 2, maxRetries: 1 },
              ...alerting,
              channels: { slack: { webhookUrl: slack.url(SECRET_PATH) }, log: true },
            },
          }),
        ],
      })
      class AppModule {}
      logger = new CapturingLogger();
      app = await NestFactory.create(AppModule, new Adapter(), { logger, abortOnError: false });
      await app.listen(0, '127.0.0.1');
      base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      return app.get(AlertingService);
    }

    const auth = { authorization: 'Bearer admin-token' };
    const json = { ...auth, 'content-type': 'application/json' };

    beforeEach(async () => {
      slack = await HttpReceiver.start();
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
      await slack.close();
    });

    it('is not registered without protection', async () => {
      await start({});
      expect((await fetch(`${base}/alerts`)).status).toBe(404);
      expect((await fetch(`${base}/alerts/test?channel=slack`, { method: 'POST' })).status).toBe(
        404,
      );
    });

    it('needs the bearer token', async () => {
      await start({ admin: { token: 'admin-token' } });
      expect((await fetch(`${base}/alerts`)).status).toBe(401);
      expect(
        (await fetch(`${base}/alerts`, { headers: { authorization: 'Bearer nope' } })).status,
      ).toBe(401);
      expect((await fetch(`${base}/alerts`, { headers: auth })).status).toBe(200);
    });

    it('accepts a user guard instead', async () => {
      await start({ admin: { guard: HeaderGuard } });
      expect((await fetch(`${base}/alerts`)).status).toBe(403);
      expect((await fetch(`${base}/alerts`, { headers: { 'x-admin': 'yes' } })).status).toBe(200);
    });

    it('GET /alerts?active_only=true lists active alerts, channels masked', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      alerting.send({ name: 'A', severity: 'warning', summary: 'a', labels: { queue: 'q' } });
      alerting.send({ name: 'B', severity: 'info', summary: 'b' });
      alerting.resolve(alerting.getActive()[1].fingerprint);
      await alerting.whenIdle();

      const active = await fetch(`${base}/alerts?active_only=true`, { headers: auth });
      const text = await active.text();
      expect(text).not.toContain('SECRET');
      const body = JSON.parse(text);
      expect(body.alerts).toEqual([
        expect.objectContaining({
          name: 'A',
          status: 'firing',
          labels: { queue: 'q' },
          startsAt: expect.any(String),
        }),
      ]);
      expect(body.channels).toEqual([
        expect.objectContaining({
          name: 'slack',
          type: 'slack',
          webhookUrl: `${slack.url().slice(0, -1)}/***`,
          healthy: true,
        }),
        expect.objectContaining({ name: 'log', type: 'log', healthy: true }),
      ]);
      const all = await jsonOf(fetch(`${base}/alerts?active_only=false`, { headers: auth }));
      expect(
        all.alerts.map((a: { name: string; status: string }) => `${a.name}:${a.status}`),
      ).toEqual(['A:firing', 'B:resolved']);

      const bad = await fetch(`${base}/alerts?active_only=maybe`, { headers: auth });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        statusCode: 400,
        message: 'Invalid alerting request',
        errors: { active_only: 'expected true or false' },
      });
    });

    it('POST /alerts/test?channel=slack delivers a test alert now, 502 when the channel fails', async () => {
      await start({ admin: { token: 'admin-token' } });
      const ok = await fetch(`${base}/alerts/test?channel=slack`, {
        method: 'POST',
        headers: auth,
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ channel: 'slack', delivered: true });
      expect(slack.requests[0].json.blocks[0].text.text).toBe('[TEST] [FIRING:1] TestAlert');

      slack.respondWith({ status: 500, body: 'down' });
      const failed = await fetch(`${base}/alerts/test?channel=slack`, {
        method: 'POST',
        headers: auth,
      });
      expect(failed.status).toBe(502);
      expect(await failed.json()).toEqual({
        channel: 'slack',
        delivered: false,
        error: 'HTTP 500 down',
      });

      const unknown = await fetch(`${base}/alerts/test?channel=teams`, {
        method: 'POST',
        headers: auth,
      });
      expect(unknown.status).toBe(400);
      expect((await jsonOf(unknown)).errors).toEqual({ channel: 'expected one of slack, log' });
    });

    it('POST /alerts/configure changes a target, refuses non-http(s) URLs, and disables a channel', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      const other = await HttpReceiver.start();
      try {
        const configure = (body: unknown) =>
          fetch(`${base}/alerts/configure`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify(body),
          });

        const refused = await configure({
          channel: 'slack',
          url: 'file:///etc/passwd',
          color: 'red',
        });
        expect(refused.status).toBe(400);
        expect((await jsonOf(refused)).errors).toEqual({
          url: 'expected an http(s) URL',
          color: 'unknown field; expected channel, enabled or url',
        });
        const unknown = await configure({ channel: 'teams', enabled: false });
        expect((await jsonOf(unknown)).errors).toEqual({ channel: 'expected one of slack, log' });
        expect((await configure({ channel: 'log', url: other.url() })).status).toBe(400);

        const moved = await configure({ channel: 'slack', url: other.url('/new/secret-path') });
        expect(moved.status).toBe(200);
        expect((await jsonOf(moved)).channel).toMatchObject({
          name: 'slack',
          webhookUrl: `${other.url().slice(0, -1)}/***`,
        });
        alerting.send({ name: 'Moved', severity: 'info', summary: 'to the new target' });
        await alerting.whenIdle();
        expect(other.requests).toHaveLength(1);
        expect(slack.requests).toHaveLength(0);

        expect((await configure({ channel: 'slack', enabled: false })).status).toBe(200);
        alerting.send({ name: 'Silenced', severity: 'info', summary: 'not sent to slack' });
        await alerting.whenIdle();
        expect(other.requests).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('never writes the webhook URL to the logs when deliveries fail', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      slack.setDefault({ status: 503 });
      alerting.send({ name: 'Failing', severity: 'critical', summary: 'slack is down' });
      await alerting.whenIdle();
      const logs = logger.lines.join('\n');
      expect(logs).toContain('Alert delivery to channel "slack" failed: HTTP 503 (2 attempts)');
      expect(logs).not.toContain('SECRET');
      expect(logs).not.toContain(String(slack.port));
    });
  });
}
