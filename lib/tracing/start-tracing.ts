import { context, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type { Resource } from '@opentelemetry/resources';
import type {
  ReadableSpan,
  Sampler,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { resolveOptions } from '../config/resolve-options';
import { loadOptional } from '../config/optional-module';
import { PathMatcher } from '../http/path-matcher';
import { Redactor } from '../logging/redaction';
import { redisSpanStatement, sanitizePgSpanStatement, scrubSpanUrls } from './pg-statement-hook';
import { initSentryFromOptions, SENTRY_FOR_NEST } from '../errors/sentry-sdk';
import type {
  ObservabilityModuleOptions,
  ResolvedObservabilityOptions,
} from '../observability-options.interface';
import * as http from 'node:http';
import * as https from 'node:https';
import { CollapsingSpanProcessor } from './collapsing-span.processor';
import { protobufSpanExporter } from './otlp-exporter';
import type { ResolvedTracingOptions } from './tracing-options.interface';
import { type OtelCore, ServerSpans } from './server-span';
import { TRACER_NAME } from './span-runner';
import { TracingMessages } from './tracing.messages';
import { isTracingActive, setTracingState, tracingState, type TracingState } from './tracing-state';

/** The options {@link startTracing} reads: the same fields as in `ObservabilityModule.forRoot()`. */
export type TracingInitOptions = Pick<
  ObservabilityModuleOptions,
  'service' | 'environment' | 'version' | 'errors' | 'redact' | 'tracing'
>;

/** A running tracing setup: {@link TracingState} plus how to stop it. */
export type TracingHandle = TracingState;

function need<T>(pkg: string, why: string): T {
  const module = loadOptional<T>(pkg);
  if (!module) throw new Error(TracingMessages.notInstalled(pkg, why));
  return module;
}

function samplerOf(base: typeof SdkTraceBase, options: ResolvedTracingOptions): Sampler {
  const ratio = new base.TraceIdRatioBasedSampler(options.samplerRatio);
  switch (options.sampler) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new base.ParentBasedSampler({ root: ratio });
    default:
      return new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() });
  }
}

/** The share of root traces the sampler keeps (Sentry's `tracesSampleRate` when it owns sampling). */
function sampleRate(options: ResolvedTracingOptions): number {
  if (options.sampler.endsWith('always_off')) return 0;
  return options.sampler.endsWith('traceidratio') ? options.samplerRatio : 1;
}

function exporterOf(options: ResolvedTracingOptions): SpanExporter | undefined {
  if (options.url === undefined) return undefined;
  const why = `an OTLP endpoint is configured, protocol ${options.protocol}`;
  const config = {
    url: options.url,
    headers: { ...options.headers },
    timeoutMillis: options.exportTimeoutMs,
  };
  if (options.protocol !== 'http/json') {
    need('@opentelemetry/exporter-trace-otlp-proto', why);
    return protobufSpanExporter(config).exporter;
  }
  const { OTLPTraceExporter } = need<{
    OTLPTraceExporter: new (config: object) => SpanExporter;
  }>('@opentelemetry/exporter-trace-otlp-http', why);
  return new OTLPTraceExporter(config);
}

/** The span processors: batched, bounded OTLP export (and console), behind sibling collapsing. */
function processorsOf(
  base: typeof SdkTraceBase,
  options: ResolvedTracingOptions,
  resource?: Resource,
): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  const otlp = exporterOf(options);
  const exporter = otlp && resource ? withResource(otlp, resource) : otlp;
  if (exporter) {
    const batch = new base.BatchSpanProcessor(exporter, {
      maxQueueSize: options.maxQueueSize,
      maxExportBatchSize: options.maxExportBatchSize,
      scheduledDelayMillis: options.scheduledDelayMs,
      exportTimeoutMillis: options.exportTimeoutMs,
    });
    processors.push(new CollapsingSpanProcessor(batch, options.collapseAfter));
  }
  if (options.console) {
    processors.push(new base.SimpleSpanProcessor(new base.ConsoleSpanExporter()));
  }
  return processors;
}

/**
 * An exporter that sends spans with `resource` instead of their provider's: Sentry's provider
 * describes Sentry's SDK (`service.name: node`), the OTLP backend needs the application.
 */
function withResource(exporter: SpanExporter, resource: Resource): SpanExporter {
  return {
    export: (spans, done) =>
      exporter.export(
        spans.map((span) => Object.create(span, { resource: { value: resource } }) as ReadableSpan),
        done,
      ),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

type InstrumentationModule = Record<string, new (config?: object) => Instrumentation>;

/**
 * The automatic instrumentations enabled and installed. `http` is required; the rest optional.
 * With `serverSpans`, `@opentelemetry/instrumentation-http` traces outgoing requests only:
 * server spans are {@link ServerSpans}'. Otherwise requests of ignored paths
 * (`http.ignorePaths`: health probes, scrapes) start no trace.
 * Express middleware and Fastify hook spans are off unless `frameworkSpans` is set: the server
 * span carries the route, and the guard, pipe and handler spans name the application's code,
 * at a fraction of the cost (measured in BENCHMARKS.md). With our server spans and without
 * `frameworkSpans`, those two instrumentations are not loaded at all.
 */
function instrumentationsOf(
  options: ResolvedObservabilityOptions,
  serverSpans: boolean,
): Instrumentation[] {
  const list: Instrumentation[] = [];
  const { instrumentations: on, frameworkSpans } = options.tracing;
  // Secret query parameters never reach a span, by the rule (and the `redact` option) of the logs.
  const scrubUrls = scrubSpanUrls(new Redactor(options.redact));
  if (on.http) {
    const { HttpInstrumentation } = need<InstrumentationModule>(
      '@opentelemetry/instrumentation-http',
      'HTTP server and client spans',
    );
    const ignored = new PathMatcher(options.http.ignorePaths);
    list.push(
      new HttpInstrumentation(
        serverSpans
          ? { disableIncomingRequestInstrumentation: true, requestHook: scrubUrls }
          : {
              ignoreIncomingRequestHook: (req: { url?: string }) => ignored.matches(req.url),
              requestHook: scrubUrls,
            },
      ),
    );
  }
  const optional = (enabled: boolean, pkg: string, exportName: string, config?: object): void => {
    if (!enabled) return;
    const module = loadOptional<InstrumentationModule>(pkg);
    const Ctor = module?.[exportName];
    if (Ctor) list.push(new Ctor(config));
  };
  // With our server spans, the route comes from the Nest adapter: Express's and Fastify's
  // instrumentations only add their layer and hook spans, and are loaded for those alone.
  const frameworks = !serverSpans || frameworkSpans;
  optional(
    on.express && frameworks,
    '@opentelemetry/instrumentation-express',
    'ExpressInstrumentation',
    {
      ignoreLayersType: frameworkSpans ? [] : ['middleware', 'request_handler', 'router'],
    },
  );
  optional(on.fastify && frameworks, '@fastify/otel', 'FastifyOtelInstrumentation', {
    registerOnInitialization: true,
    instrumentHooks: frameworkSpans,
    instrumentHandler: frameworkSpans,
  });
  optional(on.undici, '@opentelemetry/instrumentation-undici', 'UndiciInstrumentation', {
    requestHook: scrubUrls,
  });
  optional(on.pg, '@opentelemetry/instrumentation-pg', 'PgInstrumentation', {
    requestHook: sanitizePgSpanStatement,
  });
  optional(on.ioredis, '@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation', {
    dbStatementSerializer: redisSpanStatement,
  });
  return list;
}

/**
 * The server spans of every `node:http`/`node:https` server, made by {@link ServerSpans} rather
 * than by `@opentelemetry/instrumentation-http`'s incoming side, which costs several times more
 * per request (BENCHMARKS.md): Nest adapters hand their requests over in their first request
 * hook, other servers through their `request` event.
 */
function serverSpansOf(
  options: ResolvedObservabilityOptions,
  provider: { getTracer(name: string): import('@opentelemetry/api').Tracer },
): ServerSpans {
  const spans = new ServerSpans(
    provider.getTracer(TRACER_NAME),
    new PathMatcher(options.http.ignorePaths),
    new Redactor(options.redact),
    loadOptional<OtelCore>('@opentelemetry/core'),
    options.tracing.frameworkSpans,
  );
  spans.patchServers([
    [http.Server.prototype, 'http'],
    [https.Server.prototype, 'https'],
  ]);
  return spans;
}

function resourceAttributesOf(options: ResolvedObservabilityOptions): Record<string, string> {
  return {
    ...options.tracing.resourceAttributes,
    'service.name': options.tracing.serviceName,
    ...(options.version !== undefined && { 'service.version': options.version }),
    'deployment.environment.name': options.environment,
  };
}

/** Starts tracing from resolved options (see {@link startTracing}). @internal */
export function startTracingFromOptions(
  options: ResolvedObservabilityOptions,
  sentryPackages: readonly string[] = SENTRY_FOR_NEST,
): TracingHandle | undefined {
  const running = tracingState();
  if (running) return running;
  const tracing = options.tracing;
  if (!tracing.enabled) return undefined;
  if (!options.errors.enabled && isTracingActive()) {
    // Someone else's provider is global: a second one could not register, its spans would go nowhere.
    process.emitWarning(TracingMessages.otherProvider(), 'TracingWarning');
    return undefined;
  }
  const base = need<typeof SdkTraceBase>('@opentelemetry/sdk-trace-base', 'tracing');
  const { resourceFromAttributes } = need<typeof import('@opentelemetry/resources')>(
    '@opentelemetry/resources',
    'tracing',
  );
  const resource = resourceFromAttributes(resourceAttributesOf(options));
  const sentryOwns = options.errors.enabled;
  const processors = processorsOf(base, tracing, sentryOwns ? resource : undefined);
  const stop = async (method: 'shutdown' | 'forceFlush'): Promise<void> => {
    await Promise.all(processors.map((p) => p[method]().catch(() => undefined)));
  };

  if (sentryOwns) {
    // Sentry is built on OpenTelemetry and registers its own provider, sampler, propagator
    // and instrumentations: it owns them, and our processors ride on its provider, so each
    // HTTP request has one server span, exported to both.
    const sdk = loadOptional<{ isEnabled(): boolean }>(sentryPackages[0]);
    if (sdk?.isEnabled()) process.emitWarning(TracingMessages.sentryFirst(), 'TracingWarning');
    initSentryFromOptions(options, sentryPackages, {
      openTelemetrySpanProcessors: processors,
      tracesSampleRate: sampleRate(tracing),
    });
    const state: TracingState = {
      options: tracing,
      owner: 'sentry',
      shutdown: () => stop('shutdown'),
      flush: () => stop('forceFlush'),
    };
    setTracingState(state);
    return state;
  }

  const { NodeTracerProvider } = need<typeof import('@opentelemetry/sdk-trace-node')>(
    '@opentelemetry/sdk-trace-node',
    'tracing',
  );
  const { registerInstrumentations } = need<typeof import('@opentelemetry/instrumentation')>(
    '@opentelemetry/instrumentation',
    'tracing',
  );
  const provider = new NodeTracerProvider({
    resource,
    sampler: samplerOf(base, tracing),
    spanProcessors: processors,
  });
  // AsyncLocalStorage context and the W3C `traceparent`/`baggage` propagators.
  provider.register();
  const serverSpans = tracing.instrumentations.http ? serverSpansOf(options, provider) : undefined;
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: instrumentationsOf(options, serverSpans !== undefined),
  });
  const state: TracingState = {
    options: tracing,
    owner: 'nestjs-observability',
    serverSpans,
    shutdown: async () => {
      serverSpans?.close();
      unregister();
      await provider.shutdown().catch(() => undefined);
      // Let another setup (a test, a restart within the process) register its own.
      trace.disable();
      context.disable();
      propagation.disable();
    },
    flush: () => provider.forceFlush().catch(() => undefined),
  };
  setTracingState(state);
  return state;
}

/**
 * Starts OpenTelemetry tracing for the process, before the application is imported, so the
 * HTTP, Express, Fastify, `fetch`/undici, `pg` and `ioredis` instrumentations can patch those
 * modules. Configured by `options.tracing` and the standard `OTEL_*` variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, ...); off unless
 * an endpoint is configured. Spans are exported in batches from a bounded queue: a slow or
 * unreachable collector drops spans, it never delays a request. W3C `traceparent` is read from
 * incoming and written to outgoing requests.
 *
 * With Sentry enabled (`SENTRY_DSN`), Sentry owns the tracer provider and this only adds the
 * OTLP export to it (one provider, one span per operation, sent to both); the sample rate is
 * Sentry's `tracesSampleRate`, or the `OTEL_TRACES_SAMPLER` rate when that is unset.
 *
 * Bad configuration throws, naming each bad option or variable. Calling it again returns the
 * running setup.
 *
 * @returns the running setup, or `undefined` when tracing is off.
 * @example
 * ```ts
 * // main.ts: first line, before AppModule is imported
 * import 'nestjs-observability/instrument'; // runs startTracing() and initSentry()
 * // or, with options:
 * import { startTracing } from 'nestjs-observability';
 * startTracing({ service: 'api', tracing: { providers: true } });
 * ```
 */
export function startTracing(options: TracingInitOptions = {}): TracingHandle | undefined {
  const { service, environment, version, errors, redact, tracing } = options;
  return startTracingFromOptions(
    resolveOptions({ service, environment, version, errors, redact, tracing }),
  );
}

/** Stops the tracing {@link startTracing} started, exporting what is queued. */
export async function stopTracing(): Promise<void> {
  const state = tracingState();
  if (!state) return;
  setTracingState(undefined);
  await state.shutdown();
}
