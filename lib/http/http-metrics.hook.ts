import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { MonitoringCore } from '../core/monitoring-core';
import { Messages } from '../observability.messages';
import { expressObserver, fastifyObserver, installFirst } from './http-metrics.hooks';

interface AdapterLike {
  getType?(): string;
  getInstance?(): unknown;
}

/**
 * Installs the HTTP RED metrics on the application's HTTP adapter as soon as Nest hands it
 * over, through the adapter's request hook (`setOnRequestHook`), which both Nest adapters run
 * from the first middleware (Express) or `onRequest` hook (Fastify) they install: before the
 * body parser, CORS, middleware and routing. Installed there, the recorder sees every
 * response, including those an interceptor never sees (guards, pipes, 404s, body-parser
 * errors, middleware errors). Should the adapter stop calling that hook, a public-API
 * fallback takes over (see `prepareRequestHook`).
 *
 * @internal Users configure it through the `http` options.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleDestroy {
  private readonly logger = new Logger('Observability');
  private readonly subscription: Subscription | undefined;

  constructor(
    private readonly core: MonitoringCore,
    config: ApplicationConfig,
    adapterHost: HttpAdapterHost,
  ) {
    core.http.globalPrefix = () => config.getGlobalPrefix();
    const { options } = core;
    if (options.metrics.enabled && options.http.enabled) {
      // `init$` replays: it fires now when the adapter is already known (NestFactory.create),
      // or when the testing module's `createNestApplication()` sets it.
      this.subscription = adapterHost.init$.subscribe(() =>
        this.install(adapterHost.httpAdapter as AdapterLike | undefined),
      );
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private install(adapter: AdapterLike | undefined): void {
    const { http } = this.core;
    if (http.installed || !adapter) return;
    const type = adapter.getType?.();
    const recorder = http.recorder;
    if (!recorder) return;
    const observe =
      type === 'express'
        ? expressObserver(recorder, http.ignoreMatcher())
        : type === 'fastify'
          ? fastifyObserver(recorder, http.ignoreMatcher())
          : undefined;
    if (!observe || !installFirst(adapter, observe, this.logger)) {
      this.logger.warn(Messages.httpAdapterUnsupported(String(type)));
      return;
    }
    http.installed = true;
  }
}
