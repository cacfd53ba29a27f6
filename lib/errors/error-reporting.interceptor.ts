import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { RequestContext } from '../logging/request-context';
import { ErrorTrackingService } from './error-tracking.service';

/**
 * Reports errors of route handlers, pipes and inner interceptors on their way to the
 * exception filters, so errors that your own `@UseFilters()` filters answer are reported too.
 * The error is rethrown untouched. Also hands the framework request (with `request.user`
 * set by guards) to the {@link RequestContext}.
 */
@Injectable()
export class ErrorReportingInterceptor implements NestInterceptor {
  constructor(private readonly tracking: ErrorTrackingService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest();
    const store = RequestContext.current();
    if (store) store.request = request;
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (typeof error === 'object' && error !== null) {
          this.tracking.captureRequestException(error, request);
        }
        return throwError(() => error);
      }),
    );
  }
}
