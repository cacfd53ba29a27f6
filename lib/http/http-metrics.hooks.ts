import type { IncomingMessage, ServerResponse } from 'node:http';
import { installAround, type RequestHookLogger } from './adapter-request-hook';
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

/** Starts measuring one request: the shared first step of every entry point. @internal */
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

/**
 * Runs `observe` first for every request of the adapter (see `installAround`).
 * @internal
 */
export function installFirst(
  adapter: unknown,
  observe: RequestObserver,
  logger: RequestHookLogger,
): boolean {
  return installAround(
    adapter,
    (request, response, proceed) => {
      observe(request, response);
      proceed();
    },
    logger,
  );
}
