import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { ErrorTrackingService } from './error-tracking.service';

/**
 * Reports errors of route handlers, pipes and inner interceptors on their way to the
 * exception filters, so errors that your own `@UseFilters()` filters answer are reported too.
 * The error is rethrown untouched. Registered only when the resolved options can report errors (a DSN).
 */
@Injectable()
export class ErrorReportingInterceptor implements NestInterceptor {
  constructor(private readonly tracking: ErrorTrackingService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest();
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
