import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { RequestContext } from './request-context';

/**
 * Hands the framework request (Fastify's `FastifyRequest`, where auth guards set `user`) to the
 * {@link RequestContext}, so log lines can name the user. A global guard that always passes:
 * unlike a global interceptor it does not route every handler through rxjs.
 */
@Injectable()
export class RequestContextGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      const store = RequestContext.current();
      if (store) store.request = context.switchToHttp().getRequest();
    }
    return true;
  }
}
