import { resolveOptions } from '../config/resolve-options';

const noEnv = { SERVICE_NAME: 'svc', APP_VERSION: '1.0.0' };
const tracingOf = (raw: object | undefined, env: Record<string, string> = {}) =>
  resolveOptions(raw === undefined ? {} : { tracing: raw }, { ...noEnv, ...env }).tracing;
const failureOf = (raw: object | undefined, env: Record<string, string> = {}): string => {
  try {
    tracingOf(raw, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected resolveOptions to throw');
};

describe('resolveTracingOptions', () => {
  it('is off without an endpoint, even with options', () => {
    expect(tracingOf(undefined).enabled).toBe(false);
    expect(tracingOf({ providers: true }).enabled).toBe(false);
  });

  it('turns on with OTEL_EXPORTER_OTLP_ENDPOINT and appends /v1/traces', () => {
    const tracing = tracingOf(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(tracing).toMatchObject({
      enabled: true,
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'svc',
    });
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', () => {
    expect(
      tracingOf(undefined, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces',
      }).url,
    ).toBe('https://b/traces');
  });

  it('reads a scheme-less host:port as https, or http when declared insecure', () => {
    expect(tracingOf(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' }).url).toBe(
      'https://tempo:4318/v1/traces',
    );
    expect(
      tracingOf(undefined, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318',
        OTEL_EXPORTER_INSECURE: 'true',
      }).url,
    ).toBe('http://localhost:4318/v1/traces');
  });

  it('reads the OTEL_* variables', () => {
    const tracing = tracingOf(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr%20et, x-tenant = acme',
      OTEL_SERVICE_NAME: 'orders',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.region=eu,team=core',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    expect(tracing).toMatchObject({
      protocol: 'http/json',
      headers: { 'x-api-key': 's3cr et', 'x-tenant': 'acme' },
      serviceName: 'orders',
      resourceAttributes: { 'deployment.region': 'eu', team: 'core' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.1,
      exportTimeoutMs: 3000,
      maxQueueSize: 100,
      maxExportBatchSize: 50,
      scheduledDelayMs: 200,
    });
  });

  it('lets options win over variables, and OTEL_SDK_DISABLED turn it off', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'always_off' };
    expect(tracingOf({ sampler: 'always_on', serviceName: 'x' }, env)).toMatchObject({
      sampler: 'always_on',
      serviceName: 'x',
    });
    expect(tracingOf(undefined, { ...env, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingOf({ enabled: false }, env).enabled).toBe(false);
  });

  it('fails naming each bad variable', () => {
    const message = failureOf(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_BSP_MAX_QUEUE_SIZE: 'many',
    });
    expect(message).toContain(
      'OTEL_EXPORTER_OTLP_ENDPOINT (environment): expected an http(s) URL such as http://collector:4318, got "ftp://c"',
    );
    expect(message).toContain('OTEL_TRACES_SAMPLER (environment): expected one of always_on,');
    expect(message).toContain('OTEL_TRACES_SAMPLER_ARG (environment): expected a number');
    expect(message).toContain(
      "OTEL_EXPORTER_OTLP_PROTOCOL (environment): expected one of http/protobuf, http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
    );
    expect(message).toContain(
      'OTEL_BSP_MAX_QUEUE_SIZE (environment): expected a positive integer, got "many"',
    );
  });

  it('fails naming bad options, never echoing header values', () => {
    const message = failureOf(
      { endpoint: 'not a url', sampler: 'nope', headers: { 'x-api-key': 42 }, colapseAfter: 3 },
      {},
    );
    expect(message).toContain('tracing.endpoint: expected an http(s) URL');
    expect(message).toContain('tracing.sampler: expected one of always_on');
    expect(message).toContain('tracing.headers: expected an object of string header values');
    expect(message).toContain('tracing.colapseAfter: unknown option');
    const secret = failureOf(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_HEADERS: '=topsecret',
    });
    expect(secret).toContain('OTEL_EXPORTER_OTLP_HEADERS (environment): expected key=value pairs');
    expect(secret).not.toContain('topsecret');
  });

  it('refuses enabled: true with nowhere to send spans', () => {
    expect(failureOf({ enabled: true })).toContain(
      'tracing.enabled: tracing is on but no exporter is configured',
    );
  });
});
