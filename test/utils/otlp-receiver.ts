import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One span as an OTLP/HTTP receiver decodes it (ids in lowercase hex). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** `''` for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP `SpanKind`: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP status: code 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  /** Names of the span's events (`exception`, ...). */
  events: string[];
  scope: string;
  resource: Record<string, unknown>;
}

/** One export request as it arrived. */
export interface ReceivedExport {
  contentType: string | undefined;
  headers: IncomingMessage['headers'];
  spans: ReceivedSpan[];
}

// ---- a minimal protobuf reader for ExportTraceServiceRequest (OTLP trace.proto) ----

interface Field {
  no: number;
  wire: number;
  /** varint or fixed value */
  num?: bigint;
  /** length-delimited payload */
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos.i++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = Number(readVarint(buf, pos));
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, num: readVarint(buf, pos) });
    else if (wire === 1) {
      out.push({
        no,
        wire,
        num: buf.readBigUInt64LE(pos.i),
        bytes: buf.subarray(pos.i, pos.i + 8),
      });
      pos.i += 8;
    } else if (wire === 2) {
      const length = Number(readVarint(buf, pos));
      out.push({ no, wire, bytes: buf.subarray(pos.i, pos.i + length) });
      pos.i += length;
    } else if (wire === 5) {
      out.push({ no, wire, num: BigInt(buf.readUInt32LE(pos.i)) });
      pos.i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

function anyValue(buf: Buffer): unknown {
  const [field] = fields(buf);
  if (!field) return undefined;
  switch (field.no) {
    case 1:
      return field.bytes!.toString('utf8');
    case 2:
      return field.num !== 0n;
    case 3:
      return Number(BigInt.asIntN(64, field.num!));
    case 4:
      return field.bytes!.readDoubleLE(0);
    default:
      return `<type ${field.no}>`;
  }
}

function keyValues(list: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    let key = '';
    let value: unknown;
    for (const f of fields(kv)) {
      if (f.no === 1) key = f.bytes!.toString('utf8');
      if (f.no === 2) value = anyValue(f.bytes!);
    }
    out[key] = value;
  }
  return out;
}

const of = (list: Field[], no: number): Field[] => list.filter((f) => f.no === no);

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of of(fields(body), 1)) {
    const rsFields = fields(rs.bytes!);
    const resourceField = of(rsFields, 1)[0];
    const resource = resourceField
      ? keyValues(of(fields(resourceField.bytes!), 1).map((f) => f.bytes!))
      : {};
    for (const ss of of(rsFields, 2)) {
      const ssFields = fields(ss.bytes!);
      const scopeField = of(ssFields, 1)[0];
      const scope = scopeField
        ? (of(fields(scopeField.bytes!), 1)[0]?.bytes?.toString('utf8') ?? '')
        : '';
      for (const sp of of(ssFields, 2)) {
        const f = fields(sp.bytes!);
        const hex = (no: number) => of(f, no)[0]?.bytes?.toString('hex') ?? '';
        const statusField = of(f, 15)[0];
        const status = { code: 0 } as { code: number; message?: string };
        if (statusField) {
          for (const s of fields(statusField.bytes!)) {
            if (s.no === 3) status.code = Number(s.num);
            if (s.no === 2) status.message = s.bytes!.toString('utf8');
          }
        }
        spans.push({
          traceId: hex(1),
          spanId: hex(2),
          parentSpanId: hex(4),
          name: of(f, 5)[0]?.bytes?.toString('utf8') ?? '',
          kind: Number(of(f, 6)[0]?.num ?? 0n),
          attributes: keyValues(of(f, 9).map((a) => a.bytes!)),
          status,
          events: of(f, 11).map((e) => of(fields(e.bytes!), 2)[0]?.bytes?.toString('utf8') ?? ''),
          scope,
          resource,
        });
      }
    }
  }
  return spans;
}

// ---- OTLP/JSON ----

type JsonAnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
};
type JsonKeyValue = { key: string; value: JsonAnyValue };

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue;
  }
  return out;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8'));
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind,
          attributes: jsonAttributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message },
          events: (s.events ?? []).map((e: { name: string }) => e.name),
          scope: ss.scope?.name ?? '',
          resource,
        });
      }
    }
  }
  return spans;
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 (`POST /v1/traces`), decoding what the
 * OpenTelemetry exporter sends, protobuf (`application/x-protobuf`) or JSON
 * (`application/json`), as a collector would. `hang()` makes it accept requests and never
 * answer, as a stuck collector does.
 */
export class OtlpReceiver {
  readonly exports: ReceivedExport[] = [];
  private hanging = false;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (receiver.hanging) return;
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        const body = Buffer.concat(chunks);
        const contentType = req.headers['content-type'];
        try {
          const spans = contentType?.includes('json') ? decodeJson(body) : decodeProtobuf(body);
          receiver.exports.push({ contentType, headers: req.headers, spans });
        } catch (error) {
          res.writeHead(400).end(String(error));
          return;
        }
        const json = contentType?.includes('json');
        res
          .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
          .end(json ? '{}' : Buffer.alloc(0));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Accept and never answer from now on. */
  hang(): void {
    this.hanging = true;
  }

  get spans(): ReceivedSpan[] {
    return this.exports.flatMap((e) => e.spans);
  }

  /** Resolves with the spans once `predicate` holds for them; rejects after `timeoutMs`. */
  async waitForSpans(
    predicate: (spans: ReceivedSpan[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.spans)) {
      if (Date.now() > deadline) {
        throw new Error(
          `Spans never matched; received: ${JSON.stringify(this.spans.map((s) => s.name))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.spans;
  }

  clear(): void {
    this.exports.length = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
