/**
 * `npm run bench:otel-spans`: what OpenTelemetry's own span pipeline costs per traced request,
 * without any HTTP server: the two spans a traced Nest request makes (a SERVER span with the
 * attributes the library sets, and the handler's child span), started and ended with the SDK's
 * `BasicTracerProvider`, then either dropped (no span processor) or batched and exported over
 * OTLP/HTTP (protobuf with the upstream serializer, protobuf with the library's encoder
 * (lib/tracing/otlp-span-encoder.ts), then JSON) to a sink in another process on 127.0.0.1. The figure is this
 * process's CPU time (`process.cpuUsage()`) per request, median of the rounds: the floor below
 * which no "every request sampled" configuration of the SDK can go.
 *
 * Environment: BENCH_ROUNDS=5, BENCH_REQUESTS=100000.
 */
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { spawn } from 'node:child_process';
import { protobufSpanExporter } from '../lib/tracing/otlp-exporter';
import { encodeSpans } from '../lib/tracing/otlp-span-encoder';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);

/** A sink that answers 200 to every export, in a process of its own (its CPU is not counted). */
function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end()); });
       s.listen(0, '127.0.0.1', () => process.send(s.address().port));`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  return new Promise((resolve) =>
    child.once('message', (port) =>
      resolve({ url: `http://127.0.0.1:${String(port)}/v1/traces`, stop: () => child.kill() }),
    ),
  );
}

/** The attributes the library's server span starts with (a new object per request, as there). */
const attributes = () => ({
  'http.request.method': 'GET',
  'url.path': '/users/42',
  'url.scheme': 'http',
  'server.address': '127.0.0.1',
  'server.port': 3000,
  'user_agent.original': 'autocannon',
});

/** The two spans of one traced request: the server span and the handler's child span. */
function traceOneRequest(tracer: Tracer): void {
  const server = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: attributes() });
  tracer.startSpan('UsersController.get', {}, trace.setSpan(context.active(), server)).end();
  server.updateName('GET /users/:id');
  server.setAttribute('http.route', '/users/:id');
  server.setAttribute('http.response.status_code', 200);
  server.end();
}

type Case =
  | 'no processor'
  | 'batch + OTLP protobuf'
  | 'batch + OTLP protobuf, library encoder'
  | 'batch + OTLP JSON';

async function measure(label: Case, url: string): Promise<number> {
  let exported = 0;
  const inner =
    label === 'batch + OTLP protobuf'
      ? new ProtoExporter({ url })
      : label === 'batch + OTLP protobuf, library encoder'
        ? protobufSpanExporter({ url, headers: {}, timeoutMillis: 10_000 }).exporter
        : new JsonExporter({ url });
  // Counts what reaches the exporter: a span dropped by a full queue would flatter the figure.
  const counting: SpanExporter = {
    export: (spans, done) => {
      exported += spans.length;
      inner.export(spans, done);
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  const processors: SpanProcessor[] =
    label === 'no processor'
      ? []
      : [
          new BatchSpanProcessor(counting, {
            maxQueueSize: 65_536,
            maxExportBatchSize: 512,
            scheduledDelayMillis: 50,
          }),
        ];
  const provider = new BasicTracerProvider({ spanProcessors: processors });
  const tracer = provider.getTracer('bench');
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    traceOneRequest(tracer);
    // As a server would: the event loop turns (and exports go out) between requests.
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
  await provider.forceFlush().catch(() => undefined);
  const used = process.cpuUsage(start);
  await provider.shutdown().catch(() => undefined);
  if (label !== 'no processor' && exported !== 2 * REQUESTS) {
    throw new Error(`${label}: ${exported} of ${2 * REQUESTS} spans reached the exporter`);
  }
  return (used.user + used.system) / REQUESTS;
}

async function main(): Promise<void> {
  const sink = await startSink();
  const cases: Case[] = [
    'no processor',
    'batch + OTLP protobuf',
    'batch + OTLP protobuf, library encoder',
    'batch + OTLP JSON',
  ];
  const results = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (const c of cases) await measure(c, sink.url); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) results.get(c)!.push(await measure(c, sink.url));
  }
  sink.stop();
  console.log(
    `bench:otel-spans: node ${process.version}, ${REQUESTS} requests (2 spans each) per round, median of ${ROUNDS}`,
  );
  for (const [c, values] of results) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(`  ${c.padEnd(40)} ${sorted[sorted.length >> 1].toFixed(2)} µs CPU per request`);
  }
  serializers();
}

/**
 * The serializers alone, on a batch of 512 spans of the shape above (256 requests): CPU time
 * per span, best of the rounds.
 */
function serializers(): void {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('nestjs-observability', '0.1.0');
  for (let i = 0; i < 256; i++) {
    traceOneRequest(tracer);
  }
  const spans = memory.getFinishedSpans();
  const serializers: Array<[string, (spans: ReadableSpan[]) => unknown]> = [
    ['upstream ProtobufTraceSerializer', (s) => ProtobufTraceSerializer.serializeRequest(s)],
    ['library encoder', encodeSpans],
  ];
  console.log(`  serialising a batch of ${spans.length} spans, best of ${ROUNDS} rounds:`);
  for (const [label, serialize] of serializers) {
    let best = Infinity;
    for (let round = 0; round < ROUNDS + 2; round++) {
      const start = process.cpuUsage();
      for (let i = 0; i < 200; i++) serialize(spans);
      const used = process.cpuUsage(start);
      best = Math.min(best, ((used.user + used.system) * 1000) / (200 * spans.length));
    }
    console.log(`    ${label.padEnd(36)} ${best.toFixed(0)} ns CPU per span`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
