import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';
import { encodeSpans } from './otlp-span-encoder';
import { probeSpans } from './otlp-probe-spans';

/** What the exporter is configured with (`OTLPTraceExporter`'s options of the same names). */
export interface OtlpExporterConfig {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
}

/** A serializer as `@opentelemetry/otlp-exporter-base` takes it. */
interface Serializer {
  serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

/** The public parts of the OTLP packages that {@link protobufSpanExporter} builds on. */
export interface OtlpModules {
  proto: { OTLPTraceExporter: new (config: object) => SpanExporter };
  base: { OTLPExporterBase: new (delegate: unknown) => SpanExporter };
  nodeHttp: {
    createOtlpHttpExportDelegate(
      options: unknown,
      serializer: Serializer,
      componentType: string,
      metricsHelper: unknown,
      meterProvider: undefined,
    ): unknown;
    convertLegacyHttpOptions(
      config: object,
      signal: string,
      path: string,
      headers: Record<string, string>,
    ): unknown;
  };
  transformer: { ProtobufTraceSerializer: Serializer; TraceExporterMetricsHelper?: unknown };
}

/**
 * The OTLP packages, resolved from `@opentelemetry/exporter-trace-otlp-proto`'s own location:
 * its dependencies, in the versions it was built with, under any package manager's layout.
 */
function loadOtlpModules(): OtlpModules {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const protoPath = require.resolve('@opentelemetry/exporter-trace-otlp-proto');
  const fromProto = createRequire(protoPath);
  return {
    proto: require(protoPath) as OtlpModules['proto'],
    base: fromProto('@opentelemetry/otlp-exporter-base') as OtlpModules['base'],
    nodeHttp: fromProto('@opentelemetry/otlp-exporter-base/node-http') as OtlpModules['nodeHttp'],
    transformer: fromProto('@opentelemetry/otlp-transformer') as OtlpModules['transformer'],
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Whether {@link encodeSpans} writes exactly the bytes of the upstream serializer. */
function encoderAgrees(upstream: Serializer): boolean {
  try {
    const spans = probeSpans();
    const theirs = upstream.serializeRequest(spans);
    const ours = encodeSpans(spans);
    return theirs !== undefined && Buffer.from(ours).equals(Buffer.from(theirs));
  } catch {
    return false;
  }
}

/**
 * The OTLP/HTTP protobuf span exporter. `@opentelemetry/exporter-trace-otlp-proto`'s
 * transport (retries, timeout, concurrency limit, compression, `OTEL_EXPORTER_OTLP_*`
 * variables) through the public `@opentelemetry/otlp-exporter-base/node-http` API, with the
 * request body written by {@link encodeSpans}: the same bytes at about a third of the CPU
 * (BENCHMARKS.md). At startup, the encoder's bytes are compared with the upstream
 * serializer's on probe spans of every shape; should they differ (a future OTLP version) or
 * any part be missing, the upstream `OTLPTraceExporter` is used as it is.
 *
 * @returns the exporter and which encoder it uses.
 * @internal
 */
export function protobufSpanExporter(
  config: OtlpExporterConfig,
  load: () => OtlpModules = loadOtlpModules,
): { exporter: SpanExporter; encoder: 'nestjs-observability' | 'upstream' } {
  let proto: OtlpModules['proto'] | undefined;
  try {
    const { base, nodeHttp, transformer, ...modules } = load();
    proto = modules.proto;
    const upstream = transformer.ProtobufTraceSerializer;
    if (encoderAgrees(upstream)) {
      const delegate = nodeHttp.createOtlpHttpExportDelegate(
        nodeHttp.convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', {
          'Content-Type': 'application/x-protobuf',
        }),
        {
          serializeRequest: encodeSpans,
          deserializeResponse: (data) => upstream.deserializeResponse(data),
        },
        'otlp_http_span_exporter',
        transformer.TraceExporterMetricsHelper,
        undefined,
      );
      return { exporter: new base.OTLPExporterBase(delegate), encoder: 'nestjs-observability' };
    }
  } catch {
    // OTLP packages without these exports (or laid out otherwise): the upstream exporter below
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  proto ??= require('@opentelemetry/exporter-trace-otlp-proto') as OtlpModules['proto'];
  return { exporter: new proto.OTLPTraceExporter(config), encoder: 'upstream' };
}
