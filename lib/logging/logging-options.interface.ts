import type { IncomingHttpHeaders } from 'node:http';

/** A pino log level; `silent` turns a logger or a context off. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The request `logging.userContext` receives: your framework's own request object (Express
 * `Request`, Fastify `FastifyRequest`). Annotate the parameter with that type to read more.
 */
export interface ObservedRequest {
  readonly headers?: IncomingHttpHeaders;
  /** Set by authentication guards (Passport's `req.user`). */
  readonly user?: unknown;
}

/** Who is behind a request, for the `user_id` and `workspace_id` log fields and Sentry tags. */
export interface RequestUserContext {
  userId?: string | number;
  workspaceId?: string | number;
}

/** Where log lines go: anything with `write(line)`, such as a file or an in-memory stream. */
export interface LogDestination {
  write(line: string): unknown;
}

/** Options of the structured logs (nestjs-pino, configured by the module). */
export interface LoggingOptions {
  /**
   * Configure nestjs-pino: JSON request logs and the `Logger` Nest can use. When `false` the
   * logger is silent and no request is logged (request ids and `RequestContext` still work
   * unless `requestContext` is `false` too).
   * @default true
   */
  enabled?: boolean;
  /**
   * One line per completed request (`request completed`, `warn` for 4xx, `request errored` at
   * `error` for 5xx, `request aborted` when the client goes away first). Paths in
   * `excludePaths` are never logged. Turn off when a proxy or ingress already logs requests:
   * the line is most of the module's CPU cost per request.
   * @default true
   */
  requestLogs?: boolean;
  /**
   * Give every HTTP request an id (`X-Request-Id` in and out) and open the
   * {@link RequestContext}, so lines logged during the request carry `request_id`,
   * `user_id` and `workspace_id`. It is an `AsyncLocalStorage`: on Node 20 and 22 that turns
   * on Node's promise hooks for the whole process, which costs CPU on every request (see
   * BENCHMARKS.md). `false` saves it when you log nothing per request.
   * @default true
   */
  requestContext?: boolean;
  /**
   * Minimum level written.
   * @default process.env.LOG_LEVEL ?? 'info'
   */
  level?: LogLevel;
  /**
   * Levels per logger context (the Nest `Logger` context or `@InjectPinoLogger(context)`),
   * overriding `level`, e.g. `{ TypeOrmLogger: 'warn', PaymentsService: 'debug' }`.
   * @default {}
   */
  levels?: Record<string, LogLevel>;
  /**
   * Human-readable lines through `pino-pretty` (which must then be installed).
   * @default true when `environment` is 'development' and pino-pretty is installed
   */
  pretty?: boolean;
  /**
   * Paths whose requests are not logged automatically (their sub-paths too).
   * @default ['/health', '/ready', '/live', '/metrics']
   */
  excludePaths?: string[];
  /**
   * Header that carries the request id in and out. A valid incoming value (1-128 characters
   * of `A-Z a-z 0-9 . _ : -`) is kept; otherwise a UUID is generated.
   * @default 'x-request-id'
   */
  requestIdHeader?: string;
  /**
   * Reads the user and workspace of a request, at log time (so users set by guards appear).
   * @default reads `request.user.id` (or `sub`, `userId`) and `request.user.workspaceId`
   * @example
   * ```ts
   * userContext: (req: Request & { user?: { id: string } }) => ({
   *   userId: req.user?.id,
   *   workspaceId: req.header('x-workspace-id'),
   * })
   * ```
   */
  // A method, so a parameter annotated with the framework's request type is accepted.
  userContext?(request: ObservedRequest): RequestUserContext | undefined;
  /**
   * Destination of the JSON lines (mostly for tests and custom transports).
   * @default standard output
   */
  stream?: LogDestination;
  /**
   * Write each line to standard output as it is logged, with its own system call. By default
   * lines are batched (written at most 100 ms or 8 KB later) and flushed when the application
   * closes, on `process.exit()` and on an uncaught exception, after its `fatal` line. A process
   * killed by a signal without shutdown hooks (`app.enableShutdownHooks()`) loses its last
   * 100 ms of lines: turn this on if it cannot have them. Applies to standard output only, not
   * to `stream` or pretty output.
   * @default process.env.LOG_SYNC ?? false
   */
  sync?: boolean;
}

/** Logging options after defaults and environment variables are applied. */
export interface ResolvedLoggingOptions {
  enabled: boolean;
  /** `false` when `enabled` is. */
  requestLogs: boolean;
  requestContext: boolean;
  level: LogLevel;
  levels: Record<string, LogLevel>;
  /** `undefined`: pretty when in development and pino-pretty is installed. */
  pretty: boolean | undefined;
  excludePaths: string[];
  requestIdHeader: string;
  /** Never throws: a throwing extractor reads as no user. */
  userContext: (request: unknown) => RequestUserContext | undefined;
  stream: LogDestination | undefined;
  sync: boolean;
}
