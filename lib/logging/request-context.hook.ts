import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { installAround } from '../http/http-metrics.hooks';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { RequestContext } from './request-context';
import { ensureRequestId } from './request-id';

/**
 * Assigns the request id (echoed in the response) and opens the {@link RequestContext} in the
 * adapter's first request hook, before the body parser and every middleware. A Nest middleware
 * would do the same for more CPU per request (on Fastify it runs through middie). The context
 * holds the framework request (`FastifyRequest` on Fastify), where auth guards later set `user`.
 */
@Injectable()
export class RequestContextHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return; // an application context without HTTP
    const header = this.options.logging.requestIdHeader;
    installAround(adapter, (request, response, proceed) => {
      let requestId: string;
      try {
        requestId = ensureRequestId(request, response, header);
        // Fastify: middie copies `request.id` onto the raw request for pino-http, after us.
        if (request?.raw) request.id = requestId;
      } catch {
        return proceed(); // observability never breaks the request it observes
      }
      RequestContext.run({ requestId, request }, proceed);
    });
  }
}
