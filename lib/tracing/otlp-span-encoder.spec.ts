import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type OtlpModules, protobufSpanExporter } from './otlp-exporter';
import { probeSpans } from './otlp-probe-spans';
import { encodeSpans } from './otlp-span-encoder';

const upstream = (spans: ReadableSpan[]): Buffer =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);

/** Spans of many shapes, made by the real SDK (limits, remote parents, exceptions, links). */
function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = (service: string, limits = {}) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'host.arch': 'x64' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
      spanLimits: limits,
    });
  const app = provider('api');
  const limited = provider('wörker', {
    attributeCountLimit: 2,
    eventCountLimit: 1,
    linkCountLimit: 1,
    attributePerLinkCountLimit: 1,
    attributePerEventCountLimit: 1,
  });
  const tracer = app.getTracer('nestjs-observability', '1.0.0');
  const other = app.getTracer('pg', undefined, {
    schemaUrl: 'https://opentelemetry.io/schemas/1.28',
  });
  const remote = new W3CTraceContextPropagator().extract(
    context.active(),
    {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'a=1,b=2',
    },
    { get: (carrier, key) => (carrier as Record<string, string>)[key], keys: Object.keys },
  );

  const server = tracer.startSpan(
    'GET',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/users/42',
        'server.port': 3000,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) 😀',
      },
    },
    remote,
  );
  for (let i = 0; i < 700; i++) {
    const child = tracer.startSpan(
      i % 2 ? 'UsersController.get' : `SELECT ${'c'.repeat(i % 150)}`,
      {
        attributes: {
          index: i,
          negative: -i,
          huge: 2 ** 53 + 2 * i,
          float: i / 7,
          flag: i % 3 === 0,
          list: [`v${i}`, 'ü'],
          numbers: [i, 0.5],
          text: 'x'.repeat(i * 30),
        },
        links: i % 50 ? [] : [{ context: server.spanContext(), attributes: { why: 'batch' } }],
      },
      trace.setSpan(context.active(), server),
    );
    if (i % 97 === 0) {
      child.recordException(new Error(`failed ${i} – ü`));
      child.setStatus({ code: SpanStatusCode.ERROR, message: `failed ${i}` });
    } else if (i % 5 === 0) {
      child.setStatus({ code: SpanStatusCode.OK });
    }
    child.addEvent('checkpoint', { step: i });
    child.end();
  }
  const query = other.startSpan('SELECT users', { kind: SpanKind.CLIENT });
  query.end();
  const dropping = limited.getTracer('worker').startSpan('job', {
    attributes: { a: 1, b: 2, c: 3, d: 4 },
    links: [
      { context: server.spanContext(), attributes: { x: 1, y: 2 } },
      { context: server.spanContext() },
    ],
  });
  dropping.addEvent('one', { x: 1, y: 2, z: 3 });
  dropping.addEvent('two');
  dropping.end();
  server.setAttribute('http.response.status_code', 200);
  server.updateName('GET /users/:id');
  server.end();
  const producer = tracer.startSpan('send', { kind: SpanKind.PRODUCER });
  producer.end();
  return memory.getFinishedSpans();
}

describe('encodeSpans', () => {
  it('writes the same bytes as the upstream OTLP serializer for spans of every shape', () => {
    const spans = sdkSpans();
    expect(spans.length).toBe(704);
    const ours = Buffer.from(encodeSpans(spans));
    expect(ours.length).toBeGreaterThan(1_000_000); // the buffer grew, lengths needed 3 bytes
    expect(ours.equals(upstream(spans))).toBe(true);
  });

  it('writes the same bytes for the startup probe spans and for a single span or none', () => {
    const probe = probeSpans();
    expect(Buffer.from(encodeSpans(probe)).equals(upstream(probe))).toBe(true);
    expect(Buffer.from(encodeSpans(probe.slice(1, 2))).equals(upstream(probe.slice(1, 2)))).toBe(
      true,
    );
    expect(Buffer.from(encodeSpans([])).equals(upstream([]))).toBe(true);
  });

  it('differs from the upstream bytes when a field differs (the comparison can fail)', () => {
    const [first, ...rest] = probeSpans();
    const renamed = Object.create(first, { name: { value: 'GET /users' } }) as ReadableSpan;
    expect(Buffer.from(encodeSpans([renamed, ...rest])).equals(upstream(probeSpans()))).toBe(false);
  });
});

describe('protobufSpanExporter', () => {
  const config = { url: 'http://127.0.0.1:9/v1/traces', headers: {}, timeoutMillis: 1000 };

  it('uses the library encoder when it agrees with the upstream serializer', () => {
    const { exporter, encoder } = protobufSpanExporter(config);
    expect(encoder).toBe('nestjs-observability');
    expect(exporter).not.toBeInstanceOf(OTLPTraceExporter);
  });

  it('keeps the upstream exporter when the upstream serializer writes other bytes', () => {
    const real = realModules();
    const drifted: OtlpModules = {
      ...real,
      transformer: {
        ...real.transformer,
        ProtobufTraceSerializer: {
          serializeRequest: () => new Uint8Array([1, 2, 3]),
          deserializeResponse: () => ({}),
        },
      },
    };
    const { exporter, encoder } = protobufSpanExporter(config, () => drifted);
    expect(encoder).toBe('upstream');
    expect(exporter).toBeInstanceOf(OTLPTraceExporter);
  });

  it('keeps the upstream exporter when the export-delegate API is missing', () => {
    const real = realModules();
    const older = { ...real, nodeHttp: {} as OtlpModules['nodeHttp'] };
    expect(protobufSpanExporter(config, () => older).encoder).toBe('upstream');
  });

  it('keeps the upstream exporter when the OTLP packages cannot be loaded as expected', () => {
    const failing = (): OtlpModules => {
      throw new Error('Package subpath \'./node-http\' is not defined by "exports"');
    };
    const { exporter, encoder } = protobufSpanExporter(config, failing);
    expect(encoder).toBe('upstream');
    expect(exporter).toBeInstanceOf(OTLPTraceExporter);
  });

  it('sends the encoded batch to the collector as OTLP/HTTP protobuf, with the headers', async () => {
    const received: Array<{ path?: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    try {
      // In a process of its own: the exporter's transport loads `node:http` with a dynamic
      // import, which Jest's module sandbox does not run.
      const script = `
        const { protobufSpanExporter } = require('./lib/tracing/otlp-exporter');
        const { probeSpans } = require('./lib/tracing/otlp-probe-spans');
        const { exporter, encoder } = protobufSpanExporter({
          url: 'http://127.0.0.1:${port}/v1/traces',
          headers: { authorization: 'Bearer t0ken' },
          timeoutMillis: 2000,
        });
        exporter.export(probeSpans(), (result) => {
          console.log(JSON.stringify({ encoder, code: result.code }));
          exporter.shutdown();
        });`;
      const output = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['-r', 'ts-node/register/transpile-only', '-e', script],
          { cwd: join(__dirname, '..', '..') },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      );
      expect(JSON.parse(output)).toEqual({ encoder: 'nestjs-observability', code: 0 });
      expect(received).toHaveLength(1);
      expect(received[0].path).toBe('/v1/traces');
      expect(received[0].headers['content-type']).toBe('application/x-protobuf');
      expect(received[0].headers.authorization).toBe('Bearer t0ken');
      expect(received[0].body.equals(upstream(probeSpans()))).toBe(true);
    } finally {
      collector.close();
    }
  });
});

function realModules(): OtlpModules {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    proto: require('@opentelemetry/exporter-trace-otlp-proto'),
    base: require('@opentelemetry/otlp-exporter-base'),
    nodeHttp: require('@opentelemetry/otlp-exporter-base/node-http'),
    transformer: require('@opentelemetry/otlp-transformer'),
  } as OtlpModules;
  /* eslint-enable @typescript-eslint/no-require-imports */
}

// The propagation API is global: leave it as found.
afterAll(() => propagation.disable());
