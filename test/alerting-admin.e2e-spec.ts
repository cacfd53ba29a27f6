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
import { FakeClock } from './utils/fake-clock';
import { HttpReceiver } from './utils/http-receiver';

const jsonOf = async (response: Response | Promise<Response>): Promise<any> =>
  (await response).json();

const SECRET_PATH = '/services/T0SECRET/B0SECRET/xoxb-very-secret';

/** Every admin route, with a fingerprint that fits the parameterised ones. */
const ROUTES = [
  ['GET', '/alerts'],
  ['GET', '/alerts/history'],
  ['POST', '/alerts/test?channel=slack'],
  ['POST', '/alerts/configure'],
  ['POST', '/alerts/0123456789abcdef/acknowledge'],
  ['POST', '/alerts/0123456789abcdef/resolve'],
] as const;

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

    /** Boots the app with `alerting`, through `forRoot` or (`door: 'async'`) `forRootAsync`. */
    async function start(alerting: AlertingOptions, door: 'sync' | 'async' = 'sync') {
      const options = {
        service: 'api',
        metrics: { enabled: false, defaultMetrics: false },
        alerting: {
          delivery: { backoffMs: 1, maxBackoffMs: 2, maxRetries: 1 },
          ...alerting,
          channels: { slack: { webhookUrl: slack.url(SECRET_PATH) }, log: true },
        },
      };
      /** Stands in for `@nestjs/config`'s ConfigService. */
      class SettingsService {
        get(): typeof options {
          return options;
        }
      }
      @Module({ providers: [SettingsService], exports: [SettingsService] })
      class SettingsModule {}
      @Module({
        imports: [
          door === 'sync'
            ? ObservabilityModule.forRoot(options)
            : ObservabilityModule.forRootAsync({
                imports: [SettingsModule],
                inject: [SettingsService],
                useFactory: async (settings: SettingsService) => settings.get(),
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

    it.each(['sync', 'async'] as const)(
      'is not registered without protection (%s options)',
      async (door) => {
        await start({}, door);
        for (const [method, path] of ROUTES) {
          const response = await fetch(`${base}${path}`, { method });
          expect(response.status).toBe(404);
          // The answer of a route that does not exist, so nothing tells the API is there.
          expect((await jsonOf(response)).message).toBe(`Cannot ${method} ${path}`);
        }
      },
    );

    it.each(['sync', 'async'] as const)(
      'has the same routes and protection from forRoot and forRootAsync, on alerting.admin.path (%s options)',
      async (door) => {
        const alerting = await start(
          { admin: { token: 'admin-token', path: '/ops/alerts' } },
          door,
        );
        alerting.send({ name: 'A', severity: 'warning', summary: 'a' });
        const [{ fingerprint }] = alerting.getActive();
        for (const [method, path] of ROUTES) {
          expect((await fetch(`${base}/ops${path}`, { method })).status).toBe(401);
          expect((await fetch(`${base}${path}`, { method, headers: auth })).status).toBe(404);
        }
        const listed = await fetch(`${base}/ops/alerts`, { headers: auth });
        expect(listed.status).toBe(200);
        expect((await jsonOf(listed)).alerts).toEqual([expect.objectContaining({ fingerprint })]);
        const acknowledged = await fetch(`${base}/ops/alerts/${fingerprint}/acknowledge`, {
          method: 'POST',
          headers: auth,
        });
        expect(acknowledged.status).toBe(200);
      },
    );

    it('answers 401 on every route without the token, and 403 from a user guard', async () => {
      await start({ admin: { token: 'admin-token' } });
      for (const [method, path] of ROUTES) {
        const response = await fetch(`${base}${path}`, { method });
        expect(response.status).toBe(401);
        expect(await jsonOf(response)).toEqual({ statusCode: 401, message: 'Unauthorized' });
      }
      await app!.close();
      await start({ admin: { guard: HeaderGuard } });
      for (const [method, path] of ROUTES) {
        expect((await fetch(`${base}${path}`, { method })).status).toBe(403);
      }
    });

    it('rate limits each client IP on every route, before authentication: 429 with Retry-After', async () => {
      const clock = new FakeClock();
      await start({ clock, admin: { token: 'admin-token', rateLimitPerMinute: 2 } });
      for (const [method, path] of ROUTES) {
        expect((await fetch(`${base}${path}`, { method })).status).toBe(401);
        expect((await fetch(`${base}${path}`, { method, headers: auth })).status).not.toBe(429);
        const limited = await fetch(`${base}${path}`, { method, headers: auth });
        expect(limited.status).toBe(429);
        expect(limited.headers.get('retry-after')).toBe('30');
        expect(await jsonOf(limited)).toEqual({
          statusCode: 429,
          message: 'Too many alerting admin requests from this client; retry in 30 s.',
        });
        // Without the token too: the limit comes before authentication.
        expect((await fetch(`${base}${path}`, { method })).status).toBe(429);
        clock.advance(60_000);
      }
      clock.advance(29_000);
      await fetch(`${base}/alerts`, { headers: auth });
      await fetch(`${base}/alerts`, { headers: auth });
      const limited = await fetch(`${base}/alerts`, { headers: auth });
      expect(limited.headers.get('retry-after')).toBe('30');
      clock.advance(30_000);
      expect((await fetch(`${base}/alerts`, { headers: auth })).status).toBe(200);
    });

    it('POST /alerts/:fingerprint/acknowledge acknowledges (stops escalation); 404 unknown, 400 bad body', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      alerting.send({ name: 'Down', severity: 'critical', summary: 'down' });
      const [{ fingerprint }] = alerting.getActive();
      const acknowledge = (fp: string, body?: unknown) =>
        fetch(`${base}/alerts/${encodeURIComponent(fp)}/acknowledge`, {
          method: 'POST',
          headers: body === undefined ? auth : json,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      const ok = await acknowledge(fingerprint, { by: 'alice' });
      expect(ok.status).toBe(200);
      expect(await jsonOf(ok)).toEqual({
        alert: expect.objectContaining({
          fingerprint,
          status: 'firing',
          acknowledgedBy: 'alice',
          acknowledgedAt: expect.any(String),
        }),
      });
      expect(alerting.getActive()[0].acknowledgedBy).toBe('alice');
      const anonymous = await acknowledge(fingerprint);
      expect(anonymous.status).toBe(200);
      expect((await jsonOf(anonymous)).alert.acknowledgedBy).toBe('admin-api');

      const unknown = await acknowledge('nope', { by: 'alice' });
      expect(unknown.status).toBe(404);
      expect(await jsonOf(unknown)).toEqual({
        statusCode: 404,
        message: 'No active alert has the fingerprint "nope".',
      });
      for (const [body, errors] of [
        [{ by: 42 }, { by: 'expected a non-empty string of at most 200 characters' }],
        [{ by: 'x'.repeat(201) }, { by: 'expected a non-empty string of at most 200 characters' }],
        [{ who: 'bob' }, { who: 'unknown field; expected by' }],
        [['alice'], { body: 'expected a JSON object { by? }' }],
      ] as const) {
        const bad = await acknowledge(fingerprint, body);
        expect(bad.status).toBe(400);
        expect(await jsonOf(bad)).toEqual({
          statusCode: 400,
          message: 'Invalid alerting request',
          errors,
        });
      }
    });

    it('POST /alerts/:fingerprint/resolve sends one resolve; 404 when unknown or already resolved', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      alerting.send({ name: 'Down', severity: 'critical', summary: 'down' });
      const [{ fingerprint }] = alerting.getActive();
      const resolve = () =>
        fetch(`${base}/alerts/${fingerprint}/resolve`, { method: 'POST', headers: auth });
      const ok = await resolve();
      expect(ok.status).toBe(200);
      expect(await jsonOf(ok)).toEqual({
        alert: expect.objectContaining({
          fingerprint,
          status: 'resolved',
          endsAt: expect.any(String),
        }),
      });
      expect(alerting.getActive()).toEqual([]);
      await alerting.whenIdle();
      expect(slack.requests.map((r) => r.json.blocks[0].text.text)).toEqual([
        '[FIRING:1] Down',
        '[RESOLVED:1] Down',
      ]);
      const again = await resolve();
      expect(again.status).toBe(404);
      expect(await jsonOf(again)).toEqual({
        statusCode: 404,
        message: `No active alert has the fingerprint "${fingerprint}".`,
      });
    });

    it('GET /alerts/history lists resolved alerts newest first; 400 on a bad limit', async () => {
      const alerting = await start({ admin: { token: 'admin-token' } });
      for (const name of ['A', 'B', 'C']) {
        alerting.send({ name, severity: 'warning', summary: name });
        alerting.resolve(alerting.getActive()[0].fingerprint);
      }
      alerting.send({ name: 'D', severity: 'warning', summary: 'still firing' });
      const history = await fetch(`${base}/alerts/history`, { headers: auth });
      expect(history.status).toBe(200);
      const body = await jsonOf(history);
      expect(body.alerts.map((a: { name: string; status: string }) => a.name)).toEqual([
        'C',
        'B',
        'A',
      ]);
      expect(body.alerts[0]).toMatchObject({ status: 'resolved', endsAt: expect.any(String) });
      const limited = await fetch(`${base}/alerts/history?limit=2`, { headers: auth });
      expect((await jsonOf(limited)).alerts).toHaveLength(2);
      for (const limit of ['0', '101', 'ten', '1.5']) {
        const bad = await fetch(`${base}/alerts/history?limit=${limit}`, { headers: auth });
        expect(bad.status).toBe(400);
        expect((await jsonOf(bad)).errors).toEqual({ limit: 'expected an integer 1-100' });
      }
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
      expect(await jsonOf(bad)).toEqual({
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
      expect(await jsonOf(ok)).toEqual({ channel: 'slack', delivered: true });
      expect(slack.requests[0].json.blocks[0].text.text).toBe('[TEST] [FIRING:1] TestAlert');

      slack.respondWith({ status: 500, body: 'down' });
      const failed = await fetch(`${base}/alerts/test?channel=slack`, {
        method: 'POST',
        headers: auth,
      });
      expect(failed.status).toBe(502);
      expect(await jsonOf(failed)).toEqual({
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
      const other = await HttpReceiver.start();
      // Another origin must be allowed; plain http only to loopback, as allowed here for tests.
      const alerting = await start({
        admin: {
          token: 'admin-token',
          allowLoopbackHttp: true,
          allowedOrigins: [new URL(other.url()).origin],
        },
      });
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
          color: 'unknown field; expected channel, enabled, url or config',
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
