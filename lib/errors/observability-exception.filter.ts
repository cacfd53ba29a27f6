import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable } from '@nestjs/common';
import { FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import { ApplicationConfig, BaseExceptionFilter } from '@nestjs/core';
import { ErrorTrackingService } from './error-tracking.service';

function handles(filter: ExceptionFilter, exception: unknown): boolean {
  const types: unknown[] =
    Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, (filter as object).constructor) ?? [];
  return (
    types.length === 0 ||
    types.some((type) => typeof type === 'function' && exception instanceof (type as any))
  );
}

/**
 * The global exception filter registered by `ObservabilityModule`: reports the exception
 * (see `ErrorTrackingService`), then answers exactly as Nest would: through your own global
 * filter when one catches this exception type, otherwise through Nest's `BaseExceptionFilter`
 * (same status, same body, same `ExceptionsHandler` log line). Filters bound with
 * `@UseFilters()` run before it, as always in Nest.
 */
@Catch()
@Injectable()
export class ObservabilityExceptionFilter extends BaseExceptionFilter {
  constructor(
    private readonly tracking: ErrorTrackingService,
    private readonly config: ApplicationConfig,
  ) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const type = host.getType();
    const request = type === 'http' ? host.switchToHttp().getRequest() : undefined;
    this.tracking.captureRequestException(exception, request);
    if (type !== 'http') throw exception;
    const delegate = this.userFilterFor(exception);
    if (delegate) return delegate.catch(exception, host);
    return super.catch(exception, host);
  }

  /**
   * The global filter Nest would have chosen had this catch-all not been registered: Nest
   * tries global filters from the last registered to the first, so look after this one.
   */
  private userFilterFor(exception: unknown): ExceptionFilter | undefined {
    const filters = [...this.config.getGlobalFilters()].reverse();
    const self = filters.indexOf(this);
    return filters
      .slice(self + 1)
      .find(
        (filter) => !(filter instanceof ObservabilityExceptionFilter) && handles(filter, exception),
      );
  }
}
