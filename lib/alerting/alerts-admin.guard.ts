import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  type Type,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { Messages } from '../observability.messages';
import { AdminRateLimiter } from './admin-rate-limiter';
import { systemClock } from './alert-clock';

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The request fields the guard reads, on Express and Fastify alike. */
interface AdminRequest {
  headers?: Record<string, unknown>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Sets a response header on an Express response or a Fastify reply. */
function setHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  };
  if (typeof target.header === 'function') target.header(name, value);
  else target.setHeader?.(name, value);
}

/**
 * Protects the alerting admin API: first a token bucket per client IP
 * (`alerting.admin.rateLimitPerMinute`, before authentication, so a token cannot be guessed
 * quickly; `429` with `Retry-After` past it), then `alerting.admin.token` (a bearer token, also
 * `ALERT_ADMIN_TOKEN`) and/or `alerting.admin.guard`. The routes exist only when one of those
 * two is set; with neither, the guard also answers 404 as if they did not exist.
 *
 * @internal
 */
@Injectable()
export class AlertsAdminGuard implements CanActivate {
  private userGuard: CanActivate | undefined;
  private readonly limiter: AdminRateLimiter;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.limiter = new AdminRateLimiter(
      options.alerting.admin.rateLimitPerMinute,
      options.alerting.clock ?? systemClock,
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { token, guard } = this.options.alerting.admin;
    if (!token && !guard) throw new NotFoundException();
    const http = context.switchToHttp();
    const request = http.getRequest<AdminRequest>();
    const waitMs = this.limiter.take(request.ip ?? request.socket?.remoteAddress ?? 'unknown');
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      setHeader(http.getResponse(), 'Retry-After', String(seconds));
      throw new HttpException(
        { statusCode: 429, message: Messages.alertAdminRateLimited(seconds) },
        429,
      );
    }
    if (token) {
      const header = request.headers?.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
      if (!match || !sameSecret(match[1], token)) throw new UnauthorizedException();
    }
    if (guard) {
      this.userGuard ??= await this.resolveGuard(guard);
      return (await this.userGuard.canActivate(context)) as boolean;
    }
    return true;
  }

  private async resolveGuard(
    guard: NonNullable<ResolvedObservabilityOptions['alerting']['admin']['guard']>,
  ) {
    const type = guard as unknown as Type<CanActivate>;
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}
