import { AsyncLocalStorage } from 'node:async_hooks';

/** What {@link RequestContext} holds for the request being served. */
export interface RequestContextStore {
  /** The validated incoming `X-Request-Id`, or a generated UUID. */
  readonly requestId: string;
  /** The framework's request object (Express `Request`; on Fastify the raw `IncomingMessage`, replaced by the
   * `FastifyRequest` once the route runs). */
  request: unknown;
}

const storage = new AsyncLocalStorage<RequestContextStore>();

/**
 * The request being served, from anywhere in its async call chain (services, queues it
 * enqueues synchronously, loggers). Set by the module's middleware on every HTTP request.
 *
 * @example
 * ```ts
 * const id = RequestContext.requestId; // undefined outside a request
 * ```
 */
export class RequestContext {
  /** Runs `fn` with `store` as the current request context. */
  static run<T>(store: RequestContextStore, fn: () => T): T {
    return storage.run(store, fn);
  }

  /** The current request context, or `undefined` outside a request. */
  static current(): RequestContextStore | undefined {
    return storage.getStore();
  }

  /** The id of the current request, or `undefined` outside a request. */
  static get requestId(): string | undefined {
    return storage.getStore()?.requestId;
  }
}
