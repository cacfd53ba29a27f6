import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { RequestContext } from './request-context';
import { ensureRequestId } from './request-id';

/** Assigns the request id (echoed in the response) and opens the {@link RequestContext}. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  private readonly header: string;

  constructor(@Inject(OBSERVABILITY_OPTIONS) options: ResolvedObservabilityOptions) {
    this.header = options.logging.requestIdHeader;
  }

  use(request: unknown, response: unknown, next: (error?: unknown) => void): void {
    const requestId = ensureRequestId(request, response, this.header);
    RequestContext.run({ requestId, request }, next);
  }
}
