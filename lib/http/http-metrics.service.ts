import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { Messages } from '../observability.messages';
import { expressObserver, fastifyObserver, installFirst } from './http-metrics.hooks';
import { HttpMetricsRecorder } from './http-metrics.recorder';
import { PathMatcher } from './path-matcher';

/** The services of each application, for the hand-wired middleware factories. */
const SERVICES = new WeakMap<CustomMetricsService, HttpMetricsService>();

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
 * errors, middleware errors).
 *
 * @internal Users configure it through the `http` options.
 */
@Injectable()
export class HttpMetricsService implements OnModuleDestroy {
  private readonly logger = new Logger('Observability');
  private readonly subscription: Subscription | undefined;
  private recorderInstance: HttpMetricsRecorder | undefined;
  private installedOnAdapter = false;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly metrics: MetricsRegistry,
    private readonly config: ApplicationConfig,
    adapterHost: HttpAdapterHost,
    customMetrics: CustomMetricsService,
  ) {
    SERVICES.set(customMetrics, this);
    if (options.metrics.enabled && options.http.enabled) {
      // `init$` replays: it fires now when the adapter is already known (NestFactory.create),
      // or when the testing module's `createNestApplication()` sets it.
      this.subscription = adapterHost.init$.subscribe(() =>
        this.install(adapterHost.httpAdapter as AdapterLike | undefined),
      );
    }
  }

  /** The service of the application whose `CustomMetricsService` is `customMetrics`. */
  static of(customMetrics: CustomMetricsService): HttpMetricsService | undefined {
    return SERVICES.get(customMetrics);
  }

  /** The recorder, created on first use; `undefined` when metrics are disabled. */
  get recorder(): HttpMetricsRecorder | undefined {
    if (!this.options.metrics.enabled) return undefined;
    this.recorderInstance ??= new HttpMetricsRecorder(this.metrics, this.options.http);
    return this.recorderInstance;
  }

  /** `true` once the metrics are installed on the application's adapter (`http.enabled`). */
  get installed(): boolean {
    return this.installedOnAdapter;
  }

  /** A matcher of the configured `http.ignorePaths`. */
  ignoreMatcher(): PathMatcher {
    const { ignorePaths, defaultIgnorePaths } = this.options.http;
    return new PathMatcher(
      ignorePaths,
      defaultIgnorePaths ? () => this.config.getGlobalPrefix() : undefined,
    );
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private install(adapter: AdapterLike | undefined): void {
    if (this.installedOnAdapter || !adapter) return;
    const type = adapter.getType?.();
    const recorder = this.recorder;
    if (!recorder) return;
    const observe =
      type === 'express'
        ? expressObserver(recorder, this.ignoreMatcher())
        : type === 'fastify'
          ? fastifyObserver(recorder, this.ignoreMatcher())
          : undefined;
    if (!observe || !installFirst(adapter, observe)) {
      this.logger.warn(Messages.httpAdapterUnsupported(String(type)));
      return;
    }
    this.installedOnAdapter = true;
  }
}
