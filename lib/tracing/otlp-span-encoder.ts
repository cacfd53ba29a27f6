import type {
  Attributes,
  AttributeValue,
  HrTime,
  Link,
  SpanContext,
  SpanStatus,
} from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * The OTLP/HTTP protobuf body (`ExportTraceServiceRequest`) of a batch of finished spans, in
 * one pass over the spans.
 *
 * `@opentelemetry/otlp-transformer`'s serializer writes the same message with a size-estimating
 * pass before the writing pass, a typed array per trace and span id, and a length check per
 * byte. This one writes each span once into a buffer that grows by doubling, ids straight from
 * their hex, ASCII strings without an intermediate array, and a length prefix that is moved
 * only when the message outgrows the bytes reserved for it. The bytes are the same, field for
 * field and in the same order (`otlp-span-encoder.spec.ts` compares them over every kind of
 * span, attribute, event and link; the exporter checks it again at startup and keeps the
 * upstream serializer should they ever differ). `npm run bench:otel-spans` measures both.
 *
 * @internal
 */
export function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  const writer = new Writer(spans.length * 384 + 256);
  // Grouped by resource, then by instrumentation scope, in first-seen order (as upstream).
  const resources = new Map<object, Map<object, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.resource);
    if (!scopes) resources.set(span.resource, (scopes = new Map()));
    let list = scopes.get(span.instrumentationScope);
    if (!list) scopes.set(span.instrumentationScope, (list = []));
    list.push(span);
  }
  for (const [resource, scopes] of resources) {
    writer.tag(1, 2); // ExportTraceServiceRequest.resource_spans
    const resourceSpans = writer.begin(3);
    writeResource(writer, resource as ReadableSpan['resource']);
    for (const list of scopes.values()) {
      writer.tag(2, 2); // ResourceSpans.scope_spans
      const scopeSpans = writer.begin(3);
      const scope = list[0].instrumentationScope;
      writeScope(writer, scope);
      for (const span of list) {
        writer.tag(2, 2); // ScopeSpans.spans
        const at = writer.begin(2);
        writeSpan(writer, span);
        writer.end(at, 2);
      }
      if (scope.schemaUrl) {
        writer.tag(3, 2);
        writer.string(scope.schemaUrl);
      }
      writer.end(scopeSpans, 3);
    }
    const schemaUrl = (resource as { schemaUrl?: string }).schemaUrl;
    if (schemaUrl) {
      writer.tag(3, 2);
      writer.string(schemaUrl);
    }
    writer.end(resourceSpans, 3);
  }
  return writer.finish();
}

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** Span: fields 1-16 in number order, as upstream writes them. */
function writeSpan(w: Writer, span: ReadableSpan): void {
  const ctx = span.spanContext();
  writeContext(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hex(parent.spanId);
  }
  w.tag(5, 2);
  w.string(span.name);
  // The API has no "unspecified" kind: OTLP's values are the API's plus one.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  w.tag(7, 1);
  w.hrTime(span.startTime);
  w.tag(8, 1);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 9);
  w.tag(10, 0);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, 2);
    writeEvent(w, event);
  }
  w.tag(12, 0);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, 2);
    writeLink(w, link);
  }
  w.tag(14, 0);
  w.varint(span.droppedLinksCount);
  w.tag(15, 2);
  writeStatus(w, span.status);
  w.tag(16, 5);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
}

/** Fields 1-3 of a span and of a link: trace id, span id, trace state (when any). */
function writeContext(w: Writer, ctx: SpanContext): void {
  w.tag(1, 2);
  w.hex(ctx.traceId);
  w.tag(2, 2);
  w.hex(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, 2);
    w.string(traceState);
  }
}

function writeStatus(w: Writer, status: SpanStatus): void {
  const at = w.begin(1);
  if (status.message) {
    w.tag(2, 2);
    w.string(status.message);
  }
  w.tag(3, 0);
  w.varint(status.code);
  w.end(at, 1);
}

function writeEvent(w: Writer, event: TimedEvent): void {
  const at = w.begin(1);
  w.tag(1, 1);
  w.hrTime(event.time);
  w.tag(2, 2);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.tag(4, 0);
  w.varint(event.droppedAttributesCount || 0);
  w.end(at, 1);
}

function writeLink(w: Writer, link: Link): void {
  const at = w.begin(1);
  const ctx = link.context;
  writeContext(w, ctx);
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.tag(5, 0);
  w.varint(link.droppedAttributesCount || 0);
  w.tag(6, 5);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(at, 1);
}

function writeResource(w: Writer, resource: { attributes?: Attributes }): void {
  w.tag(1, 2); // ResourceSpans.resource
  const at = w.begin(2);
  if (resource.attributes) writeAttributes(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.end(at, 2);
}

function writeScope(w: Writer, scope: ReadableSpan['instrumentationScope']): void {
  w.tag(1, 2); // ScopeSpans.scope
  const at = w.begin(1);
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  const extra = scope as { attributes?: Attributes; droppedAttributesCount?: number };
  if (extra.attributes) writeAttributes(w, extra.attributes, 3);
  if (extra.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(extra.droppedAttributesCount);
  }
  w.end(at, 1);
}

function writeAttributes(w: Writer, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.tag(field, 2);
    writeKeyValue(w, key, attributes[key]);
  }
}

function writeKeyValue(w: Writer, key: string, value: unknown): void {
  const at = w.begin(1);
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const valueAt = w.begin(1);
  writeAnyValue(w, value);
  w.end(valueAt, 1);
  w.end(at, 1);
}

function writeAnyValue(w: Writer, value: AttributeValue | unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, 2);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, 0);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, 0);
        w.varint(value);
      } else {
        w.tag(4, 1);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const at = w.begin(1);
    for (const item of value) {
      w.tag(1, 2);
      const itemAt = w.begin(1);
      writeAnyValue(w, item);
      w.end(itemAt, 1);
    }
    w.end(at, 1);
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, 2);
    const at = w.begin(1);
    const entries = value as Record<string, unknown>;
    for (const key in entries) {
      if (!Object.prototype.hasOwnProperty.call(entries, key)) continue;
      w.tag(1, 2);
      writeKeyValue(w, key, entries[key]);
    }
    w.end(at, 1);
  }
  // other types (undefined, functions, symbols, bigint) write nothing, as upstream
}

/**
 * The value of each ASCII hex digit. Ids are lowercase hex (the SDK makes them, propagators
 * reject others); any other character decodes as upstream's `hexToBinary` decodes it.
 */
const HEX = (() => {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) {
    table[code] =
      code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : code - 55;
  }
  return table;
})();

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** A protobuf writer over a Buffer that doubles when full. */
class Writer {
  private buffer: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  /** Reserves `reserve` bytes for the length of a message that starts here. */
  begin(reserve: number): number {
    this.room(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of the message begun at `at`, moving it if the length needs more or fewer bytes. */
  end(at: number, reserve: number): void {
    const length = this.pos - at - reserve;
    const size = varintSize(length);
    if (size !== reserve) {
      this.room(size - reserve);
      this.buffer.copyWithin(at + size, at + reserve, this.pos);
      this.pos += size - reserve;
    }
    const buffer = this.buffer;
    let v = length;
    let p = at;
    while (v > 0x7f) {
      buffer[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buffer[p] = v;
  }

  tag(field: number, wireType: number): void {
    const key = (field << 3) | wireType;
    if (key < 0x80) {
      this.room(1);
      this.buffer[this.pos++] = key;
    } else {
      this.varint(key);
    }
  }

  varint(value: number): void {
    this.room(10);
    const buffer = this.buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buffer[this.pos++] = v;
      return;
    }
    // 64-bit, two's complement for negative values (as upstream)
    const abs = Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 0x100000000) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[this.pos++] = low & 0x7f;
  }

  fixed32(value: number): void {
    this.room(4);
    this.uint32(value >>> 0);
  }

  /** Four bytes, little-endian, where there is room. */
  private uint32(value: number): void {
    const buffer = this.buffer;
    const p = this.pos;
    buffer[p] = value & 0xff;
    buffer[p + 1] = (value >>> 8) & 0xff;
    buffer[p + 2] = (value >>> 16) & 0xff;
    buffer[p + 3] = value >>> 24;
    this.pos = p + 4;
  }

  double(value: number): void {
    this.room(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** `[seconds, nanoseconds]` as fixed64 nanoseconds, exact past 2^53 (upstream's arithmetic). */
  hrTime(time: HrTime): void {
    const seconds = time[0];
    const nanos = time[1];
    const lowerSeconds = seconds & 0xffff;
    const upperSeconds = (seconds / 0x10000) >>> 0;
    const fromLower = lowerSeconds * 1e9;
    const fromUpper = upperSeconds * 1e9;
    const lowWithCarry = (fromLower >>> 0) + (((fromUpper & 0xffff) * 0x10000) >>> 0) + nanos;
    const high =
      (Math.floor(fromLower / 0x100000000) +
        ((fromUpper / 0x10000) >>> 0) +
        Math.floor(lowWithCarry / 0x100000000)) >>>
      0;
    this.room(8);
    this.uint32(lowWithCarry >>> 0);
    this.uint32(high);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.room(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** A trace or span id, from its hex form. */
  hex(id: string): void {
    const length = id.length >>> 1;
    this.varint(length);
    this.room(length);
    const buffer = this.buffer;
    let p = this.pos;
    for (let i = 0; i < length * 2; i += 2) {
      buffer[p++] = (HEX[id.charCodeAt(i) & 0x7f] << 4) | HEX[id.charCodeAt(i + 1) & 0x7f];
    }
    this.pos = p;
  }

  string(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      // ASCII (the common case): one length byte, one byte per character.
      this.room(length + 1);
      const buffer = this.buffer;
      let p = this.pos + 1;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) return this.utf8(value);
        buffer[p++] = code;
      }
      buffer[this.pos] = length;
      this.pos = p;
      return;
    }
    this.utf8(value);
  }

  private utf8(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.room(length);
    this.pos += this.buffer.write(value, this.pos, length, 'utf8');
  }
}
