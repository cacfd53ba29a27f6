import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpException,
  Inject,
  Param,
  Query,
  RequestMethod,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { Messages } from '../observability.messages';
import { HISTORY_SIZE } from './active-alerts';
import type { Alert } from './alert.types';
import { AlertingService } from './alerting.service';
import { AlertsAdminGuard } from './alerts-admin.guard';
import { readConfigureBody } from './channel-admin';

function badRequest(errors: Record<string, string>): BadRequestException {
  return new BadRequestException({ statusCode: 400, message: 'Invalid alerting request', errors });
}

function unknownAlert(fingerprint: string): HttpException {
  return new HttpException(
    { statusCode: 404, message: Messages.alertAdminUnknownAlert(fingerprint) },
    404,
  );
}

const serialize = (alert: Alert) => ({
  ...alert,
  startsAt: alert.startsAt.toISOString(),
  endsAt: alert.endsAt?.toISOString(),
  acknowledgedAt: alert.acknowledgedAt?.toISOString(),
});

/** Longest `by` of an acknowledgement: a name, not a document. */
const MAX_ACKNOWLEDGER = 200;

/** Who acknowledges, from the optional body `{ by? }`. */
function acknowledger(body: unknown): string {
  if (body === undefined || body === null || body === '') return 'admin-api';
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest({ body: 'expected a JSON object { by? }' });
  }
  const { by, ...rest } = body as Record<string, unknown>;
  const errors: Record<string, string> = {};
  for (const key of Object.keys(rest)) errors[key] = 'unknown field; expected by';
  if (by !== undefined && (typeof by !== 'string' || !by.trim() || by.length > MAX_ACKNOWLEDGER)) {
    errors.by = `expected a non-empty string of at most ${MAX_ACKNOWLEDGER} characters`;
  }
  if (Object.keys(errors).length > 0) throw badRequest(errors);
  return typeof by === 'string' ? by.trim() : 'admin-api';
}

/** Each handler, its HTTP method and its path under `alerting.admin.path`. */
const ROUTES = [
  ['list', RequestMethod.GET, ''],
  ['history', RequestMethod.GET, '/history'],
  ['test', RequestMethod.POST, '/test'],
  ['configure', RequestMethod.POST, '/configure'],
  ['acknowledge', RequestMethod.POST, '/:fingerprint/acknowledge'],
  ['resolve', RequestMethod.POST, '/:fingerprint/resolve'],
] as const;

/**
 * Builds the admin controller: a fresh class for every module instance. Its routes live under
 * `alerting.admin.path` (default `/alerts`): `GET {path}?active_only=true`,
 * `GET {path}/history?limit=`, `POST {path}/test?channel=slack`, `POST {path}/configure`,
 * `POST {path}/:fingerprint/acknowledge` and `POST {path}/:fingerprint/resolve`.
 *
 * Like the health controller, it takes its route paths from the resolved options in its
 * constructor: Nest builds every provider and controller (awaiting `forRootAsync()` factories)
 * before it binds routes from the class metadata. So `forRoot()` and `forRootAsync()` give the
 * same routes on the same path, on Express and Fastify alike, and with neither `token` nor
 * `guard` the class defines no route at all (a route of the application on the same path is
 * left alone).
 *
 * @internal
 */
export function createAlertsAdminController(): Type<unknown> {
  @Controller()
  @UseGuards(AlertsAdminGuard)
  class AlertsAdminController {
    constructor(
      private readonly alerting: AlertingService,
      @Inject(OBSERVABILITY_OPTIONS) { alerting: { admin } }: ResolvedObservabilityOptions,
    ) {
      if (!admin.token && !admin.guard) return;
      const base = admin.path.replace(/\/+$/, '');
      for (const [handler, method, path] of ROUTES) {
        const target = AlertsAdminController.prototype[handler];
        Reflect.defineMetadata(PATH_METADATA, `${base}${path}` || '/', target);
        Reflect.defineMetadata(METHOD_METADATA, method, target);
      }
    }

    list(@Query('active_only') activeOnly?: string) {
      if (activeOnly !== undefined && activeOnly !== 'true' && activeOnly !== 'false') {
        throw badRequest({ active_only: 'expected true or false' });
      }
      return {
        alerts: this.alerting.list(activeOnly === 'true').map(serialize),
        channels: this.alerting.describeChannels(),
      };
    }

    history(@Query('limit') limit?: string) {
      const count = limit === undefined ? HISTORY_SIZE : Number(limit);
      if (limit !== undefined && (!/^\d+$/.test(limit) || count < 1 || count > HISTORY_SIZE)) {
        throw badRequest({ limit: `expected an integer 1-${HISTORY_SIZE}` });
      }
      return { alerts: this.alerting.history(count).map(serialize) };
    }

    @HttpCode(200)
    async test(@Query('channel') channel?: string) {
      const names = this.alerting.channelNames();
      if (typeof channel !== 'string' || !names.includes(channel)) {
        throw badRequest({ channel: `expected one of ${names.join(', ')}` });
      }
      try {
        await this.alerting.testChannel(channel);
        return { channel, delivered: true };
      } catch (error) {
        throw new HttpException(
          { channel, delivered: false, error: (error as Error)?.message ?? String(error) },
          502,
        );
      }
    }

    @HttpCode(200)
    configure(@Body() body: unknown) {
      const request = readConfigureBody(body);
      const errors =
        'errors' in request
          ? request.errors
          : this.alerting.configureChannel(request.channel, request.patch);
      if (Object.keys(errors).length > 0) throw badRequest(errors);
      const { channel } = request as { channel: string };
      return { channel: this.alerting.describeChannels().find((c) => c.name === channel) };
    }

    @HttpCode(200)
    acknowledge(@Param('fingerprint') fingerprint: string, @Body() body: unknown) {
      const by = acknowledger(body);
      if (!this.alerting.acknowledge(fingerprint, by)) throw unknownAlert(fingerprint);
      const alert = this.alerting.getActive().find((a) => a.fingerprint === fingerprint);
      if (!alert) throw unknownAlert(fingerprint);
      return { alert: serialize(alert) };
    }

    @HttpCode(200)
    resolve(@Param('fingerprint') fingerprint: string) {
      if (!this.alerting.resolve(fingerprint)) throw unknownAlert(fingerprint);
      return { alert: serialize(this.alerting.history(1)[0]) };
    }
  }
  return AlertsAdminController;
}
