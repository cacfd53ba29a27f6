import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HttpReceiver } from './utils/http-receiver';
import { OtlpReceiver } from './utils/otlp-receiver';
import { SentryReceiver } from './utils/sentry-receiver';
import { TracedApp } from './utils/traced-app';

const SERVER = 2;
const CLIENT = 3;

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Sentry is built on OpenTelemetry: with both on, Sentry owns the tracer provider and the OTLP
// export rides on it, so each operation is one span, sent to both backends.
describe.each(['express', 'fastify'] as const)('tracing with Sentry on %s', (adapter) => {
  let collector: OtlpReceiver;
  let sentry: SentryReceiver;
  let outbound: HttpReceiver;
  let app: TracedApp;

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    sentry = new SentryReceiver();
    await sentry.start();
    outbound = await HttpReceiver.start();
    outbound.setDefault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"stock":1}',
    });
    app = await TracedApp.start({
      ADAPTER: adapter,
      APP_ENV: 'production',
      OUTBOUND_URL: outbound.url('/'),
      SENTRY_DSN: sentry.dsn,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  }, 60_000);

  afterAll(async () => {
    expect(await app?.stop()).toBe(0);
    await outbound?.close();
    await sentry?.stop();
    await collector?.stop();
  });

  it('exports one server span per request over OTLP, the same trace Sentry receives, with our spans in it', async () => {
    // From another process: a suite run before this one in the same Jest process may have left
    // Sentry's hooks on process-wide diagnostics channels, which this process's clients would hit.
    const { stdout } = await promisify(execFile)(process.execPath, [
      '-e',
      `fetch(process.argv[1], { headers: { 'x-api-key': 'secret' } }).then((r) => console.log(r.status))`,
      `${app.url}/orders/4`,
    ]);
    expect(stdout.trim()).toBe('200');

    const spans = await collector.waitForSpans(
      (all) =>
        all.some((s) => s.name === 'OrdersService.find') &&
        all.some((s) => s.kind === SERVER && s.parentSpanId === ''),
    );
    const provider = spans.find((s) => s.name === 'OrdersService.find')!;
    const trace = spans.filter((s) => s.traceId === provider.traceId);
    // One provider, one set of HTTP instrumentations: no second server span for the request.
    expect(trace.filter((s) => s.kind === SERVER)).toHaveLength(1);
    // Ours once each (Sentry adds its own `request_context` span around the whole pipeline).
    const ours = trace.filter((s) => s.scope === 'nestjs-observability');
    for (const name of [
      'ApiKeyGuard.canActivate',
      'OrderIdPipe.transform',
      'OrdersController.get',
    ]) {
      expect(ours.filter((s) => s.name === name)).toHaveLength(1);
    }
    // The OTLP backend sees the application (package.json's name here), not Sentry's SDK.
    expect(provider.resource['service.name']).toBe('nestjs-observability');
    expect(provider.resource['deployment.environment.name']).toBe('production');
    const clients = trace.filter(
      (s) =>
        s.kind === CLIENT &&
        String(s.attributes['url.full'] ?? s.attributes['http.url']).includes('/stock/4'),
    );
    expect(clients).toHaveLength(1);
    const received = outbound.requests.find((r) => r.url === '/stock/4')!;
    expect(received.headers.traceparent).toMatch(
      new RegExp(`^00-${provider.traceId}-[0-9a-f]{16}-01$`),
    );

    const transaction = await until(
      () =>
        sentry.envelopes
          .flatMap((e) => e.items)
          .find(
            (item) =>
              item.header.type === 'transaction' &&
              item.payload.contexts?.trace?.trace_id === provider.traceId,
          ),
      'the Sentry transaction of the request',
    );
    const sentrySpans: Array<{ description: string }> = transaction.payload.spans ?? [];
    expect(sentrySpans.map((s) => s.description)).toEqual(
      expect.arrayContaining(['OrdersController.get', 'OrdersService.find']),
    );

    const line = await app.waitForLog(
      (l) => l.msg === 'request completed' && l.req?.url === '/orders/4',
    );
    expect(line?.trace_id).toBe(provider.traceId);
  });
});
