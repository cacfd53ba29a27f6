import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { TraceIds } from './trace-context';

/** What {@link RequestContext} holds for the request being served. */
export interface RequestContextStore {
  /** The validated incoming `X-Request-Id`, or a generated UUID. */
  readonly requestId: string;
  /**
   * The framework's request object: Express `Request`, or the `FastifyRequest` on Fastify,
   * where guards later set `user`.
   */
  request: unknown;
}

/**
 * The store of one request: its id and request object, and the logger its lines go through
 * (a child with the fields given to {@link RequestContext.assign}, once there are any).
 * @internal
 */
export class ContextStore implements RequestContextStore {
  /**
   * The request's own trace, once error tracking gave it one (Sentry on and not tracing: the
   * first time Sentry is involved in the request): the `trace_id`/`span_id` of its later log
   * lines and of its request line.
   */
  traceIds: TraceIds | undefined = undefined;
  /** Error tracking's per-request Sentry scopes, made on first use. */
  errorScopes: unknown = undefined;

  constructor(
    /** The logger of this request's lines: the root until fields are assigned. */
    public logger: Logger | undefined,
    readonly requestId: string,
    public request: unknown,
  ) {}
}

/**
 * One store for the whole process, holding a per-request value: two applications in one
 * process each open their own requests' stores, never each other's.
 */
const storage = new AsyncLocalStorage<ContextStore>();

/**
 * The store of the request being served, or `undefined` outside a request.
 * @internal
 */
export function currentContextStore(): ContextStore | undefined {
  return storage.getStore();
}

/**
 * The request being served, from anywhere in its async call chain (services, queues it
 * enqueues synchronously, loggers). Opened by the module on every HTTP request unless
 * `logging.requestContext` is `false`.
 *
 * @example
 * ```ts
 * const id = RequestContext.requestId; // undefined outside a request
 * RequestContext.assign({ tenant: 't-9' }); // on this request's later lines, its request line too
 * ```
 */
export class RequestContext {
  /**
   * Runs `fn` with `store` as the current request context, e.g. to give a job the id of the
   * request that enqueued it.
   */
  static run<T>(store: RequestContextStore, fn: () => T): T {
    const context =
      store instanceof ContextStore
        ? store
        : new ContextStore(storage.getStore()?.logger, store.requestId, store.request);
    return storage.run(context, fn);
  }

  /** The current request context, or `undefined` outside a request. */
  static current(): RequestContextStore | undefined {
    return storage.getStore();
  }

  /** The id of the current request, or `undefined` outside a request. */
  static get requestId(): string | undefined {
    return storage.getStore()?.requestId;
  }

  /**
   * Adds `fields` to every later log line of the current request, its request line included
   * (secrets redacted like any field). Returns `false`, doing nothing, outside a request or when
   * the structured logger is off.
   */
  static assign(fields: Record<string, unknown>): boolean {
    const store = storage.getStore();
    if (!store?.logger || !fields || typeof fields !== 'object') return false;
    store.logger = store.logger.child(fields);
    return true;
  }
}
