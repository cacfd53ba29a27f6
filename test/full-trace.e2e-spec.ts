import { Client } from 'pg';
import { HttpReceiver } from './utils/http-receiver';
import { OtlpReceiver, type ReceivedSpan } from './utils/otlp-receiver';
import { describeWithPostgres, type PostgresHandle, startPostgres } from './utils/postgres-server';
import { describeWithBinaries } from './utils/real-server';
import { type RedisHandle, startRedis } from './utils/redis-server';
import { TracedApp } from './utils/traced-app';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;
/** A secret-looking API token, sent to PostgreSQL as a query parameter. */
const TOKEN = 'sk_live_7Qz9XwV3mK2pL8rT';
/** Another one, written into the SQL text as a literal. */
const REVOKED = 'sk_live_R3v0k3dX9aB4cD5e';

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

async function scrape(app: TracedApp, openMetrics = false): Promise<string> {
  const response = await fetch(`${app.metricsUrl}/metrics`, {
    headers: openMetrics ? { accept: 'application/openmetrics-text; version=1.0.0' } : {},
  });
  return response.text();
}

/** The sample lines of `metric` (name and labels up to the value), e.g. `x_count{a="b"} 1`. */
function samples(text: string, metric: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${metric}{`));
}

describeWithBinaries(['redis-server'], 'one request traced end to end', () => {
  describe.each(['express', 'fastify'])('%s', (adapter) => {
    describeWithPostgres('TypeORM on PostgreSQL, cache-manager, fetch, BullMQ', () => {
      let pg: PostgresHandle;
      let redis: RedisHandle;
      let collector: OtlpReceiver;
      let outbound: HttpReceiver;
      let app: TracedApp;

      beforeAll(async () => {
        // One after the other: what started is stopped by afterAll even if a later one fails.
        pg = await startPostgres();
        redis = await startRedis();
        collector = await OtlpReceiver.start();
        outbound = await HttpReceiver.start();
        const client = new Client({ connectionString: pg.url });
        await client.connect();
        await client.query(
          'CREATE TABLE customers (id serial PRIMARY KEY, name text, api_token text)',
        );
        await client.query('INSERT INTO customers (name, api_token) VALUES ($1, $2)', [
          'Ada',
          TOKEN,
        ]);
        await client.end();
        outbound.setDefault({
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: '{"stock":3}',
        });
        app = await TracedApp.start(
          {
            ADAPTER: adapter,
            APP_ENV: 'production',
            DATABASE_URL: pg.url,
            REDIS_URL: redis.url,
            OUTBOUND_URL: outbound.url('/'),
            CUSTOMER_TOKEN: TOKEN,
            REVOKED_TOKEN: REVOKED,
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
            OTEL_SERVICE_NAME: 'checkout-api',
            OTEL_BSP_SCHEDULE_DELAY: '50',
          },
          'test/fixtures/full-trace/main.ts',
        );
      }, 120_000);

      afterAll(async () => {
        expect(await app?.stop()).toBe(0);
        await outbound?.close();
        await collector?.stop();
        await redis?.stop();
        await pg?.stop();
      }, 60_000);

      it('makes one trace from the request to the job, with its trace id in the log line and the exemplar, and exact database and cache counts', async () => {
        const before = await scrape(app);
        expect(samples(before, 'cache_operations_total')).toEqual([]);

        const response = await fetch(`${app.url}/orders/7/checkout`, {
          method: 'POST',
          headers: { 'x-api-key': 'secret' },
        });
        expect(response.status).toBe(201);
        expect(await response.json()).toEqual({ id: 7, customer: 'Ada', stock: { stock: 3 } });

        const spans = await collector.waitForSpans(
          (all) =>
            all.some((s) => s.name === 'CheckoutService.checkout') &&
            all.some((s) => s.name === 'process shipments') &&
            all.some(
              (s) => s.kind === SERVER && s.attributes['url.path'] === '/orders/7/checkout',
            ) &&
            all.some((s) => s.kind === CLIENT && s.attributes['url.path'] === '/stock/7'),
        );
        const provider = only(spans, 'CheckoutService.checkout');
        const trace = spans.filter((s) => s.traceId === provider.traceId);

        // HTTP server span > guard, pipe, handler > provider method
        const server = trace.find((s) => s.kind === SERVER)!;
        expect(server.parentSpanId).toBe('');
        expect(server.resource['service.name']).toBe('checkout-api');
        expect(server.attributes).toMatchObject({
          'http.request.method': 'POST',
          'http.route': '/orders/:id/checkout',
          'http.response.status_code': 201,
        });
        const guard = only(trace, 'ApiKeyGuard.canActivate');
        const pipe = only(trace, 'OrderIdPipe.transform');
        const handler = only(trace, 'OrdersController.checkout');
        expect([guard, pipe, handler, provider].map((s) => s.attributes['nestjs.type'])).toEqual([
          'guard',
          'pipe',
          'handler',
          'provider',
        ]);
        for (const span of [guard, pipe, handler]) expect(ancestry(trace, span)).toContain(server);
        // Only the application's classes have spans in Nest's vocabulary, none of the library's.
        const nestSpans = new Set(
          spans.filter((s) => s.attributes['nestjs.type']).map((s) => s.name),
        );
        expect([...nestSpans].sort()).toEqual([
          'ApiKeyGuard.canActivate',
          'CheckoutService.checkout',
          'OrderIdPipe.transform',
          'OrdersController.checkout',
        ]);
        expect(provider.parentSpanId).toBe(handler.spanId);

        // > the query's span, with the statement and no parameter value
        const query = only(trace, 'SELECT customers');
        expect(query.kind).toBe(CLIENT);
        expect(query.parentSpanId).toBe(provider.spanId);
        expect(query.attributes).toMatchObject({
          'db.system': 'postgresql',
          'db.operation.name': 'SELECT',
          'db.collection.name': 'customers',
          'db.query.text': 'SELECT name FROM customers WHERE api_token = $1 AND api_token <> ?',
        });
        // The pg instrumentation's own span of the query carries the same text.
        const pgQuery = trace.filter((s) => s.name.startsWith('pg.query:'));
        expect(pgQuery.map((s) => [s.parentSpanId, s.attributes['db.query.text']])).toEqual([
          [provider.spanId, 'SELECT name FROM customers WHERE api_token = $1 AND api_token <> ?'],
        ]);

        // > the outbound call's span, whose id the outbound service received in traceparent
        const outboundSpan = trace.find(
          (s) => s.kind === CLIENT && s.attributes['url.path'] === '/stock/7',
        )!;
        expect(ancestry(trace, outboundSpan)).toContain(provider);
        // The token the stock service takes in its query string is masked in the span.
        expect(outboundSpan.attributes['url.full']).toMatch(/\/stock\/7\?token=%5BRedacted%5D$/);
        const received = outbound.requests.filter((r) => r.url === `/stock/7?token=${TOKEN}`);
        expect(received).toHaveLength(1);
        expect(received[0].headers.traceparent).toBe(
          `00-${server.traceId}-${outboundSpan.spanId}-01`,
        );

        // The job processed by the worker continues the trace under the provider that enqueued it.
        const job = only(trace, 'process shipments');
        expect(job.kind).toBe(CONSUMER);
        expect(job.attributes).toMatchObject({
          'messaging.system': 'bullmq',
          'messaging.destination.name': 'shipments',
          'bullmq.job.name': 'ship',
        });
        expect(ancestry(trace, job)).toEqual(expect.arrayContaining([provider, handler, server]));
        const shipped = await app.waitForLog((l) => l.msg === 'order 7 shipped');
        expect(shipped).toMatchObject({ trace_id: server.traceId, span_id: job.spanId });

        // The request's log line carries the trace id.
        const requestLine = await app.waitForLog(
          (l) => l.msg === 'request completed' && l.req?.url === '/orders/7/checkout',
        );
        expect(requestLine?.trace_id).toBe(server.traceId);

        // The request's duration bucket carries it as an OpenMetrics exemplar.
        const openMetrics = await scrape(app, true);
        const buckets = samples(openMetrics, 'http_request_duration_seconds_bucket').filter(
          (line) =>
            line.includes('route="/orders/:id/checkout"') && line.includes('status_code="201"'),
        );
        const withExemplar = buckets.filter((line) => line.includes(' # {'));
        expect(withExemplar).toHaveLength(1);
        expect(withExemplar[0]).toMatch(
          new RegExp(
            `} 1 # \\{trace_id="${server.traceId}",span_id="[0-9a-f]{16}"\\} [0-9.e-]+ \\d+\\.\\d{3}$`,
          ),
        );

        // Exact database and cache counts of the request: one query, one cache miss, one write.
        const after = await scrape(app);
        const customers = (text: string) =>
          samples(text, 'database_query_duration_seconds_count').filter((l) =>
            l.includes('table="customers"'),
          );
        expect(customers(before)).toEqual([]);
        expect(customers(after)).toEqual([
          'database_query_duration_seconds_count{service="checkout-app",operation="SELECT",table="customers"} 1',
        ]);
        const otherQueries = (text: string) =>
          samples(text, 'database_query_duration_seconds_count').filter(
            (l) => !l.includes('table="customers"'),
          );
        expect(otherQueries(after)).toEqual(otherQueries(before));
        expect(samples(after, 'database_errors_total')).toEqual([]);
        expect(samples(after, 'cache_operations_total').sort()).toEqual([
          'cache_operations_total{cache="stock",operation="get",result="miss",service="checkout-app"} 1',
          'cache_operations_total{cache="stock",operation="set",result="success",service="checkout-app"} 1',
        ]);

        // The tokens are nowhere: not in a span, a label or a log line.
        for (const secret of [TOKEN, REVOKED]) {
          expect(JSON.stringify(spans)).not.toContain(secret);
          expect(after).not.toContain(secret);
          expect(openMetrics).not.toContain(secret);
          expect(app.output.join('\n')).not.toContain(secret);
        }
      }, 60_000);
    });
  });
});
