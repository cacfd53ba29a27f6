import {
  BadRequestException,
  Controller,
  HttpException,
  Inject,
  Query,
  RequestMethod,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { AlertsAdminGuard } from '../alerting/alerts-admin.guard';
import { MonitoringCore } from '../core/monitoring-core';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { PrometheusApiError } from './prometheus-api.client';
import { reportsToCsv } from './report-csv';
import { ReportRangeError, type ReportRangeInput } from './report-range';
import type { ReportKind } from './report.types';

/** The query string a report route reads. */
type ReportQuery = ReportRangeInput & { format?: string };

const ROUTES = [
  ['dashboard', 'dashboard'],
  ['businessIntelligence', 'business-intelligence'],
  ['performance', 'performance'],
] as const;

function setHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  };
  if (typeof target.header === 'function') target.header(name, value);
  else target.setHeader?.(name, value);
}

/**
 * Builds the report controller (a fresh class per module instance): `GET {reports.path}/dashboard`,
 * `/business-intelligence` and `/performance`, with `?days=`, `?hours=`, `?since=24h` or
 * `?start=&end=`, and `?format=csv` for CSV. Routes are bound from the
 * resolved options in the constructor, as the alerting admin controller does, and only when
 * `reports.enabled`; the admin guard protects them (token, guard, rate limit; 404 with
 * neither token nor guard).
 *
 * @internal
 */
export function createReportsController(): Type<unknown> {
  @Controller()
  @UseGuards(AlertsAdminGuard)
  class ReportsController {
    constructor(
      private readonly core: MonitoringCore,
      @Inject(OBSERVABILITY_OPTIONS) { reports }: ResolvedObservabilityOptions,
    ) {
      const base = reports.path.replace(/\/+$/, '');
      for (const [handler, path] of ROUTES) {
        const target = ReportsController.prototype[handler];
        // One module definition may boot several applications (tests, a CLI and a server):
        // an earlier boot's routes must not survive into one where reports are disabled.
        if (!reports.enabled) {
          Reflect.deleteMetadata(PATH_METADATA, target);
          Reflect.deleteMetadata(METHOD_METADATA, target);
          continue;
        }
        Reflect.defineMetadata(PATH_METADATA, `${base}/${path}`, target);
        Reflect.defineMetadata(METHOD_METADATA, RequestMethod.GET, target);
      }
    }

    dashboard(@Query() query: ReportQuery, @Res({ passthrough: true }) response: unknown) {
      return this.answer('dashboard', query, response);
    }

    businessIntelligence(
      @Query() query: ReportQuery,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.answer('business-intelligence', query, response);
    }

    performance(@Query() query: ReportQuery, @Res({ passthrough: true }) response: unknown) {
      return this.answer('performance', query, response);
    }

    private async answer(kind: ReportKind, query: ReportQuery, response: unknown) {
      const format = query.format ?? 'json';
      if (format !== 'json' && format !== 'csv') {
        throw new BadRequestException({
          statusCode: 400,
          message: 'Invalid report request',
          errors: { format: 'expected json or csv' },
        });
      }
      try {
        const range: ReportRangeInput = {};
        for (const field of ['since', 'days', 'hours', 'start', 'end'] as const) {
          const value: unknown = query[field];
          if (value === undefined) continue;
          if (typeof value !== 'string') {
            throw new ReportRangeError(field, `"${field}" must be given once.`);
          }
          range[field] = value;
        }
        const report = await this.core.reports.report(kind, range);
        if (format === 'json') return report;
        setHeader(response, 'content-type', 'text/csv; charset=utf-8');
        return reportsToCsv([report]);
      } catch (error) {
        if (error instanceof ReportRangeError) {
          throw new BadRequestException({
            statusCode: 400,
            message: 'Invalid report request',
            errors: { [error.field]: error.message },
          });
        }
        if (error instanceof PrometheusApiError) {
          throw new HttpException({ statusCode: 502, message: error.message }, 502);
        }
        throw error;
      }
    }
  }
  return ReportsController;
}
