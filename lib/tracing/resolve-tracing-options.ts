import {
  EnvReader,
  isHttpUrl,
  isPlainObject,
  NON_NEGATIVE,
  OptionReader,
  optionKeys,
  POSITIVE,
  TIMER,
  TIMER_OR_ZERO,
  type Env,
  type NumberRange,
} from '../config/option-reader';
import type { Problems } from '../config/problems';
import {
  OTLP_PROTOCOLS,
  TRACE_SAMPLERS,
  type ResolvedTracingOptions,
  type TracingInstrumentations,
  type TracingOptions,
} from './tracing-options.interface';

const TRACING_KEYS = optionKeys({
  enabled: true,
  endpoint: true,
  protocol: true,
  headers: true,
  serviceName: true,
  sampler: true,
  samplerRatio: true,
  exportTimeoutMs: true,
  maxQueueSize: true,
  maxExportBatchSize: true,
  scheduledDelayMs: true,
  console: true,
  providers: true,
  collapseAfter: true,
  instrumentations: true,
  frameworkSpans: true,
} satisfies Record<keyof TracingOptions, true>);

const INSTRUMENTATION_KEYS = optionKeys({
  http: true,
  express: true,
  fastify: true,
  undici: true,
  pg: true,
  ioredis: true,
} satisfies Record<keyof TracingInstrumentations, true>);

const RATIO: NumberRange = { min: 0, max: 1 };
const ENDPOINT_EXPECTED = 'an http(s) URL such as http://collector:4318';
const PROTOCOL_EXPECTED = `one of ${OTLP_PROTOCOLS.join(', ')} (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)`;

/**
 * An endpoint as a URL: `collector:4318` (a scheme-less `host:port`, common in collector
 * setups) gets `http://` when the connection is declared insecure, `https://` otherwise.
 */
function withScheme(value: string, insecure: boolean): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return `${insecure ? 'http' : 'https'}://${value}`;
}

/** `key=value,key2=value2` (W3C baggage form, values percent-decoded), as the OTEL_* lists are. */
function parseKeyValues(raw: string | undefined, path: string, problems: Problems) {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    const key = at > 0 ? item.slice(0, at).trim() : '';
    if (key === '') {
      // The value may hold a secret: name the entry's position only.
      problems.push(
        `${path}: expected key=value pairs separated by commas, got an entry without a key`,
      );
      continue;
    }
    let value = item.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // not percent-encoded: keep it as written
    }
    out[key] = value;
  }
  return out;
}

/**
 * Resolves `tracing` options with the OpenTelemetry variables: `OTEL_SDK_DISABLED`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`,
 * `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`, `OTEL_EXPORTER_OTLP_INSECURE`/`OTEL_EXPORTER_INSECURE`,
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_TRACES_SAMPLER_ARG`, `OTEL_BSP_*` and `OTEL_CONSOLE_EXPORT`. Every bad value is recorded
 * under its option or variable name; header values are never shown.
 */
export function resolveTracingOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
  service: string,
): ResolvedTracingOptions {
  const options = OptionReader.of(raw, 'tracing', TRACING_KEYS, problems);
  const vars = new EnvReader(env, problems);
  const insecure =
    (vars.boolean('OTEL_EXPORTER_OTLP_TRACES_INSECURE') ??
      vars.boolean('OTEL_EXPORTER_OTLP_INSECURE') ??
      vars.boolean('OTEL_EXPORTER_INSECURE')) === true;

  const endpointOf = (value: string | undefined, path: string, suffix: string) => {
    if (value === undefined) return undefined;
    const url = withScheme(value, insecure);
    if (!isHttpUrl(url)) {
      problems.add(path, ENDPOINT_EXPECTED, value);
      return undefined;
    }
    return suffix ? `${url.replace(/\/+$/, '')}${suffix}` : url;
  };
  let url: string | undefined;
  if (options.has('endpoint')) {
    const value = options.string('endpoint');
    url = endpointOf(value, options.at('endpoint'), '/v1/traces');
  } else if (vars.string('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined) {
    url = endpointOf(
      vars.string('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      EnvReader.path('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      '',
    );
  } else {
    url = endpointOf(
      vars.string('OTEL_EXPORTER_OTLP_ENDPOINT'),
      EnvReader.path('OTEL_EXPORTER_OTLP_ENDPOINT'),
      '/v1/traces',
    );
  }

  const protocolVar = vars.string('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = options.has('protocol')
    ? options.oneOf('protocol', OTLP_PROTOCOLS, { expected: PROTOCOL_EXPECTED })
    : (() => {
        const value = vars.string(protocolVar);
        if (value === undefined) return undefined;
        const found = OTLP_PROTOCOLS.find((p) => p === value.toLowerCase());
        if (!found) problems.add(EnvReader.path(protocolVar), PROTOCOL_EXPECTED, value);
        return found;
      })();

  let headers: Record<string, string>;
  if (options.has('headers')) {
    const given = options.get('headers');
    headers = {};
    if (isPlainObject(given) && Object.values(given).every((v) => typeof v === 'string')) {
      headers = { ...(given as Record<string, string>) };
    } else {
      problems.push(`${options.at('headers')}: expected an object of string header values`);
    }
  } else {
    const name = vars.string('OTEL_EXPORTER_OTLP_TRACES_HEADERS')
      ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'
      : 'OTEL_EXPORTER_OTLP_HEADERS';
    headers = parseKeyValues(vars.string(name), EnvReader.path(name), problems);
  }

  const resourceAttributes = parseKeyValues(
    vars.string('OTEL_RESOURCE_ATTRIBUTES'),
    EnvReader.path('OTEL_RESOURCE_ATTRIBUTES'),
    problems,
  );
  const serviceName =
    options.string('serviceName') ??
    vars.string('OTEL_SERVICE_NAME') ??
    resourceAttributes['service.name'] ??
    service;

  const sampler = options.has('sampler')
    ? options.oneOf('sampler', TRACE_SAMPLERS)
    : vars.oneOf('OTEL_TRACES_SAMPLER', TRACE_SAMPLERS);
  const samplerRatio = options.has('samplerRatio')
    ? options.number('samplerRatio', RATIO)
    : vars.number('OTEL_TRACES_SAMPLER_ARG', RATIO);

  const integer = (key: keyof TracingOptions, envName: string, range = POSITIVE) =>
    options.has(key) ? options.integer(key, range) : vars.integer(envName, range);
  const exportTimeoutMs =
    integer('exportTimeoutMs', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', TIMER) ??
    vars.integer('OTEL_EXPORTER_OTLP_TIMEOUT', TIMER) ??
    10_000;
  const maxQueueSize = integer('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048;
  const maxExportBatchSize = integer('maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512;
  if (maxExportBatchSize > maxQueueSize) {
    problems.push(
      `tracing.maxExportBatchSize: expected at most maxQueueSize (${maxQueueSize}), got ${maxExportBatchSize}`,
    );
  }
  const scheduledDelayMs =
    integer('scheduledDelayMs', 'OTEL_BSP_SCHEDULE_DELAY', TIMER_OR_ZERO) ?? 5000;
  const consoleExport = options.has('console')
    ? options.boolean('console')
    : vars.boolean('OTEL_CONSOLE_EXPORT');

  const instrumentationOptions = options.object('instrumentations', INSTRUMENTATION_KEYS);
  const instrumentations = Object.fromEntries(
    INSTRUMENTATION_KEYS.map((key) => [key, instrumentationOptions.boolean(key) ?? true]),
  ) as Required<TracingInstrumentations>;

  const disabled = vars.boolean('OTEL_SDK_DISABLED') === true;
  const configured = url !== undefined || consoleExport === true;
  const enabled = options.has('enabled')
    ? (options.boolean('enabled') ?? false) && configured
    : configured && !disabled;
  if (options.get('enabled') === true && !configured) {
    problems.push(
      'tracing.enabled: tracing is on but no exporter is configured; set "tracing.endpoint" or OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_CONSOLE_EXPORT=true)',
    );
  }

  return {
    enabled,
    url,
    protocol: protocol ?? 'http/protobuf',
    headers,
    serviceName,
    resourceAttributes,
    sampler: sampler ?? 'parentbased_always_on',
    samplerRatio: samplerRatio ?? 1,
    exportTimeoutMs,
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMs,
    console: consoleExport ?? false,
    providers: options.boolean('providers') ?? false,
    collapseAfter: options.integer('collapseAfter', NON_NEGATIVE) ?? 20,
    instrumentations,
    frameworkSpans: options.boolean('frameworkSpans') ?? false,
  };
}
