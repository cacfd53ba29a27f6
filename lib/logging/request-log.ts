import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RequestUserContext } from './logging-options.interface';
import type { Redactor } from './redaction';
import type { ContextStore } from './request-context';
import type { TraceContextSource } from './trace-context';

/**
 * Marks a log object that is already scrubbed and carries its own request fields: the
 * logger's formatter and mixin leave it alone. A symbol, so it is never serialised.
 * @internal
 */
export const PREPARED = Symbol('nestjs-observability.prepared-line');

/** The levels of request lines. */
export type RequestLineLevel = 'info' | 'warn' | 'error';

/**
 * Writes one request line whose fields are already serialised (`,"request_id":"…",…`, see
 * `RequestLog`), with the same envelope as the root logger's lines, straight to the destination.
 * @internal
 */
export type PreparedLineWriter = (level: RequestLineLevel, fields: string, message: string) => void;

/** Whether the path of `url` is one of `paths` or below it (`/health` matches `/health/db`). */
export function isExcludedPath(url: string | undefined, paths: readonly string[]): boolean {
  if (!url) return false;
  const query = url.indexOf('?');
  const end = query < 0 ? url.length : query;
  for (const path of paths) {
    if (!url.startsWith(path)) continue;
    if (end === path.length || path === '/' || url.charCodeAt(path.length) === 47 /* / */) {
      return true;
    }
  }
  return false;
}

/** What the request log needs from the logging options and the application's logger. */
export interface RequestLogOptions {
  root: Logger;
  /** The active span's ids at the request's arrival. */
  traceContext: TraceContextSource;
  redactor: Redactor;
  excludePaths: readonly string[];
  /** Never throws (the options resolver wraps the user's extractor). */
  userContext: (request: unknown) => RequestUserContext | undefined;
  /** Writes lines of the root logger serialised here; without it, pino serialises them. */
  preparedLine?: PreparedLineWriter;
}

/** A user or workspace id as written: strings and numbers; anything else goes through pino. */
const isPlainId = (value: unknown): value is string | number | null | undefined =>
  value === undefined || value === null || typeof value === 'string' || typeof value === 'number';

/** `,"key":value` for a defined, non-null `value`; empty otherwise. */
const field = (key: string, value: unknown): string =>
  value === undefined || value === null ? '' : `,"${key}":${JSON.stringify(value)}`;

/**
 * Writes one line per completed request: the request (method, URL with secret query values
 * redacted, headers with secret ones redacted, remote address), the status the client got,
 * the response time in milliseconds and the request's context fields. It listens to the raw
 * response's `close` (sent or not), so every response is logged once, whatever produced it.
 *
 * Built for the hot path: no child logger and no Nest middleware per request, headers copied
 * once with one cached verdict per header name, and the line is marked as already scrubbed so
 * the logger does not walk it again.
 * @internal
 */
export class RequestLog {
  constructor(private readonly options: RequestLogOptions) {}

  /**
   * Starts watching one request; `store` is its context when `logging.requestContext` is on.
   * Never throws into the request.
   */
  watch(req: IncomingMessage, res: ServerResponse, request: unknown, store?: ContextStore): void {
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url;
    if (isExcludedPath(url, this.options.excludePaths)) return;
    const start = performance.now();
    // The active span is the server's own while the request arrives (Sentry only).
    const trace = this.options.traceContext();
    res.on('close', () => {
      try {
        this.write(req, res, url, request, store, start, trace);
      } catch {
        // Observability never breaks the request it observes.
      }
    });
  }

  private write(
    req: IncomingMessage,
    res: ServerResponse,
    url: string | undefined,
    request: unknown,
    store: ContextStore | undefined,
    start: number,
    trace: { traceId: string; spanId: string } | undefined,
  ): void {
    const aborted = !res.writableFinished;
    // 499, as the HTTP metrics count it (nginx's "client closed request").
    const statusCode = aborted ? 499 : res.statusCode;
    const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    // `RequestContext.assign()` replaces the store's logger with a child.
    const logger = (store?.logger as Logger | undefined) ?? this.options.root;
    if (!logger.isLevelEnabled(level)) return;
    const user = this.options.userContext(store?.request ?? request);
    // Without a span at arrival, the request's own trace, if error tracking gave it one since.
    const ids = trace ?? store?.traceIds;
    const message = aborted
      ? 'request aborted'
      : statusCode >= 500
        ? 'request errored'
        : 'request completed';
    const responseTime = Math.round((performance.now() - start) * 1000) / 1000;
    const scrubbedUrl = this.options.redactor.scrubUrl(url ?? '');
    const write = this.options.preparedLine;
    if (
      write &&
      logger === this.options.root &&
      isPlainId(user?.userId) &&
      isPlainId(user?.workspaceId)
    ) {
      // The same fields, in the same order, as the object below would give through pino.
      write(
        level,
        `${field('request_id', store?.requestId)}${field('user_id', user?.userId)}${field(
          'workspace_id',
          user?.workspaceId,
        )}${field('trace_id', ids?.traceId)}${field('span_id', ids?.spanId)},"req":{${
          req.method === undefined ? '' : `"method":${JSON.stringify(req.method)},`
        }"url":${JSON.stringify(scrubbedUrl)}${field('userAgent', req.headers['user-agent'])}${field(
          'remoteAddress',
          req.socket?.remoteAddress,
        )}},"res":{"statusCode":${statusCode}},"responseTime":${responseTime}`,
        message,
      );
      return;
    }
    const line = {
      [PREPARED]: true,
      request_id: store?.requestId,
      user_id: user?.userId ?? undefined,
      workspace_id: user?.workspaceId ?? undefined,
      trace_id: ids?.traceId,
      span_id: ids?.spanId,
      req: {
        method: req.method,
        url: scrubbedUrl,
        userAgent: req.headers['user-agent'],
        remoteAddress: req.socket?.remoteAddress,
      },
      res: { statusCode },
      responseTime,
    };
    logger[level](line, message);
  }
}
