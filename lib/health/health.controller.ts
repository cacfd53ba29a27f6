import {
  Controller,
  Inject,
  Req,
  RequestMethod,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { HttpAdapterHost } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import type { ResolvedHealthOptions } from './health-options.interface';
import { type HealthReport, HealthService } from './health.service';

type Handler = 'basic' | 'detailed' | 'ready' | 'live';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether `authorization` carries `Bearer <token>` (the scheme in any case, RFC 9110 §11.1),
 * compared in constant time (both sides hashed, so their lengths never differ).
 */
function bearerMatches(authorization: unknown, token: string): boolean {
  const match =
    typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim()) : null;
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

const ROUTES: ReadonlyArray<[Handler, keyof ResolvedHealthOptions['paths']]> = [
  ['basic', 'health'],
  ['detailed', 'detailed'],
  ['ready', 'ready'],
  ['live', 'live'],
];

/**
 * Creates the controller of the health endpoints: a fresh class for every module instance.
 *
 * Nest reads route paths from class metadata when the application initialises (after every
 * provider is built), so the class gets its paths from the resolved options in its constructor.
 * This works with `forRootAsync()` too, and two applications in one process with different paths
 * each route their own class. With `health.enabled: false` it defines no route at all.
 *
 * Responses are written through the HTTP adapter (Express or Fastify) rather than thrown as a
 * `ServiceUnavailableException`, so a failing probe never reaches exception filters or error
 * tracking as an application error.
 *
 * With `health.detailedToken`, `/health/detailed` answers 401 unless the request carries
 * `Authorization: Bearer <token>`; the other endpoints stay open for probes.
 *
 * @internal
 */
export function createHealthController(): Type<unknown> {
  @Controller({ version: VERSION_NEUTRAL })
  class HealthController {
    private readonly detailedToken: string | undefined;

    constructor(
      @Inject(HealthService) private readonly health: HealthService,
      @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
      @Inject(OBSERVABILITY_OPTIONS) { health: options }: ResolvedObservabilityOptions,
    ) {
      this.detailedToken = options.detailedToken;
      if (!options.enabled) return;
      for (const [handler, path] of ROUTES) {
        const target = HealthController.prototype[handler];
        Reflect.defineMetadata(PATH_METADATA, options.paths[path], target);
        Reflect.defineMetadata(METHOD_METADATA, RequestMethod.GET, target);
      }
    }

    basic(@Res() res: unknown): void {
      this.send(res, 200, this.health.basic());
    }

    async detailed(
      @Req() req: { headers?: Record<string, unknown> },
      @Res() res: unknown,
    ): Promise<void> {
      const token = this.detailedToken;
      if (token !== undefined && !bearerMatches(req.headers?.authorization, token)) {
        this.adapterHost.httpAdapter.setHeader(res, 'WWW-Authenticate', 'Bearer');
        this.send(res, 401, { statusCode: 401, message: 'Unauthorized' });
        return;
      }
      this.report(res, await this.health.detailed());
    }

    async ready(@Res() res: unknown): Promise<void> {
      this.report(res, await this.health.readiness());
    }

    async live(@Res() res: unknown): Promise<void> {
      this.report(res, await this.health.liveness());
    }

    private report(res: unknown, report: HealthReport): void {
      this.send(res, report.httpStatus, report.body);
    }

    private send(res: unknown, status: number, body: unknown): void {
      const adapter = this.adapterHost.httpAdapter;
      adapter.setHeader(res, 'Cache-Control', 'no-store');
      adapter.reply(res, body, status);
    }
  }
  return HealthController;
}
