import type * as SentryNestjs from '@sentry/nestjs';
import * as http from 'node:http';
import * as https from 'node:https';
import { loadOptional } from '../config/optional-module';
import { Redactor } from '../logging/redaction';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { Messages } from '../observability.messages';

/** The `@sentry/nestjs` module (an optional peer dependency). */
export type SentrySdk = typeof SentryNestjs;
type SentryEvent = SentryNestjs.Event;
type SentryIntegration = NonNullable<ReturnType<SentrySdk['getDefaultIntegrations']>>[number];

let loaded: SentrySdk | undefined;

/** The Sentry SDKs a Nest application uses, best first (`@sentry/nestjs` wraps `@sentry/node`). */
export const SENTRY_FOR_NEST = ['@sentry/nestjs', '@sentry/node'] as const;
/** The Sentry SDKs of a process without Nest: `@sentry/nestjs` would load Nest. */
export const SENTRY_STANDALONE = ['@sentry/node', '@sentry/nestjs'] as const;

/**
 * Loads the first installed SDK of `packages`, throwing an "install it" error when none is.
 * Both share one client and scope (`@sentry/nestjs` re-exports `@sentry/node`).
 */
export function loadSentry(packages: readonly string[] = SENTRY_FOR_NEST): SentrySdk {
  for (const name of packages) {
    const sdk = loadOptional<SentrySdk>(name);
    if (sdk) return (loaded = sdk);
  }
  throw new Error(Messages.sentryNotInstalled(packages));
}

/**
 * `trace_id`/`span_id` of the active span, when Sentry was loaded and a span is active
 * (Sentry's tracing runs on OpenTelemetry, so spans of other OTel instrumentation count).
 */
export function activeTraceContext(): { traceId: string; spanId: string } | undefined {
  const span = loaded?.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/**
 * Scrubs an outgoing Sentry event in place with `redactor`: request headers, cookies, query
 * string, URL and body, `extra`, `contexts` and breadcrumb data.
 */
export function scrubEvent<E extends SentryEvent>(event: E, redactor: Redactor): E {
  const request = event.request;
  if (request) {
    if (request.headers) request.headers = redactor.scrub(request.headers);
    if (request.cookies) request.cookies = { cookie: '[Redacted]' } as Record<string, string>;
    if (typeof request.url === 'string') request.url = redactor.scrubUrl(request.url);
    if (typeof request.query_string === 'string') {
      request.query_string = redactor.scrubQuery(request.query_string);
    } else if (request.query_string) {
      request.query_string = redactor.scrubParams(request.query_string);
    }
    if (typeof request.data === 'string') {
      try {
        request.data = redactor.scrub(JSON.parse(request.data));
      } catch {
        // not JSON: keep the text, its keys cannot be told apart
      }
    } else if (request.data !== undefined) {
      request.data = redactor.scrub(request.data);
    }
  }
  if (event.extra) event.extra = redactor.scrub(event.extra);
  if (event.contexts) event.contexts = redactor.scrub(event.contexts);
  for (const crumb of event.breadcrumbs ?? []) {
    if (crumb.data) crumb.data = redactor.scrub(crumb.data);
  }
  return event;
}

/** Requests the Sentry client has sent and not yet seen end (the client is process-wide). */
const inFlight = new Set<http.ClientRequest>();
/** Set at shutdown: Sentry's requests no longer hold the event loop. */
let released = false;

const unref = (request: http.ClientRequest): void => {
  if (request.socket) request.socket.unref();
  else request.once('socket', (socket) => socket.unref());
};

/**
 * The `http`/`https` module of the SDK's transport: Node's own, with each request tracked
 * until it ends, so {@link releaseSentryRequests} can find the ones still open.
 */
const trackedHttpModule = {
  request(
    options: http.RequestOptions,
    callback?: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const request =
      options.protocol === 'https:'
        ? https.request(options, callback)
        : http.request(options, callback);
    inFlight.add(request);
    request.once('close', () => inFlight.delete(request));
    if (released) unref(request);
    return request;
  },
};

/**
 * Lets the process end despite Sentry requests still open, now and later (the SDK sends its
 * last session and client reports on the way out): called once `errors.flushTimeoutMs` is
 * spent at shutdown. The SDK's requests have no deadline, so an endpoint that accepts and never
 * answers would otherwise keep the process alive after `app.close()`. They go on in the
 * background (another application of the process may still use the client); they only stop
 * holding the event loop.
 */
export function releaseSentryRequests(): void {
  released = true;
  inFlight.forEach(unref);
}

/** Sentry's requests hold the event loop again: an application starts reporting. */
export function retainSentryRequests(): void {
  released = false;
}

/**
 * What tracing adds to Sentry's initialisation when both are on: Sentry owns the tracer
 * provider, and exports to the OTLP collector through these span processors too.
 */
export interface SentryTracingHooks {
  openTelemetrySpanProcessors: unknown[];
  /** Used when `errors.tracesSampleRate` is unset, so both backends see the same traces. */
  tracesSampleRate: number;
}

/** Initialises the process-wide Sentry client from resolved options, once. */
export function initSentryFromOptions(
  options: Pick<
    ResolvedObservabilityOptions,
    'service' | 'environment' | 'version' | 'errors' | 'redact'
  >,
  packages: readonly string[] = SENTRY_FOR_NEST,
  tracing?: SentryTracingHooks,
): SentrySdk | undefined {
  const { errors } = options;
  if (!errors.enabled) return undefined;
  const sdk = loadSentry(packages);
  // A client closed with `Sentry.close()` stays registered but disabled: initialise anew.
  if (sdk.isEnabled()) return sdk;
  const redactor = new Redactor(options.redact);
  const profiling = loadOptional<{ nodeProfilingIntegration?: () => unknown }>(
    '@sentry/profiling-node',
  );
  sdk.init({
    dsn: errors.dsn,
    environment: options.environment,
    release: options.version,
    // Only when configured: Sentry reads the key's presence, `0` included, as "tracing on".
    ...(errors.tracesSampleRate !== undefined && { tracesSampleRate: errors.tracesSampleRate }),
    ...(tracing && {
      tracesSampleRate: errors.tracesSampleRate ?? tracing.tracesSampleRate,
      // W3C `traceparent` on outgoing requests too, not only `sentry-trace`: other services
      // traced with OpenTelemetry join the trace.
      propagateTraceparent: true,
      openTelemetrySpanProcessors:
        tracing.openTelemetrySpanProcessors as SentryNestjs.NodeOptions['openTelemetrySpanProcessors'],
    }),
    ...(errors.profilesSampleRate !== undefined && {
      profilesSampleRate: errors.profilesSampleRate,
    }),
    sendDefaultPii: false,
    integrations: (defaults) => {
      const chosen = chooseIntegrations(sdk, defaults, {
        tracing: errors.tracesSampleRate !== undefined || tracing !== undefined,
        requestSessions: errors.requestSessions,
      });
      return profiling?.nodeProfilingIntegration
        ? [...chosen, profiling.nodeProfilingIntegration() as SentryIntegration]
        : chosen;
    },
    initialScope: { tags: { service: options.service } },
    transportOptions: { httpModule: trackedHttpModule },
    beforeSend: (event) => scrubEvent(event, redactor),
    beforeSendTransaction: (event) => scrubEvent(event, redactor),
  });
  return sdk;
}

/** The `@sentry/node-core` function that instruments outgoing `http`/`https` requests only. */
type InstrumentOutgoing = (options: {
  breadcrumbs?: boolean;
  spans?: boolean;
  propagateTraceInOutgoingRequests?: boolean;
}) => void;

/**
 * Sentry's default integrations, minus the per-request work nothing needs when Sentry does not
 * trace. With tracing on (a sample rate, or OpenTelemetry tracing through Sentry) they all stay:
 * spans need them. With tracing off:
 * - `Nest` goes: its wrappers start a (non-recording) span around every guard, pipe,
 *   interceptor and handler of every request.
 * - `Http` goes unless `requestSessions` asks for it: its server part proxies `server.emit`,
 *   clones an isolation scope, normalises the headers, patches the request to capture its body
 *   and continues a trace on every request. Error tracking then keeps each request in its own
 *   isolation scope itself (`sentry-request-scopes.ts`), and builds the event's request data from
 *   the request object. Outgoing `http` requests keep their breadcrumbs and trace headers
 *   (`fetch` ones are the `NodeFetch` integration's, which stays).
 * `requestSessions` decides Sentry's `trackIncomingRequestsAsSessions` in both cases.
 */
export function chooseIntegrations(
  sdk: SentrySdk,
  defaults: SentryIntegration[],
  { tracing, requestSessions }: { tracing: boolean; requestSessions: boolean },
): SentryIntegration[] {
  const http = () => sdk.httpIntegration({ trackIncomingRequestsAsSessions: requestSessions });
  if (tracing || requestSessions) {
    return defaults
      .filter((integration) => tracing || integration.name !== 'Nest')
      .map((integration) => (integration.name === 'Http' ? http() : integration));
  }
  const chosen = defaults.filter(({ name }) => name !== 'Http' && name !== 'Nest');
  // `@sentry/node` is built on `@sentry/node-core`, which exports the outgoing half alone.
  const core = loadOptional<{ instrumentHttpOutgoingRequests?: InstrumentOutgoing }>(
    '@sentry/node-core',
  );
  const instrument = core?.instrumentHttpOutgoingRequests;
  if (typeof instrument === 'function') {
    chosen.push({
      name: 'HttpOutgoing',
      setupOnce: () =>
        instrument({ breadcrumbs: true, spans: false, propagateTraceInOutgoingRequests: true }),
    });
  }
  return chosen;
}
