import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable } from '@nestjs/common';
import { FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants';
import { ApplicationConfig, BaseExceptionFilter } from '@nestjs/core';
import { loadOptional } from '../config/optional-module';
import { ErrorTrackingService } from './error-tracking.service';

type BaseFilterClass = new () => ExceptionFilter;

/**
 * Nest's default filter of a non-HTTP context, from the package that context needs anyway
 * (`@nestjs/microservices` for `rpc`, `@nestjs/websockets` for `ws`).
 */
function defaultFilterFor(type: string): ExceptionFilter | undefined {
  const [pkg, name] =
    type === 'rpc'
      ? ['@nestjs/microservices', 'BaseRpcExceptionFilter']
      : type === 'ws'
        ? ['@nestjs/websockets', 'BaseWsExceptionFilter']
        : [undefined, undefined];
  if (!pkg || !name) return undefined;
  const Filter = loadOptional<Record<string, BaseFilterClass>>(pkg)?.[name];
  return Filter ? new Filter() : undefined;
}

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
 * `@UseFilters()` run before it, as always in Nest. In microservice (`rpc`) and gateway (`ws`)
 * contexts it answers through Nest's default filter of that context.
 *
 * Registered by `ObservabilityModule` (as `APP_FILTER`); there is nothing to add.
 *
 * @example
 * ```ts
 * // Your own global filter still answers the exceptions it catches:
 * @Catch(OrderNotFound)
 * export class OrderNotFoundFilter implements ExceptionFilter {
 *   catch(error: OrderNotFound, host: ArgumentsHost) {
 *     host.switchToHttp().getResponse().status(404).json({ code: 'ORDER_NOT_FOUND' });
 *   }
 * }
 * // providers: [{ provide: APP_FILTER, useClass: OrderNotFoundFilter }]
 * ```
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

  /**
   * Returns what the answering filter returns (an Observable for `rpc`), hence `any`; the
   * declaration users see is `BaseExceptionFilter`'s.
   *
   * @internal
   */
  override catch(exception: unknown, host: ArgumentsHost): any {
    const type = host.getType();
    const request = type === 'http' ? host.switchToHttp().getRequest() : undefined;
    this.tracking.captureRequestException(exception, request);
    const delegate = this.userFilterFor(exception);
    if (delegate) return delegate.catch(exception, host);
    if (type === 'http') return super.catch(exception, host);
    const fallback = defaultFilterFor(type);
    if (fallback) return fallback.catch(exception, host);
    throw exception;
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
