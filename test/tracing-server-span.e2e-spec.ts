import { HttpReceiver } from './utils/http-receiver';
import { OtlpReceiver, type ReceivedSpan } from './utils/otlp-receiver';
import { TracedApp } from './utils/traced-app';

const SERVER = 2;
const INTERNAL = 1;
const CLIENT = 3;
const ERROR = 2;

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

// The server spans this library makes when its tracing owns the provider: in the Nest
// adapter's first request hook, and from the `request` event of any other server.
describe.each(['express', 'fastify'] as const)('HTTP server spans on %s', (adapter) => {
  let collector: OtlpReceiver;
  let outbound: HttpReceiver;
  let app: TracedApp;

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    outbound = await HttpReceiver.start();
    outbound.setDefault({ status: 200, body: 'ok' });
    app = await TracedApp.start(
      {
        ADAPTER: adapter,
        APP_ENV: 'production',
        OUTBOUND_URL: outbound.url('/'),
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: 'items-api',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
      'test/fixtures/server-span-app/main.ts',
    );
  }, 60_000);

  afterAll(async () => {
    expect(await app?.stop()).toBe(0);
    await outbound?.close();
    await collector?.stop();
  });

  const serverOf = (spans: ReceivedSpan[], path: string): ReceivedSpan | undefined =>
    spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path);

  it('continues the caller trace with the route, request attributes and a redacted query', async () => {
    const port = Number(new URL(app.url).port);
    const response = await fetch(`${app.url}/items/5?token=abc&page=2`, {
      headers: {
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
        'user-agent': 'server-span-test/1.0',
      },
    });
    expect(response.status).toBe(200);
    const spans = await collector.waitForSpans(
      (all) =>
        serverOf(all, '/items/5') !== undefined &&
        all.some((s) => s.name === 'ItemsController.get'),
    );
    const server = serverOf(spans, '/items/5')!;
    expect(server.name).toBe('GET /items/:id');
    expect(server.traceId).toBe(CALLER_TRACE);
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.scope).toBe('nestjs-observability');
    expect(server.resource['service.name']).toBe('items-api');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.query': 'token=%5BRedacted%5D&page=2',
      'server.address': '127.0.0.1',
      'server.port': port,
      'user_agent.original': 'server-span-test/1.0',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
    });
    expect(server.status.code).not.toBe(ERROR);
    // One server span per request; the handler runs inside it.
    const trace = spans.filter((s) => s.traceId === CALLER_TRACE);
    expect(trace.filter((s) => s.kind === SERVER)).toHaveLength(1);
    const handler = trace.find((s) => s.name === 'ItemsController.get')!;
    const ancestors = new Set<string>();
    for (let at: ReceivedSpan | undefined = handler; at;) {
      ancestors.add(at.spanId);
      at = trace.find((s) => s.spanId === at!.parentSpanId);
    }
    expect(ancestors).toContain(server.spanId);
  });

  it('starts a new trace without traceparent and marks a 5xx as an error', async () => {
    expect((await fetch(`${app.url}/items/6/fail`)).status).toBe(500);
    const spans = await collector.waitForSpans(
      (all) => serverOf(all, '/items/6/fail') !== undefined,
    );
    const server = serverOf(spans, '/items/6/fail')!;
    expect(server.parentSpanId).toBe('');
    expect(server.name).toBe('GET /items/:id/fail');
    expect(server.attributes['http.response.status_code']).toBe(500);
    expect(server.status.code).toBe(ERROR);
  });

  it('names an unmatched request by its method alone', async () => {
    expect((await fetch(`${app.url}/nowhere`)).status).toBe(404);
    const spans = await collector.waitForSpans((all) => serverOf(all, '/nowhere') !== undefined);
    const server = serverOf(spans, '/nowhere')!;
    expect(server.name).toBe('GET');
    expect(server.attributes['http.route']).toBeUndefined();
    expect(server.attributes['http.response.status_code']).toBe(404);
    expect(server.status.code).not.toBe(ERROR);
  });

  it('gives a plain node:http server of the same process its server span, parent of its outbound calls', async () => {
    const response = await fetch(`${app.ready.plainUrl}/hook?id=1`);
    expect(await response.text()).toBe('ok');
    const spans = await collector.waitForSpans(
      (all) =>
        serverOf(all, '/hook') !== undefined &&
        all.some(
          (s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/plain/hook?id=1'),
        ),
    );
    const server = serverOf(spans, '/hook')!;
    expect(server.name).toBe('GET');
    expect(server.parentSpanId).toBe('');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.query': 'id=1',
      'http.response.status_code': 200,
    });
    expect(spans.filter((s) => s.traceId === server.traceId && s.kind === SERVER)).toHaveLength(1);
    const client = spans.find(
      (s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/plain/hook?id=1'),
    )!;
    expect(client.parentSpanId).toBe(server.spanId);
    const received = outbound.requests.find((r) => r.url === '/plain/hook?id=1')!;
    expect(received.headers.traceparent).toBe(`00-${server.traceId}-${client.spanId}-01`);
  });
});

// With `frameworkSpans`, Express's and Fastify's instrumentations add their spans from the
// framework's first hook: the server span, started at the server's `request` event, is their
// parent, and the Nest hook still names it after the route.
describe.each(['express', 'fastify'] as const)(
  'HTTP server spans with frameworkSpans on %s',
  (adapter) => {
    it('keeps one server span, parent of the framework spans, named after the route', async () => {
      const collector = await OtlpReceiver.start();
      const app = await TracedApp.start(
        {
          ADAPTER: adapter,
          APP_ENV: 'production',
          FRAMEWORK_SPANS: 'true',
          OUTBOUND_URL: 'http://127.0.0.1:9/',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BSP_SCHEDULE_DELAY: '50',
        },
        'test/fixtures/server-span-app/main.ts',
      );
      try {
        expect((await fetch(`${app.url}/items/8`)).status).toBe(200);
        const spans = await collector.waitForSpans((all) =>
          all.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/items/8'),
        );
        const server = spans.find(
          (s) => s.kind === SERVER && s.attributes['url.path'] === '/items/8',
        )!;
        expect(server.name).toBe('GET /items/:id');
        expect(server.attributes['http.route']).toBe('/items/:id');
        const trace = spans.filter((s) => s.traceId === server.traceId);
        expect(trace.filter((s) => s.kind === SERVER)).toHaveLength(1);
        const framework = trace.filter((s) => s.scope !== 'nestjs-observability');
        expect(framework.length).toBeGreaterThan(0);
        for (const span of framework) expect(span.kind).toBe(INTERNAL);
        expect(framework.some((s) => s.parentSpanId === server.spanId)).toBe(true);
      } finally {
        await app.stop();
        await collector.stop();
      }
    }, 60_000);
  },
);
