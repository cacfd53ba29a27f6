import type { Logger } from 'pino';
// nestjs-pino's own request store: `PinoLogger` (and so `assign()`) reads it. One
// AsyncLocalStorage serves both, so a request enters one store, not two.
import { Store, storage } from 'nestjs-pino/storage.js';

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

/** nestjs-pino's store for `PinoLogger`, extended with the request context. @internal */
export class ContextStore extends Store implements RequestContextStore {
  constructor(
    logger: Logger | undefined,
    readonly requestId: string,
    public request: unknown,
  ) {
    // nestjs-pino falls back to its root logger when the store has none.
    super(logger as Logger);
  }
}

/**
 * The request being served, from anywhere in its async call chain (services, queues it
 * enqueues synchronously, loggers). Opened by the module on every HTTP request unless
 * `logging.requestContext` is `false`.
 *
 * @example
 * ```ts
 * const id = RequestContext.requestId; // undefined outside a request
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
    const store = storage.getStore();
    return store instanceof ContextStore ? store : undefined;
  }

  /** The id of the current request, or `undefined` outside a request. */
  static get requestId(): string | undefined {
    return RequestContext.current()?.requestId;
  }
}
