/**
 * What a check returns: Terminus's `HealthIndicatorResult` (`{ [key]: { status, ...details } }`),
 * typed structurally so that the options carry no Nest type into code that does not use Nest.
 */
export type HealthCheckResult = Record<
  string,
  { status: 'up' | 'down'; [detail: string]: unknown }
>;

/**
 * A named health check: a user indicator (TypeORM, Prisma, Redis, HTTP ping, custom) run by the
 * health endpoints. It gets whatever it needs by closure, for example from the `inject` list of
 * `ObservabilityModule.forRootAsync()`.
 *
 * `check` returns a Terminus `HealthIndicatorResult` (`{ [key]: { status: 'up' | 'down', ... } }`,
 * as built by `HealthIndicatorService.check(key).up()/down()` or any Terminus indicator). It is
 * reported under `name` whatever key it uses. A check that throws or rejects is `down` with the
 * error's message; a check that has not settled after `timeoutMs` is `down` and does not hold up
 * the others.
 *
 * @example
 * ```ts
 * ObservabilityModule.forRootAsync({
 *   imports: [TerminusModule],
 *   inject: [TypeOrmHealthIndicator],
 *   useFactory: (db: TypeOrmHealthIndicator) => ({
 *     health: { readiness: [{ name: 'database', check: () => db.pingCheck('database') }] },
 *   }),
 * });
 * ```
 */
export interface HealthCheckDefinition {
  /** Key of the check in the response and value of the `check` label. Unique. */
  name: string;
  /** Runs the check. */
  check: () => Promise<HealthCheckResult> | HealthCheckResult;
  /**
   * Milliseconds after which the check counts as `down` ("timed out").
   * @default health.timeoutMs (1000)
   */
  timeoutMs?: number;
  /**
   * For an entry of `health.checks`: also gate `/ready` on it. Entries of `health.readiness` are
   * always critical.
   * @default false
   */
  critical?: boolean;
}

/** Paths of the health endpoints on the application's HTTP server. */
export interface HealthPaths {
  /**
   * Fast basic check, no dependency calls.
   * @default '/health'
   */
  health?: string;
  /**
   * Every registered indicator, Terminus response shape.
   * @default '/health/detailed'
   */
  detailed?: string;
  /**
   * Kubernetes readiness probe: critical checks and "not shutting down".
   * @default '/ready'
   */
  ready?: string;
  /**
   * Kubernetes liveness probe: event loop and heap only.
   * @default '/live'
   */
  live?: string;
}

/** Thresholds of the built-in memory indicators. */
export interface MemoryHealthOptions {
  /**
   * `memory_heap` is down above this many bytes of used V8 heap (also on `/live`).
   * @default 90% of V8's heap size limit
   */
  heapUsedThresholdBytes?: number;
  /**
   * `memory_rss` is down above this resident set size in bytes (`/health/detailed` only).
   * @default 90% of the memory available to the process (cgroup limit, else total memory)
   */
  rssThresholdBytes?: number;
}

/** Threshold of the built-in disk indicator. */
export interface DiskHealthOptions {
  /**
   * Mount point or any path on the disk to watch.
   * @default the root of the working directory ('/' on Linux)
   */
  path?: string;
  /**
   * `disk` is down when the used fraction (0-1) is above this.
   * @default 0.9
   */
  thresholdPercent?: number;
}

/** Threshold of the built-in event-loop indicator. */
export interface EventLoopHealthOptions {
  /**
   * `event_loop` is down when the loop was blocked longer than this (milliseconds) in the last
   * 5-10 seconds (also on `/live`).
   * @default 1000
   */
  maxLagMs?: number;
}

/** Thresholds of the built-in queue indicator (active when a queue metrics service exists). */
export interface QueueHealthOptions {
  /**
   * `queues` is down when a queue has more waiting jobs than this.
   * @default 1000
   */
  maxWaiting?: number;
  /**
   * `queues` is down when a queue's oldest waiting job has waited longer than this (seconds).
   * @default 300
   */
  maxOldestWaitSeconds?: number;
}

/**
 * Health checks served on the application's own HTTP server (`/health`, `/health/detailed`,
 * `/ready`, `/live`) and graceful shutdown.
 */
export interface HealthOptions {
  /**
   * Register the health endpoints. `false` registers none and starts no sampler.
   * @default true
   */
  enabled?: boolean;
  /** Endpoint paths. */
  paths?: HealthPaths;
  /**
   * Default timeout of each check in milliseconds.
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * On SIGTERM (with `app.enableShutdownHooks()`), `/ready` answers 503 at once and the
   * application keeps serving this many milliseconds before it closes, so Kubernetes stops
   * routing traffic to it first.
   * @default 5000 when `environment` is 'production', else 0
   */
  shutdownGracePeriodMs?: number;
  /** Memory thresholds; `false` disables `memory_heap` and `memory_rss`. */
  memory?: MemoryHealthOptions | false;
  /** Disk threshold; `false` disables `disk`. */
  disk?: DiskHealthOptions | false;
  /** Event-loop threshold; `false` disables `event_loop`. */
  eventLoop?: EventLoopHealthOptions | false;
  /** Queue thresholds; `false` disables `queues`. */
  queues?: QueueHealthOptions | false;
  /**
   * User checks shown on `/health/detailed` (and on `/ready` when `critical`).
   * @default []
   */
  checks?: HealthCheckDefinition[];
  /**
   * User checks that gate `/ready` (and are shown on `/health/detailed`).
   * @default []
   */
  readiness?: HealthCheckDefinition[];
  /**
   * A bearer token `/health/detailed` requires (`Authorization: Bearer <token>`; 401 without it).
   * The detailed report names every dependency and runs every check, so keep it off the public
   * internet; `/health`, `/live` and `/ready` stay open for probes and load balancers.
   * @default process.env.HEALTH_DETAILED_TOKEN (unset: open)
   */
  detailedToken?: string;
}

/** A user check after validation. */
export interface ResolvedHealthCheck {
  name: string;
  check: HealthCheckDefinition['check'];
  timeoutMs: number;
  critical: boolean;
}

/** Health options after defaults are applied and validated. */
export interface ResolvedHealthOptions {
  enabled: boolean;
  /** The endpoint paths; the HTTP metrics read them to leave probes out. */
  paths: Required<HealthPaths>;
  timeoutMs: number;
  shutdownGracePeriodMs: number;
  memory: Required<MemoryHealthOptions> | false;
  disk: Required<DiskHealthOptions> | false;
  eventLoop: Required<EventLoopHealthOptions> | false;
  queues: Required<QueueHealthOptions> | false;
  /** Every user check, `health.checks` then `health.readiness`. */
  checks: ResolvedHealthCheck[];
  detailedToken: string | undefined;
}
