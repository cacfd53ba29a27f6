import type { Attributes, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const traceState = (value: string) => ({ serialize: () => value }) as SpanContext['traceState'];

const context = (traceId: string, spanId: string, extra: Partial<SpanContext> = {}) => ({
  traceId,
  spanId,
  traceFlags: 1,
  ...extra,
});

/** Attribute values of every kind OTLP encodes, with lengths that need 1, 2 and 3 length bytes. */
const attributes: Attributes = {
  'http.request.method': 'GET',
  'url.path': '/users/42',
  'server.port': 3000,
  negative: -7,
  big: 2 ** 60,
  ratio: 0.25,
  flag: true,
  off: false,
  names: ['a', 'ü', '😀'],
  numbers: [1, 2.5, -3],
  unicode: 'grüße 😀 \ud800',
  medium: 'm'.repeat(200),
  long: 'l'.repeat(20_000),
  bytes: new Uint8Array([0, 1, 255]) as unknown as string,
  nested: { inner: 'value', count: 2 } as unknown as string,
};

/**
 * Spans of every shape the OTLP trace message has (resources and scopes with and without
 * versions, schema URLs and attributes, remote and local parents, trace state, events, links,
 * dropped counts, an error status with a message), for comparing the encoder with the upstream
 * serializer at startup and in the tests.
 * @internal
 */
export function probeSpans(): ReadableSpan[] {
  const resourceA = { attributes: { 'service.name': 'probe', 'service.version': '1.0.0' } };
  const resourceB = { attributes: { 'service.name': 'probé' }, schemaUrl: 'https://schema/1' };
  const scopeA = { name: 'nestjs-observability', version: '1.2.3' };
  const scopeB = { name: 'pg', schemaUrl: 'https://schema/scope' };
  const base = {
    kind: 1,
    startTime: [1_764_000_000, 123_456_789] as [number, number],
    endTime: [1_764_000_001, 999_999_999] as [number, number],
    duration: [1, 876_543_210] as [number, number],
    ended: true,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    resource: resourceA,
    instrumentationScope: scopeA,
  };
  const span = (fields: Record<string, unknown>) => {
    const ctx = fields.context as SpanContext;
    return { ...base, ...fields, spanContext: () => ctx } as unknown as ReadableSpan;
  };
  return [
    span({
      name: 'GET /users/:id',
      kind: 1,
      context: context('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', {
        traceState: traceState('vendor=value,other=1'),
      }),
      parentSpanContext: context('0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7', {
        isRemote: true,
      }),
      attributes,
      droppedAttributesCount: 2,
      events: [
        { name: 'exception', time: [1_764_000_000, 500], attributes: { 'exception.type': 'E' } },
        { name: 'plain', time: [4_294_967_296, 1], droppedAttributesCount: 1 },
      ],
      droppedEventsCount: 3,
      links: [
        {
          context: context('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', {
            traceState: traceState('k=v'),
            isRemote: true,
          }),
          attributes: { reason: 'batch' },
          droppedAttributesCount: 1,
        },
        { context: context('4bf92f3577b34da6a3ce929d0e0e4736', '1111111111111111') },
      ],
      droppedLinksCount: 1,
      status: { code: 2, message: 'boom ü' },
    }),
    span({
      name: 'UsersController.get',
      kind: 0,
      context: context('0af7651916cd43dd8448eb211c80319c', 'c7ad6b7169203331', { traceFlags: 0 }),
      parentSpanContext: context('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'),
      attributes: { 'code.function.name': 'get' },
      status: { code: 1 },
    }),
    span({
      name: 'SELECT users',
      kind: 2,
      context: context('5af7651916cd43dd8448eb211c80319c', 'd7ad6b7169203331'),
      resource: resourceB,
      instrumentationScope: scopeB,
    }),
    span({
      name: 'x'.repeat(130),
      kind: undefined,
      context: context('5af7651916cd43dd8448eb211c80319c', 'e7ad6b7169203331'),
      instrumentationScope: scopeB,
    }),
  ];
}
