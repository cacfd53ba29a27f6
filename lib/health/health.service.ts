import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  DiskHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorResult,
  HealthIndicatorService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import { performance } from 'node:perf_hooks';
import type { Gauge, Histogram } from 'prom-client';
import { MetricCatalog } from '../metrics/metric-catalog';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { OBSERVABILITY_OPTIONS } from '../observability.constants';
import { Messages } from '../observability.messages';
import { MonitoringCore } from '../core/monitoring-core';
import { type HealthCheckDetail, type RunnableCheck, runHealthCheck } from './health-check-runner';
import { SHUTDOWN_CHECK } from './health.constants';
import { AlertChannelsHealthIndicator } from './indicators/alert-channels.health';
import { EventLoopHealthIndicator } from './indicators/event-loop.health';
import { MetricsRegistryHealthIndicator } from './indicators/metrics-registry.health';
import { QueueBacklogHealthIndicator } from './indicators/queue-backlog.health';

/** Body of `GET /health`. */
export interface BasicHealthBody {
  status: 'ok';
  service: string;
  version: string | undefined;
  uptimeSeconds: number;
}

/** A health report in the Terminus response shape, with the HTTP status it is served with. */
export interface HealthReport {
  httpStatus: 200 | 503;
  body: Required<HealthCheckResult>;
}

interface ScopedCheck extends RunnableCheck {
  readonly liveness: boolean;
  readonly readiness: boolean;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * A timed-out check is reported down but cannot be cancelled. So that a dependency that never
 * answers does not pile up one pending call per probe, a call made while the previous one is
 * still pending joins it (each caller still has its own timeout).
 */
function singleFlight<T>(run: () => Promise<T> | T): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const current = (async () => run())().finally(() => {
        if (pending === current) pending = undefined;
      });
      pending = current;
    }
    return pending;
  };
}

/**
 * Runs the health checks behind `/health`, `/health/detailed`, `/ready` and `/live`, records
 * `health_check_status` and `health_check_duration_seconds`, and holds the shutdown state.
 *
 * Checks run concurrently; each has its own timeout, so one hanging dependency fails that check
 * only. On shutdown, readiness turns `shutting_down` at once; on SIGTERM (with
 * `app.enableShutdownHooks()`) the close is delayed by `health.shutdownGracePeriodMs`, while the
 * application keeps serving.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Drain {
 *   constructor(private readonly health: HealthService) {}
 *   accepting(): boolean {
 *     return !this.health.isShuttingDown;
 *   }
 * }
 * ```
 */
@Injectable()
export class HealthService
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Observability');
  private readonly startedAt = performance.now();
  private readonly statusGauge: Gauge<string>;
  private readonly durationHistogram: Histogram<string>;
  private readonly lastStatus = new Map<string, HealthCheckDetail['status']>();
  private eventLoop: EventLoopHealthIndicator | undefined;
  private checks: ScopedCheck[] = [];
  private shuttingDown = false;
  /**
   * Concurrent calls share one evaluation: a flood of `/health/detailed` or `/ready` runs (and
   * records) each check once, not once per caller.
   */
  private readonly detailedFlight = singleFlight(() => this.run(this.checks));
  private readonly readinessFlight = singleFlight(() =>
    this.run(this.checks.filter((check) => check.readiness)),
  );

  /** @internal */
  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly registry: MetricsRegistry,
    private readonly indicators: HealthIndicatorService,
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly core: MonitoringCore,
  ) {
    this.statusGauge = registry.fromCatalog(MetricCatalog.healthCheckStatus);
    this.durationHistogram = registry.fromCatalog(MetricCatalog.healthCheckDuration);
  }

  /** `true` from the moment the application starts closing. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Names of the registered checks, as they appear on `/health/detailed`. */
  get checkNames(): string[] {
    return this.checks.map((check) => check.name);
  }

  onModuleInit(): void {
    const { health } = this.options;
    if (!health.enabled) return;
    const timeoutMs = health.timeoutMs;
    const add = (
      name: string,
      run: () => Promise<HealthIndicatorResult> | HealthIndicatorResult,
      scope: { liveness?: boolean; readiness?: boolean; timeoutMs?: number } = {},
    ): void => {
      this.checks.push({
        name,
        run: singleFlight(run),
        timeoutMs: scope.timeoutMs ?? timeoutMs,
        liveness: scope.liveness ?? false,
        readiness: scope.readiness ?? false,
      });
    };

    if (health.eventLoop) {
      const eventLoop = new EventLoopHealthIndicator(this.indicators, health.eventLoop);
      eventLoop.start();
      this.eventLoop = eventLoop;
      add('event_loop', () => eventLoop.check('event_loop'), { liveness: true });
    }
    if (health.memory) {
      const { heapUsedThresholdBytes, rssThresholdBytes } = health.memory;
      add('memory_heap', () => this.memory.checkHeap('memory_heap', heapUsedThresholdBytes), {
        liveness: true,
      });
      add('memory_rss', () => this.memory.checkRSS('memory_rss', rssThresholdBytes));
    }
    if (health.disk) {
      const { path, thresholdPercent } = health.disk;
      add('disk', () => this.disk.checkStorage('disk', { path, thresholdPercent }));
    }
    if (this.options.metrics.enabled) {
      const metrics = new MetricsRegistryHealthIndicator(this.indicators, this.registry);
      add('metrics_registry', () => metrics.check('metrics_registry'));
    }
    if (health.queues) {
      const queues = new QueueBacklogHealthIndicator(
        this.indicators,
        this.core.queues,
        health.queues,
      );
      add('queues', () => queues.check('queues'));
    }
    const alerting = new AlertChannelsHealthIndicator(this.indicators, this.core.alerting);
    add('alerting', () => alerting.check('alerting'));
    for (const check of health.checks) {
      add(check.name, check.check, { readiness: check.critical, timeoutMs: check.timeoutMs });
    }
  }

  /** `GET /health`: answers from memory, calls no dependency. */
  basic(): BasicHealthBody {
    return {
      status: 'ok',
      service: this.options.service,
      version: this.options.version,
      uptimeSeconds: Math.floor((performance.now() - this.startedAt) / 1000),
    };
  }

  /** `GET /live`: the process only (event loop, heap); never a dependency. */
  liveness(): Promise<HealthReport> {
    return this.run(this.checks.filter((check) => check.liveness));
  }

  /** `GET /ready`: critical checks, and 503 `shutting_down` as soon as shutdown begins. */
  async readiness(): Promise<HealthReport> {
    if (this.shuttingDown) return this.shuttingDownReport();
    const report = await this.readinessFlight();
    return this.shuttingDown ? this.shuttingDownReport() : report;
  }

  /** `GET /health/detailed`: every registered check; concurrent calls share one evaluation. */
  detailed(): Promise<HealthReport> {
    return this.detailedFlight();
  }

  /** Readiness fails from the first shutdown hook, before any other module closes. */
  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    const graceMs = this.options.health.shutdownGracePeriodMs;
    if (signal !== 'SIGTERM' || graceMs <= 0 || !this.options.health.enabled) return;
    this.logger.log(Messages.healthShutdownGrace(signal, graceMs));
    await sleep(graceMs);
  }

  onApplicationShutdown(): void {
    this.eventLoop?.stop();
  }

  private shuttingDownReport(): HealthReport {
    const down = {
      [SHUTDOWN_CHECK]: { status: 'down' as const, message: Messages.healthShuttingDown() },
    };
    return {
      httpStatus: 503,
      body: { status: 'shutting_down', info: {}, error: down, details: down },
    };
  }

  private async run(checks: ScopedCheck[]): Promise<HealthReport> {
    const results = await Promise.all(
      checks.map(async (check) => [check.name, await this.runAndRecord(check)] as const),
    );
    const info: HealthIndicatorResult = {};
    const error: HealthIndicatorResult = {};
    const details: HealthIndicatorResult = {};
    for (const [name, detail] of results) {
      (detail.status === 'up' ? info : error)[name] = detail;
      details[name] = detail;
    }
    const ok = Object.keys(error).length === 0;
    return {
      httpStatus: ok ? 200 : 503,
      body: { status: ok ? 'ok' : 'error', info, error, details },
    };
  }

  private async runAndRecord(check: ScopedCheck): Promise<HealthCheckDetail> {
    const started = performance.now();
    const detail = await runHealthCheck(check);
    const seconds = (performance.now() - started) / 1000;
    const labels = { check: check.name };
    this.statusGauge.set(labels, detail.status === 'up' ? 1 : 0);
    this.durationHistogram.observe(labels, seconds);
    const previous = this.lastStatus.get(check.name);
    this.lastStatus.set(check.name, detail.status);
    if (detail.status === 'down' && previous !== 'down') {
      const message = typeof detail.message === 'string' ? detail.message : JSON.stringify(detail);
      this.logger.warn(Messages.healthCheckDown(check.name, message));
    } else if (detail.status === 'up' && previous === 'down') {
      this.logger.log(Messages.healthCheckRecovered(check.name));
    }
    return detail;
  }
}
