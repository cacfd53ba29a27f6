import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderSource, HttpMetricsRecorder } from './http-metrics.recorder';
import { UNMATCHED_ROUTE } from './http-metrics.recorder';
import type { PathMatcher } from './path-matcher';

/** An Express (or Connect) middleware. */
export type ExpressMetricsMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The parts of a Fastify request the hook reads (no dependency on fastify's types). */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions?: { url?: string };
}

/** The parts of a Fastify reply the hook reads. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  getHeader?(name: string): unknown;
}

/** A Fastify `onRequest` hook. */
export type FastifyMetricsHook = (
  request: FastifyRequestLike,
  reply: FastifyReplyLike,
  done: (error?: Error) => void,
) => void;

/** Starts measuring one request: the shared first step of every entry point. */
export type RequestObserver = (request: any, response: any) => void;

/** Observes Express requests (`req.route` is read when the response ends). @internal */
export function expressObserver(
  recorder: HttpMetricsRecorder,
  ignore: PathMatcher,
): RequestObserver {
  return function observeExpressRequest(req: IncomingMessage, res: ServerResponse) {
    try {
      if (!ignore.matches(req.url)) recorder.start(req, res, undefined);
    } catch {
      // Observability never breaks the request it observes.
    }
  };
}

/** Observes Fastify requests (the route is known on arrival). @internal */
export function fastifyObserver(
  recorder: HttpMetricsRecorder,
  ignore: PathMatcher,
): RequestObserver {
  return function observeFastifyRequest(request: FastifyRequestLike, reply: FastifyReplyLike) {
    try {
      const req = request.raw;
      if (!ignore.matches(req.url)) {
        recorder.start(
          req,
          reply.raw,
          request.routeOptions?.url ?? UNMATCHED_ROUTE,
          reply as HeaderSource,
        );
      }
    } catch {
      // Observability never breaks the request it observes.
    }
  };
}

type RequestHook = (
  request: unknown,
  response: unknown,
  next: (error?: unknown) => void,
) => unknown;

interface HookableAdapter {
  onRequestHook?: RequestHook;
  setOnRequestHook(hook: RequestHook): void;
}

/** Runs around the rest of one request's hook chain; it must call `proceed` exactly once. */
export type RequestAround = (request: any, response: any, proceed: () => void) => void;

/**
 * Runs `around` first for every request through the adapter's own request hook
 * (`setOnRequestHook`): Nest's Express and Fastify adapters call it from the first middleware
 * / `onRequest` hook they install in their constructor, so it runs before the body parser,
 * CORS, Nest middleware and routing. A hook the application (or another capability) sets later
 * still runs, inside `around`. Returns `false` when the adapter has no such hook.
 * @internal
 */
export function installAround(adapter: unknown, around: RequestAround): boolean {
  const target = adapter as Partial<HookableAdapter>;
  if (typeof target.setOnRequestHook !== 'function') return false;
  const chain =
    (other: RequestHook | undefined): RequestHook =>
    (request, response, next) =>
      around(request, response, () => (other ? other(request, response, next) : next()));
  let current = chain(target.onRequestHook);
  Object.defineProperty(target, 'onRequestHook', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (hook: RequestHook | undefined) => {
      current = chain(hook);
    },
  });
  return true;
}

/**
 * Runs `observe` first for every request (see {@link installAround}).
 * @internal
 */
export function installFirst(adapter: unknown, observe: RequestObserver): boolean {
  return installAround(adapter, (request, response, proceed) => {
    observe(request, response);
    proceed();
  });
}
