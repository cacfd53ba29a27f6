import {
  type CanActivate,
  type ExecutionContext,
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

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Protects the alerting admin API with `alerting.admin.token` (a bearer token, also
 * `ALERT_ADMIN_TOKEN`) and/or `alerting.admin.guard`. With neither, the routes answer 404 as if
 * they did not exist.
 *
 * @internal
 */
@Injectable()
export class AlertsAdminGuard implements CanActivate {
  private userGuard: CanActivate | undefined;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { token, guard } = this.options.alerting.admin;
    if (!token && !guard) throw new NotFoundException();
    if (token) {
      const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
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
