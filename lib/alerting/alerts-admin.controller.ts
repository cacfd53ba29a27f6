import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Post,
  Query,
  type Type,
  UseGuards,
} from '@nestjs/common';
import type { Alert } from './alert.types';
import { AlertingService } from './alerting.service';
import { AlertsAdminGuard } from './alerts-admin.guard';
import { isHttpUrl } from './resolve-alerting-options';

function badRequest(errors: Record<string, string>): BadRequestException {
  return new BadRequestException({ statusCode: 400, message: 'Invalid alerting request', errors });
}

const serialize = (alert: Alert) => ({
  ...alert,
  startsAt: alert.startsAt.toISOString(),
  endsAt: alert.endsAt?.toISOString(),
  acknowledgedAt: alert.acknowledgedAt?.toISOString(),
});

/**
 * Builds the admin controller (seed 004) on `path`: `GET {path}?active_only=true`,
 * `POST {path}/test?channel=slack`, `POST {path}/configure`. Registered only when
 * `alerting.admin` protects it.
 *
 * @internal
 */
export function createAlertsAdminController(path: string): Type<unknown> {
  @Controller(path.replace(/^\/+/, ''))
  @UseGuards(AlertsAdminGuard)
  class AlertsAdminController {
    constructor(private readonly alerting: AlertingService) {}

    @Get()
    list(@Query('active_only') activeOnly?: string) {
      if (activeOnly !== undefined && activeOnly !== 'true' && activeOnly !== 'false') {
        throw badRequest({ active_only: 'expected true or false' });
      }
      return {
        alerts: this.alerting.list(activeOnly === 'true').map(serialize),
        channels: this.alerting.describeChannels(),
      };
    }

    @Post('test')
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

    @Post('configure')
    @HttpCode(200)
    configure(@Body() body: unknown) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw badRequest({ body: 'expected a JSON object { channel, enabled?, url? }' });
      }
      const { channel, enabled, url, ...rest } = body as Record<string, unknown>;
      const errors: Record<string, string> = {};
      for (const key of Object.keys(rest))
        errors[key] = 'unknown field; expected channel, enabled or url';
      if (typeof channel !== 'string' || !channel) errors.channel = 'expected a channel name';
      if (enabled === undefined && url === undefined)
        errors.enabled = 'expected "enabled" or "url"';
      if (url !== undefined && !isHttpUrl(url)) errors.url = 'expected an http(s) URL';
      if (enabled !== undefined && typeof enabled !== 'boolean')
        errors.enabled = 'expected a boolean';
      if (Object.keys(errors).length === 0) {
        Object.assign(
          errors,
          this.alerting.configureChannel(channel as string, {
            enabled: enabled as boolean | undefined,
            url: url as string | undefined,
          }),
        );
      }
      if (Object.keys(errors).length > 0) throw badRequest(errors);
      return {
        channel: this.alerting.describeChannels().find((c) => c.name === channel),
      };
    }
  }
  return AlertsAdminController;
}
