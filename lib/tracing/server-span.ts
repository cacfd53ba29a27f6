import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { expressRouteOf } from '../http/express-route';
import type { PathMatcher } from '../http/path-matcher';
import type { Redactor } from '../logging/redaction';

/** What `@opentelemetry/core` offers to mark a context (RPC metadata, suppressed tracing). */
export interface OtelCore {
  suppressTracing(context: Context): Context;
  setRPCMetadata(context: Context, metadata: { type: unknown; span: Span }): Context;
  getRPCMetadata(context: Context): { route?: string } | undefined;
  RPCType: { HTTP: unknown };
}

/** The request methods of the semantic conventions; others are reported as `_OTHER`. */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/** Where a request's route is read when its response closes. */
type RouteOf = (() => string | undefined) | undefined;

/**
 * The HTTP server spans of the process when this library's tracing owns the tracer provider:
 * the lean replacement of `@opentelemetry/instrumentation-http`'s incoming side.
 *
 * A span is started per request, the continued W3C `traceparent` its parent, and the rest of
 * the request runs inside `context.with()`. A span that records gets the stable
 * semantic-convention attributes a backend groups and filters by, read without parsing the URL
 * (the path is the part before `?`, the server address the `Host` header), and ends when the
 * response closes, named `GET /users/:id` once the route is known, `ERROR` on a 5xx; a span of a
 * trace sampled out only carries the trace context. Unlike the
 * instrumentation, it does not bind the request and response emitters to the context (every
 * listener added later would be wrapped) and records no metrics of its own.
 *
 * Two doors lead here: the first request hook of a Nest HTTP adapter (`around`), which knows
 * the framework's route, and, for every other `node:http`/`node:https` server of the process
 * (a worker's health endpoint, a plain `http.createServer` app), the `request` event itself
 * (`patchServers`). A server whose requests the Nest hook handles is skipped by the second.
 *
 * @internal
 */
export class ServerSpans {
  /** Nest adapters' Express apps and Fastify servers whose requests `around` handles. */
  private readonly owners = new WeakSet<object>();
  /** Per server, whether `owners` handles its requests, decided at its first request. */
  private readonly owned = new WeakMap<object, boolean>();
  private readonly unpatch: Array<() => void> = [];
  /**
   * Requests spanned through the `request` event, with where their route is read: should a
   * Nest hook see one (a server it serves that was not recognised), it adds the route rather
   * than a second span.
   */
  private readonly viaEvent = new WeakMap<object, { routeOf: RouteOf }>();

  constructor(
    private readonly tracer: Tracer,
    private readonly ignored: PathMatcher,
    private readonly redactor: Redactor,
    private readonly core: OtelCore | undefined,
    /** Whether to carry OpenTelemetry's RPC metadata (Express's and Fastify's instrumentations read it). */
    private readonly rpcMetadata: boolean,
  ) {}

  /**
   * Marks what serves a Nest adapter's requests (its Express app, Fastify instance or server)
   * as handled by {@link around}, so the `request` event does not add a second span.
   */
  own(...handlers: unknown[]): void {
    for (const handler of handlers) {
      if ((typeof handler === 'object' || typeof handler === 'function') && handler !== null) {
        this.owners.add(handler);
      }
    }
  }

  /** The first request hook of an Express or Fastify adapter: a span around the rest. */
  readonly around = (request: any, response: any, proceed: () => void): void => {
    let ctx: Context | undefined;
    try {
      const raw: IncomingMessage = request?.raw ?? request;
      const routeOf: RouteOf = request?.raw
        ? () => request.routeOptions?.url as string | undefined
        : () => expressRouteOf(raw);
      const spanned = this.viaEvent.get(raw);
      if (spanned) spanned.routeOf = routeOf;
      else ctx = this.start(raw, response?.raw ?? response, { routeOf });
    } catch {
      // observability never breaks the request it observes
    }
    if (!ctx) return proceed();
    context.with(ctx, proceed);
  };

  /**
   * Adds a span to each request of every `node:http` and `node:https` server that no Nest
   * hook handles, through `Server.prototype.emit` (where the instrumentation it replaces
   * works too). Undone by {@link close}. Not through the `http.server.request.start`
   * diagnostics channel: its subscribers run before the `request` listeners but cannot make
   * the span active for them, so the handler's own spans and outgoing calls would start new
   * traces. For a server a Nest hook handles, the patch costs one `WeakMap` lookup.
   */
  patchServers(prototypes: ReadonlyArray<readonly [object, string]>): void {
    for (const [prototype, scheme] of prototypes) this.patch(prototype, scheme);
  }

  /** Removes the `emit` patches (a patch someone else wrapped is left, and passes through). */
  close(): void {
    for (const undo of this.unpatch.splice(0)) undo();
  }

  private patch(prototype: object, scheme: string): void {
    const target = prototype as { emit: (this: Server, ...args: unknown[]) => boolean };
    const original = target.emit;
    const hadOwn = Object.prototype.hasOwnProperty.call(prototype, 'emit');
    let active = true;
    const isOwned = (server: Server): boolean => this.isOwned(server);
    const spanOf = (req: IncomingMessage, res: ServerResponse): Context | undefined => {
      try {
        const route = { routeOf: undefined };
        const ctx = this.start(req, res, route, scheme);
        this.viaEvent.set(req, route);
        return ctx;
      } catch {
        return undefined; // observability never breaks the request it observes
      }
    };
    const emit = function emit(this: Server, event: unknown, req: unknown, res: unknown): boolean {
      // `arguments` rather than a rest parameter: every event of every server passes here, and
      // most only need passing on, without an array allocated for them.
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as unknown[];
      if (!active || event !== 'request' || isOwned(this)) return original.apply(this, args);
      const ctx = spanOf(req as IncomingMessage, res as ServerResponse);
      if (!ctx) return original.apply(this, args);
      return context.with(ctx, () => original.apply(this, args));
    };
    target.emit = emit;
    this.unpatch.push(() => {
      active = false;
      if (target.emit !== emit) return;
      if (hadOwn) target.emit = original;
      else delete (target as { emit?: unknown }).emit;
    });
  }

  private isOwned(server: Server): boolean {
    let owned = this.owned.get(server);
    if (owned === undefined) {
      owned =
        this.owners.has(server) ||
        server.listeners('request').some((listener) => this.owners.has(listener));
      this.owned.set(server, owned);
    }
    return owned;
  }

  /**
   * Starts the server span of one request and returns the context to run it in, or a
   * context that records nothing for an ignored path (health probes, scrapes).
   */
  private start(
    req: IncomingMessage,
    res: ServerResponse,
    route: { routeOf: RouteOf },
    scheme?: string,
  ): Context {
    const url = req.url ?? '/';
    if (this.ignored.matches(url)) {
      return this.core ? this.core.suppressTracing(context.active()) : context.active();
    }
    const headers = req.headers;
    const method = req.method ?? 'GET';
    const known = KNOWN_METHODS.has(method);
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const span = this.tracer.startSpan(known ? method : 'HTTP', { kind: SpanKind.SERVER }, parent);
    let ctx = trace.setSpan(parent, span);
    // When loaded (`frameworkSpans`), Express's and Fastify's instrumentations report the
    // route they matched here, and Fastify's marks its own request span as internal.
    const core = this.rpcMetadata ? this.core : undefined;
    if (core) ctx = core.setRPCMetadata(ctx, { type: core.RPCType.HTTP, span });
    // A trace that is not sampled records nothing: its context carries the trace id (and the
    // "not sampled" flag) to logs and outgoing calls, and that is all it needs. The samplers
    // this tracer provider is built with (`tracing.sampler`) decide from the parent and the
    // trace id, not from attributes, so those are set once the span is known to record.
    if (!span.isRecording()) return ctx;
    span.setAttributes(this.attributesOf(req, method, known, url, scheme));
    const rpc = ctx;
    res.on('close', () => {
      try {
        const status = res.statusCode;
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        const template = route.routeOf ? route.routeOf() : core?.getRPCMetadata(rpc)?.route;
        if (template) {
          span.setAttribute('http.route', template);
          span.updateName(`${method} ${template}`);
        }
        span.end();
      } catch {
        // the span is lost, the response is not
      }
    });
    return ctx;
  }

  /** The stable semantic-convention attributes of a request, read without parsing its URL. */
  private attributesOf(
    req: IncomingMessage,
    method: string,
    known: boolean,
    url: string,
    scheme: string | undefined,
  ): Attributes {
    const headers = req.headers;
    const query = url.indexOf('?');
    const attributes: Attributes = {
      'http.request.method': known ? method : '_OTHER',
      'url.path': query < 0 ? url : url.slice(0, query),
      'url.scheme':
        scheme ?? ((req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http'),
    };
    if (!known) attributes['http.request.method_original'] = method;
    if (query >= 0 && query < url.length - 1) {
      attributes['url.query'] = this.redactor.scrubQuery(url.slice(query + 1));
    }
    const host = headers.host;
    if (host) {
      // `host[:port]`, `[v6]:port`: the port is after the last colon past any bracket.
      const colon = host.lastIndexOf(':');
      if (colon > host.lastIndexOf(']')) {
        attributes['server.address'] = host.slice(0, colon);
        const port = Number(host.slice(colon + 1));
        if (Number.isInteger(port)) attributes['server.port'] = port;
      } else {
        attributes['server.address'] = host;
      }
    }
    const agent = headers['user-agent'];
    if (agent) attributes['user_agent.original'] = agent;
    return attributes;
  }
}
