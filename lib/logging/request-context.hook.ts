import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { ErrorTrackingService } from '../errors/error-tracking.service';
import { installAround, prepareRequestHook } from '../http/adapter-request-hook';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ContextStore, RequestContext } from './request-context';
import { ensureRequestId } from './request-id';
import { RequestLog } from './request-log';
import { StructuredLogger } from './structured-logger';

/**
 * The per-request part of logging, in the adapter's first request hook (before the body parser
 * and every middleware): assigns the request id (echoed in the response), opens the
 * {@link RequestContext} and watches the response for the request log line. With Sentry on and
 * not tracing, the request gets Sentry scopes of its own (see `sentry-request-scopes.ts`). A Nest middleware
 * would do the same for more CPU per request (on Fastify it runs through middie). Should the
 * adapter stop calling that hook, a public-API fallback takes over (see `prepareRequestHook`).
 */
@Injectable()
export class RequestContextHook implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Observability');
  private readonly subscription: Subscription | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly structured: StructuredLogger,
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly config: ApplicationConfig,
    private readonly errors: ErrorTrackingService,
  ) {
    // The request hook's public-API fallback must be in place before Nest registers the body
    // parsers and routes; `init$` fires when the adapter is known, before both.
    const { logging } = options;
    // With Sentry on, error tracking may need each request's scope (see `requestScope`).
    if (logging.requestContext || logging.requestLogs || options.errors.enabled) {
      this.subscription = adapterHost?.init$?.subscribe(() =>
        prepareRequestHook(adapterHost.httpAdapter, this.logger),
      );
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return; // an application context without HTTP
    const { logging } = this.options;
    const header = logging.requestIdHeader;
    const context = logging.requestContext;
    // `RequestContext.assign()` replaces the store's logger with a child of it.
    const root = this.structured.root;
    const log = logging.requestLogs
      ? new RequestLog({
          root,
          traceContext: this.structured.traceContext,
          redactor: this.structured.redactor,
          excludePaths: underGlobalPrefix(logging.excludePaths, this.config.getGlobalPrefix()),
          userContext: logging.userContext,
          preparedLine: this.structured.preparedLine,
        })
      : undefined;
    if (!context && !log && !this.options.errors.enabled) return;
    const errors = this.errors;
    installAround(
      adapter,
      (request, response, proceed) => {
        let store: ContextStore | undefined;
        try {
          if (context) {
            const requestId = ensureRequestId(request, response, header);
            // Fastify's own `request.id` follows ours.
            if (request?.raw) request.id = requestId;
            store = new ContextStore(root, requestId, request);
          }
        } catch {
          // observability never breaks the request it observes
        }
        // Read per request: error tracking connects to Sentry when the application starts.
        const scope = errors?.requestScope;
        // No closure unless a Sentry scope must wrap the request (the default path allocates none).
        if (scope) scope(store, () => serve(log, request, response, store, proceed));
        else serve(log, request, response, store, proceed);
      },
      this.logger,
    );
  }
}

/** Watches the response for the request line, then runs the rest of the request in `store`. */
function serve(
  log: RequestLog | undefined,
  request: any,
  response: any,
  store: ContextStore | undefined,
  proceed: () => void,
): void {
  try {
    log?.watch(request?.raw ?? request, response?.raw ?? response, request, store);
  } catch {
    // observability never breaks the request it observes
  }
  if (!store) return proceed();
  RequestContext.run(store, proceed);
}

/**
 * `paths`, and each of them under the application's global prefix (`/api/health` for
 * `/health` after `app.setGlobalPrefix('api')`), which is set by the time the module inits.
 */
function underGlobalPrefix(paths: readonly string[], prefix: string | undefined): string[] {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (!trimmed) return [...paths];
  return [...paths, ...paths.map((path) => (path === '/' ? `/${trimmed}` : `/${trimmed}${path}`))];
}
