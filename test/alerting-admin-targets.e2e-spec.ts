import { type INestApplication, Module } from '@nestjs/common';
import { type AlertingOptions, AlertingService, ObservabilityModule } from 'nestjs-observability';
import { ADAPTERS, listen } from './utils/http-apps';
import { HttpReceiver } from './utils/http-receiver';

const ADMIN = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/**
 * `POST /alerts/configure` may move a channel only where its stored credentials stay safe: https
 * (plain http only to loopback with `allowLoopbackHttp`), the configured origin or one listed in
 * `allowedOrigins`, and a new origin only with the credentials given again.
 */
describe.each(ADAPTERS)('Alerting admin: runtime channel targets (%s)', (_name, adapter) => {
  let home: HttpReceiver;
  let trusted: HttpReceiver;
  let attacker: HttpReceiver;
  let app: INestApplication | undefined;
  let url: string;

  async function start(admin: AlertingOptions['admin']) {
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'api',
          metrics: { enabled: false, defaultMetrics: false },
          logging: { enabled: false },
          alerting: {
            admin: { token: 'admin-token', ...admin },
            delivery: { maxRetries: 0 },
            channels: {
              webhook: {
                url: home.url('/hooks/ops'),
                headers: { Authorization: 'Bearer webhook-credential' },
                secret: 'webhook-signing-key',
              },
              slack: { webhookUrl: home.url('/services/T0/B0/slack-token') },
              sms: {
                accountSid: 'AC-stored',
                authToken: 'stored-twilio-token',
                from: '+15550000000',
                to: ['+15551111111'],
                baseUrl: home.url(),
              },
              pagerduty: { routingKey: 'stored-routing-key', url: home.url('/v2/enqueue') },
            },
          },
        }),
      ],
    })
    class AppModule {}
    ({ app, url } = await listen(AppModule, adapter));
    return app.get(AlertingService);
  }

  const configure = async (body: unknown) => {
    const response = await fetch(`${url}/alerts/configure`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const test = (channel: string) =>
    fetch(`${url}/alerts/test?channel=${channel}`, {
      method: 'POST',
      headers: { authorization: ADMIN.authorization },
    });

  beforeEach(async () => {
    [home, trusted, attacker] = await Promise.all([
      HttpReceiver.start(),
      HttpReceiver.start(),
      HttpReceiver.start(),
    ]);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await Promise.all([home.close(), trusted.close(), attacker.close()]);
  });

  it('refuses plain http, the metadata address and origins not allowed, for every channel; nothing reaches them', async () => {
    await start({ allowLoopbackHttp: true, allowedOrigins: [new URL(trusted.url()).origin] });
    const notAllowed =
      /^expected the channel's configured origin \(http:\/\/127\.0\.0\.1:\d+\) or one of "alerting\.admin\.allowedOrigins"$/;
    for (const channel of ['sms', 'webhook', 'pagerduty', 'slack']) {
      const moved = await configure({ channel, url: attacker.url('/collect') });
      expect(moved.status).toBe(400);
      expect(moved.body.errors.url).toMatch(notAllowed);
      // The guide's body shape, with the credentials given again: still not an allowed origin.
      const guide = await configure({
        channel,
        enabled: true,
        config: { url: attacker.url('/collect') },
      });
      expect(guide.status).toBe(400);
      expect(guide.body.errors['config.url']).toMatch(notAllowed);
    }
    const metadata = await configure({
      channel: 'sms',
      url: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(metadata.status).toBe(400);
    expect(metadata.body.errors).toEqual({
      url: 'expected an https URL (plain http only to a loopback host, with "alerting.admin.allowLoopbackHttp")',
    });
    const metadataTls = await configure({ channel: 'webhook', url: 'https://169.254.169.254/' });
    expect(metadataTls.status).toBe(400);
    expect(metadataTls.body.errors.url).toMatch(notAllowed);

    for (const channel of ['sms', 'webhook', 'pagerduty', 'slack']) {
      expect((await test(channel)).status).toBe(200);
    }
    expect(attacker.requests).toEqual([]);
    // Every test went to the configured receiver, with the stored credentials.
    expect(home.requests).toHaveLength(4);
  });

  it('refuses plain http to loopback unless "allowLoopbackHttp" is set', async () => {
    await start({ allowedOrigins: [new URL(trusted.url()).origin] });
    const moved = await configure({ channel: 'slack', url: home.url('/services/T0/B0/other') });
    expect(moved.status).toBe(400);
    expect(moved.body.errors.url).toBe(
      'expected an https URL (plain http only to a loopback host, with "alerting.admin.allowLoopbackHttp")',
    );
  });

  it('refuses URLs with user:password@ (fetch never sends them)', async () => {
    await start({ allowLoopbackHttp: true });
    const moved = await configure({
      channel: 'webhook',
      url: `http://ops:hunter2@127.0.0.1:${home.port}/hooks/ops`,
    });
    expect(moved.status).toBe(400);
    expect(moved.body.errors).toEqual({
      url: 'expected a URL without "user:password@": fetch refuses credentials in URLs; give them in the channel\'s credential options (e.g. webhook "headers")',
    });
    expect(JSON.stringify(moved.body)).not.toContain('hunter2');
  });

  it('moves a channel to an allowed origin only with its credentials given again', async () => {
    await start({ allowLoopbackHttp: true, allowedOrigins: [new URL(trusted.url()).origin] });
    trusted.setDefault({ status: 202, body: '{}' });

    // Stored credentials never go to the new origin: they must be given with it.
    const bare = await configure({ channel: 'sms', url: trusted.url() });
    expect(bare.status).toBe(400);
    expect(bare.body.errors).toEqual({
      'config.accountSid':
        'required with a URL on another origin: stored credentials are never sent to a new origin',
      'config.authToken':
        'required with a URL on another origin: stored credentials are never sent to a new origin',
    });
    const hook = await configure({ channel: 'webhook', config: { url: trusted.url('/in') } });
    expect(Object.keys(hook.body.errors).sort()).toEqual(['config.headers', 'config.secret']);
    const pager = await configure({ channel: 'pagerduty', config: { url: trusted.url('/pd') } });
    expect(Object.keys(pager.body.errors)).toEqual(['config.routingKey']);
    expect(trusted.requests).toEqual([]);

    // The guide's shape: { channel, enabled, config }, in its snake_case or in option names.
    const sms = await configure({
      channel: 'sms',
      enabled: true,
      config: { base_url: trusted.url(), account_sid: 'AC-new', auth_token: 'new-twilio-token' },
    });
    expect(sms.status).toBe(200);
    expect(sms.body.channel).toMatchObject({ name: 'sms', type: 'sms', enabled: true });
    expect(JSON.stringify(sms.body)).not.toContain('new-twilio-token');
    const webhook = await configure({
      channel: 'webhook',
      config: { url: trusted.url('/in'), headers: { 'X-Source': 'ops' }, secret: null },
    });
    expect(webhook.status).toBe(200);
    const pagerduty = await configure({
      channel: 'pagerduty',
      config: { url: trusted.url('/pd'), routing_key: 'new-routing-key' },
    });
    expect(pagerduty.status).toBe(200);

    for (const channel of ['sms', 'webhook', 'pagerduty']) {
      expect((await test(channel)).status).toBe(200);
    }
    const [toTwilio, toWebhook, toPagerDuty] = trusted.requests;
    expect(toTwilio.url).toBe('/2010-04-01/Accounts/AC-new/Messages.json');
    expect(toTwilio.headers.authorization).toBe(basic('AC-new', 'new-twilio-token'));
    expect(toWebhook.url).toBe('/in');
    expect(toWebhook.headers['x-source']).toBe('ops');
    expect(toWebhook.headers.authorization).toBeUndefined();
    expect(toWebhook.headers['x-alert-signature']).toBeUndefined();
    expect(toPagerDuty.json.routing_key).toBe('new-routing-key');
    const everything = JSON.stringify(trusted.requests);
    for (const stored of ['webhook-credential', 'stored-twilio-token', 'stored-routing-key']) {
      expect(everything).not.toContain(stored);
    }
  });

  it('keeps the stored credentials on the configured origin, and explains what Slack cannot change', async () => {
    await start({ allowLoopbackHttp: true });
    const moved = await configure({
      channel: 'pagerduty',
      enabled: true,
      config: { url: home.url('/v2/enqueue-eu') },
    });
    expect(moved.status).toBe(200);
    const slack = await configure({
      channel: 'slack',
      enabled: true,
      config: { webhook_url: home.url('/services/T0/B1/other-token') },
    });
    expect(slack.status).toBe(200);
    expect((await test('pagerduty')).status).toBe(200);
    expect((await test('slack')).status).toBe(200);
    expect(home.requests.map((r) => r.url)).toEqual([
      '/v2/enqueue-eu',
      '/services/T0/B1/other-token',
    ]);
    expect(home.requests[0].json.routing_key).toBe('stored-routing-key');

    const channel = await configure({ channel: 'slack', config: { channel: '#alerts' } });
    expect(channel.status).toBe(400);
    expect(channel.body.errors).toEqual({
      'config.channel':
        'not supported: Slack app webhooks always post to the channel chosen when the webhook was created; configure the URL of a webhook for that channel instead',
    });
    const unknown = await configure({ channel: 'sms', config: { colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual({
      'config.colour': 'unknown field; expected one of url, baseUrl, accountSid, authToken',
    });
    const both = await configure({
      channel: 'slack',
      url: home.url('/a'),
      config: { url: home.url('/b') },
    });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual({ url: 'give the URL once: as "url" or in "config"' });
  });
});
