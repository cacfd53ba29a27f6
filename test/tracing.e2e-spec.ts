import { HttpReceiver } from './utils/http-receiver';
import { OtlpReceiver, type ReceivedSpan } from './utils/otlp-receiver';
import { TracedApp } from './utils/traced-app';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** The span and its ancestors within `spans`, nearest first. */
function ancestry(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let at: ReceivedSpan | undefined = span; at;) {
    chain.push(at);
    at = spans.find((s) => s.spanId === at!.parentSpanId && s.traceId === at!.traceId);
  }
  return chain;
}

function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name)}`,
    );
  }
  return found[0];
}

const api = { headers: { 'x-api-key': 'secret' } };

/** `GET /metrics` as OpenMetrics. */
async function scrapeOpenMetrics(app: TracedApp): Promise<string> {
  const response = await fetch(`${app.metricsUrl}/metrics`, {
    headers: { accept: 'application/openmetrics-text; version=1.0.0' },
  });
  return response.text();
}

// Express exports OTLP/JSON, Fastify the default OTLP/protobuf: the receiver decodes both.
describe.each([
  ['express', 'http/json', 'application/json'],
  ['fastify', 'default (http/protobuf)', 'application/x-protobuf'],
] as const)('tracing a Nest app on %s (OTLP %s)', (adapter, protocol, contentType) => {
  let collector: OtlpReceiver;
  let outbound: HttpReceiver;
  let app: TracedApp;

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    outbound = await HttpReceiver.start();
    outbound.setDefault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"stock":3}',
    });
    app = await TracedApp.start({
      ADAPTER: adapter,
      APP_ENV: 'production',
      OUTBOUND_URL: outbound.url('/'),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      ...(protocol === 'http/json' && { OTEL_EXPORTER_OTLP_PROTOCOL: protocol }),
      OTEL_SERVICE_NAME: 'orders-api',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
  }, 60_000);

  afterAll(async () => {
    expect(await app?.stop()).toBe(0);
    await outbound?.close();
    await collector?.stop();
  });

  it('makes one trace: server span > guard, pipe, handler > provider > outbound fetch, with traceparent sent', async () => {
    const response = await fetch(`${app.url}/orders/7`, api);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 7, stock: { stock: 3 } });

    const spans = await collector.waitForSpans(
      (all) =>
        all.some((s) => s.name === 'OrdersService.find') &&
        all.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/orders/7') &&
        all.some((s) => s.kind === CLIENT && String(s.attributes['url.full']).includes('/stock/7')),
    );
    expect(collector.exports[0].contentType).toBe(contentType);
    const provider = only(spans, 'OrdersService.find');
    const trace = spans.filter((s) => s.traceId === provider.traceId);
    const server = trace.find((s) => s.kind === SERVER)!;
    expect(server).toBeDefined();
    expect(server.parentSpanId).toBe('');
    expect(server.resource['service.name']).toBe('orders-api');
    expect(server.attributes['http.response.status_code']).toBe(200);

    const guard = only(trace, 'ApiKeyGuard.canActivate');
    const pipe = only(trace, 'OrderIdPipe.transform');
    const handler = only(trace, 'OrdersController.get');
    expect(guard.attributes).toMatchObject({
      'nestjs.type': 'guard',
      'code.function.name': 'ApiKeyGuard.canActivate',
    });
    expect(pipe.attributes['nestjs.type']).toBe('pipe');
    expect(handler.attributes['nestjs.type']).toBe('handler');
    expect(provider.attributes['nestjs.type']).toBe('provider');
    for (const span of [guard, pipe, handler]) {
      expect(ancestry(trace, span)).toContain(server);
      expect(span.scope).toBe('nestjs-observability');
    }
    expect(provider.parentSpanId).toBe(handler.spanId);

    const client = trace.find(
      (s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/stock/7'),
    )!;
    expect(ancestry(trace, client)).toContain(provider);
    const received = outbound.requests.find((r) => r.url === '/stock/7')!;
    expect(received.headers.traceparent).toBe(`00-${server.traceId}-${client.spanId}-01`);

    // The request's log line and the provider's own line carry the trace.
    const requestLine = await app.waitForLog(
      (l) => l.msg === 'request completed' && l.req?.url === '/orders/7',
    );
    expect(requestLine?.trace_id).toBe(server.traceId);
    const providerLine = await app.waitForLog((l) => l.msg === 'order 7 found');
    expect(providerLine).toMatchObject({ trace_id: server.traceId, span_id: provider.spanId });

    // The request's duration bucket carries the trace as an OpenMetrics exemplar.
    const text = await scrapeOpenMetrics(app);
    const buckets = text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('http_request_duration_seconds_bucket{') &&
          line.includes('route="/orders/:id"') &&
          line.includes('status_code="200"'),
      );
    const withExemplar = buckets.filter((line) => line.includes(' # {'));
    expect(withExemplar).toHaveLength(1);
    expect(withExemplar[0]).toMatch(
      new RegExp(
        `} 1 # \\{trace_id="${server.traceId}",span_id="[0-9a-f]{16}"\\} [0-9.e-]+ \\d+\\.\\d{3}$`,
      ),
    );
    expect(text.endsWith('# EOF\n')).toBe(true);
    // The Prometheus text form never shows exemplars.
    const plain = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(plain).not.toContain(' # {');
  });

  it('traces outbound node:http calls and sends traceparent', async () => {
    const response = await fetch(`${app.url}/orders/8/legacy`, api);
    expect(response.status).toBe(200);
    const spans = await collector.waitForSpans((all) =>
      all.some((s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/legacy/8')),
    );
    const client = spans.find(
      (s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/legacy/8'),
    )!;
    const trace = spans.filter((s) => s.traceId === client.traceId);
    expect(ancestry(trace, client).map((s) => s.name)).toEqual(
      expect.arrayContaining(['OrdersService.legacyStock', 'OrdersController.legacy']),
    );
    const received = outbound.requests.find((r) => r.url === '/legacy/8')!;
    expect(received.headers.traceparent).toBe(`00-${client.traceId}-${client.spanId}-01`);
  });

  it('records errors on @Trace() spans, with attributes, and keeps the method metric with an exemplar', async () => {
    expect((await fetch(`${app.url}/orders/13/price`, api)).status).toBe(500);
    const ok = await fetch(`${app.url}/orders/5/price`, api);
    expect(await ok.json()).toEqual({ price: 50 });
    const spans = await collector.waitForSpans(
      (all) => all.filter((s) => s.name === 'orders.price').length >= 2,
    );
    const [failed, succeeded] = ['13', '5'].map((id) => {
      const server = spans.find(
        (s) => s.kind === SERVER && s.attributes['url.path'] === `/orders/${id}/price`,
      )!;
      return spans.find((s) => s.name === 'orders.price' && s.traceId === server.traceId)!;
    });
    expect(failed.status).toEqual({ code: ERROR, message: 'no price for 13' });
    expect(failed.events).toContain('exception');
    expect(failed.attributes['price.currency']).toBe('EUR');
    expect(succeeded.status.code).not.toBe(ERROR);
    const handler = spans.find(
      (s) => s.name === 'OrdersController.price' && s.traceId === failed.traceId,
    )!;
    expect(handler.status.code).toBe(ERROR);

    const text = await scrapeOpenMetrics(app);
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('method_duration_seconds_bucket{') &&
          l.includes('method="price"') &&
          l.includes('status="success"') &&
          l.includes(' # {'),
      );
    expect(line).toContain(`trace_id="${succeeded.traceId}"`);
  });

  it('traces a guard that rejects, with no handler span', async () => {
    expect((await fetch(`${app.url}/orders/9`)).status).toBe(403);
    const spans = await collector.waitForSpans((all) =>
      all.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/orders/9'),
    );
    const server = spans.find(
      (s) => s.kind === SERVER && s.attributes['url.path'] === '/orders/9',
    )!;
    const names = spans.filter((s) => s.traceId === server.traceId).map((s) => s.name);
    expect(names).toContain('ApiKeyGuard.canActivate');
    expect(names).not.toContain('OrdersController.get');
    expect(server.attributes['http.response.status_code']).toBe(403);
  });

  it('collapses repeated siblings past 20, keeping their count and summed duration', async () => {
    expect(await (await fetch(`${app.url}/orders/50/batch`, api)).json()).toEqual({ total: 500 });
    const spans = await collector.waitForSpans((all) =>
      all.some((s) => s.name === 'OrdersController.batch'),
    );
    const handler = only(spans, 'OrdersController.batch');
    const children = spans.filter((s) => s.parentSpanId === handler.spanId);
    expect(children.filter((s) => s.name === 'orders.price')).toHaveLength(20);
    expect(handler.attributes['collapsed.orders.price.count']).toBe(30);
    expect(handler.attributes['collapsed.orders.price.duration_ms']).toEqual(expect.any(Number));
  });
});

describe("tracing without Nest's instrument option", () => {
  it('still traces guards and pipes (the module adds them at init); handlers need the option', async () => {
    const collector = await OtlpReceiver.start();
    const outbound = await HttpReceiver.start();
    outbound.setDefault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const app = await TracedApp.start({
      ADAPTER: 'express',
      APP_ENV: 'production',
      NEST_INSTRUMENT: 'false',
      OUTBOUND_URL: outbound.url('/'),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      expect((await fetch(`${app.url}/orders/6/price`, api)).status).toBe(200);
      const spans = await collector.waitForSpans((all) =>
        all.some((s) => s.name === 'orders.price'),
      );
      const price = spans.find((s) => s.name === 'orders.price')!;
      const names = spans.filter((s) => s.traceId === price.traceId).map((s) => s.name);
      expect(names).toEqual(
        expect.arrayContaining(['ApiKeyGuard.canActivate', 'OrderIdPipe.transform']),
      );
      expect(names).not.toContain('OrdersController.price');
    } finally {
      await app.stop();
      await outbound.close();
      await collector.stop();
    }
  }, 60_000);
});

describe('tracing with a collector that never answers', () => {
  it('serves every request and still shuts down', async () => {
    const collector = await OtlpReceiver.start();
    collector.hang();
    const outbound = await HttpReceiver.start();
    outbound.setDefault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const app = await TracedApp.start({
      ADAPTER: 'express',
      APP_ENV: 'production',
      OUTBOUND_URL: outbound.url('/'),
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '10',
      OTEL_BSP_MAX_QUEUE_SIZE: '64',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '32',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    });
    try {
      for (let round = 0; round < 10; round++) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            fetch(`${app.url}/orders/${i + 1}/legacy`, api).then((r) => r.status),
          ),
        );
        expect(statuses).toEqual(Array(20).fill(200));
      }
    } finally {
      expect(await app.stop()).toBe(0);
      await outbound.close();
      await collector.stop();
    }
    expect(collector.exports).toEqual([]);
  }, 60_000);
});

describe('tracing off (no endpoint)', () => {
  it('exports nothing, logs no trace ids and shows no exemplars', async () => {
    const outbound = await HttpReceiver.start();
    outbound.setDefault({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const app = await TracedApp.start({
      ADAPTER: 'express',
      APP_ENV: 'production',
      OUTBOUND_URL: outbound.url('/'),
    });
    try {
      expect((await fetch(`${app.url}/orders/3`, api)).status).toBe(200);
      const text = await scrapeOpenMetrics(app);
      expect(text).toContain('http_request_duration_seconds_bucket{');
      expect(text).not.toContain(' # {');
      expect(outbound.requests[0].headers.traceparent).toBeUndefined();
      const line = await app.waitForLog((l) => l.msg === 'request completed');
      expect(line).toBeDefined();
      expect(line).not.toHaveProperty('trace_id');
    } finally {
      await app.stop();
      await outbound.close();
    }
  }, 60_000);
});

describe('bad tracing configuration', () => {
  it.each([
    [
      { OTEL_TRACES_SAMPLER: 'sometimes' },
      'OTEL_TRACES_SAMPLER (environment): expected one of always_on',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://' },
      'OTEL_EXPORTER_OTLP_ENDPOINT (environment): expected an http(s) URL',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL (environment): expected one of http/protobuf, http/json',
    ],
  ])(
    'fails at boot naming the variable: %j',
    async (env, message) => {
      const { code, output } = await TracedApp.run({
        ADAPTER: 'express',
        APP_ENV: 'production',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        ...env,
      });
      expect(code).not.toBe(0);
      expect(output).toContain(message);
      expect(output).not.toContain('READY');
    },
    60_000,
  );
});
