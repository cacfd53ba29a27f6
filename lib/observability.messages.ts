/**
 * Every user-facing error and warning of the library, in one place.
 * Each is a full sentence that names the option, decorator or metric and says what to do.
 */
export const Messages = {
  invalidOptions: (problems: string[]): string =>
    `Invalid nestjs-observability options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    'Fix the options passed to ObservabilityModule.forRoot()/forRootAsync() or createMonitoring(), or the environment variables named above.',
  asyncOptionsWithoutFactory: (): string =>
    'ObservabilityModule.forRootAsync() needs one of "useFactory", "useClass" or "useExisting" to build the options.',
  metricShapeMismatch: (name: string, existing: string, requested: string): string =>
    `Metric "${name}" is already registered as ${existing}; it was requested again as ${requested}. ` +
    'Use another name or the same type and label names.',
  metricFamilyClash: (
    name: string,
    kind: string,
    other: string,
    otherKind: string,
    family: string,
  ): string =>
    `Metric "${name}" (${kind}) would share the OpenMetrics family "${family}" with metric "${other}" (${otherKind}): ` +
    'a counter\'s family drops its "_total" suffix. Rename one of them.',
  metricNameInvalid: (name: string): string =>
    `Metric name "${name}" is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*.`,
  metricNameTaken: (name: string): string =>
    `Metric "${name}" from @willsoto/nestjs-prometheus has the name of a metric nestjs-observability already registered; rename one of them.`,
  metricsPortInUse: (host: string, port: number): string =>
    `The metrics server cannot listen on ${host}:${port} because the port is already in use. ` +
    'Set "metrics.port" (or METRICS_PORT) to a free port, or "metrics.enabled: false" to run without it.',
  metricsServerFailed: (host: string, port: number, reason: string): string =>
    `The metrics server cannot listen on ${host}:${port}: ${reason}.`,
  metricsServerListening: (url: string): string => `Metrics served on ${url}`,
  droppedEvent: (reason: string, detail: string): string =>
    `Dropped a metrics event (reason "${reason}"): ${detail}. Further drops for this reason are only counted in observability_dropped_events_total.`,
  labelOverflow: (metric: string, max: number): string =>
    `Metric "${metric}" reached ${max} label combinations ("metrics.maxSeriesPerMetric"); new combinations are folded into the "__overflow__" series. ` +
    'Remove unbounded values (ids, raw paths) from its labels.',
  slowRequest: (method: string, route: string, seconds: number, threshold: number): string =>
    `Slow request: ${method} ${route} took ${seconds}s (http.slowRequestThreshold ${threshold}s)`,
  slowRequestAlert: (method: string, route: string, seconds: number, threshold: number): string =>
    `${method} ${route} took ${seconds}s, above http.slowRequestThreshold ${threshold}s`,
  paymentFailure: (paymentId: string, paymentMethod: string, errorType: string): string =>
    `Payment ${paymentId} failed (method "${paymentMethod}", error "${errorType}")`,
  healthCheckTimedOut: (name: string, timeoutMs: number): string =>
    `Health check "${name}" timed out after ${timeoutMs} ms.`,
  healthCheckNoResult: (name: string): string =>
    `Health check "${name}" returned no HealthIndicatorResult; return { [key]: { status: 'up' | 'down' } }, e.g. from HealthIndicatorService.check(key).up().`,
  healthCheckDown: (name: string, detail: string): string =>
    `Health check "${name}" is down: ${detail}`,
  healthCheckRecovered: (name: string): string => `Health check "${name}" is up again.`,
  healthShuttingDown: (): string => 'The application is shutting down.',
  healthShutdownGrace: (signal: string, graceMs: number): string =>
    `Received ${signal}: /ready now answers 503; the application keeps serving for ${graceMs} ms (health.shutdownGracePeriodMs) before it closes.`,
  eventLoopLagged: (lagMs: number, maxLagMs: number): string =>
    `The event loop was blocked for ${lagMs} ms, more than health.eventLoop.maxLagMs (${maxLagMs} ms).`,
  metricsScrapeTimedOut: (timeoutMs: number): string =>
    `Collecting the metrics registry took longer than ${timeoutMs} ms.`,
  queueBacklogTooHigh: (queue: string, waiting: number, maxWaiting: number): string =>
    `Queue "${queue}" has ${waiting} waiting jobs, more than health.queues.maxWaiting (${maxWaiting}).`,
  queueWaitTooLong: (queue: string, seconds: number, maxSeconds: number): string =>
    `The oldest job of queue "${queue}" has waited ${seconds} s, more than health.queues.maxOldestWaitSeconds (${maxSeconds} s).`,
  alertChannelUnhealthy: (channel: string, reason: string | undefined): string =>
    `Alert channel "${channel}" is unhealthy${reason ? `: ${reason}` : ''}.`,
  decoratorOnNonMethod: (decorator: string, key: string): string =>
    `@${decorator}() can only decorate a method; "${key}" is not one.`,
  trackJobWithoutQueueName: (got: string): string =>
    `@TrackJob() needs the queue name as its first argument (a non-empty string), got ${got}.`,
  notABullQueue: (got: string): string =>
    `QueueMetricsService.watchBullQueue() expects a BullMQ Queue, got ${got}.`,
  queueReadFailed: (queue: string, reason: string): string =>
    `Cannot read queue "${queue}" from Redis: ${reason}. Its backlog series are left out of scrapes until Redis answers again; ` +
    'each failure is counted in queue_metrics_errors_total. Check the Redis connection of "queues.bullmq".',
  queueReadRecovered: (queue: string): string =>
    `Queue "${queue}" is readable again; its backlog series are back in the scrapes.`,
  queueAlertFailed: (queue: string, reason: string): string =>
    `Raising the failure alert of queue "${queue}" failed: ${reason}. The job's error was still rethrown and counted.`,
  optionalPeerMissing: (pkg: string, feature: string): string =>
    `"${feature}" needs the optional package "${pkg}": install it with \`npm install ${pkg}\`.`,
  invalidAlert: (detail: string): string =>
    `Dropped an alert: ${detail}. AlertingService.send() needs { name, severity: 'info' | 'warning' | 'critical', summary }; further invalid alerts are only counted in alerts_dropped_total{reason="invalid"}.`,
  slackOverridesIgnored: (options: readonly string[]): string =>
    `${options.map((o) => `"alerting.channels.slack.${o}"`).join(' and ')} ${options.length > 1 ? 'are' : 'is'} ignored by Slack app webhooks: a webhook always posts to the channel, and under the name, chosen when it was created. Only legacy custom-integration webhooks honour ${options.length > 1 ? 'them' : 'it'}; create a webhook for each channel instead and remove ${options.length > 1 ? 'these options' : 'this option'}.`,
  alertDeliveryFailed: (channel: string, reason: string): string =>
    `Alert delivery to channel "${channel}" failed: ${reason}. It is counted in alerts_sent_total{status="failed"}.`,
  alertDeliveryRetry: (channel: string, attempt: number, delayMs: number, reason: string): string =>
    `Alert delivery to channel "${channel}" failed (${reason}); retry ${attempt} in ${delayMs} ms.`,
  alertCircuitOpen: (channel: string, failures: number, cooldownMs: number): string =>
    `Alert channel "${channel}" failed ${failures} times in a row; its circuit is open for ${cooldownMs} ms ("alerting.delivery.breakerCooldownMs").`,
  alertQueueFull: (channel: string, max: number): string =>
    `The alert queue of channel "${channel}" is full (${max}, "alerting.queue.maxSize"); the oldest delivery was dropped. Further drops are only counted in alerts_dropped_total{reason="queue_full"}.`,
  alertShutdownDropped: (count: number, timeoutMs: number): string =>
    `${count} alert deliveries were still pending after ${timeoutMs} ms ("alerting.delivery.shutdownTimeoutMs") at shutdown and were dropped.`,
  alertTooManyActive: (max: number): string =>
    `All ${max} active alerts ("alerting.maxActiveAlerts") are critical; a new non-critical alert does not displace them and was dropped. Further drops are only counted in alerts_dropped_total{reason="too_many_active"}.`,
  alertEvicted: (max: number): string =>
    `${max} alerts are active ("alerting.maxActiveAlerts"); the least recently raised ones are forgotten to make room for new ones. Resolve alerts with resolve() or raise the limit; evictions are counted in alerts_expired_total{reason="evicted"}.`,
  alertLostAfterShutdown: (name: string): string =>
    `Alert "${name}" was raised after alerting shut down and is lost. It is counted in alerts_dropped_total{reason="shutdown"}; further ones are only counted.`,
  alertChannelRetryAfter: (retryAfterMs: number, waitMs: number): string =>
    `the receiver asked to wait ${retryAfterMs} ms (429 Retry-After); retrying in ${waitMs} ms`,
  invalidCostSpike: (detail: string): string =>
    `Dropped a cost spike alert: ${detail}. alertCostSpike(currentCost, baselineCost) needs two finite numbers >= 0; further invalid alerts are only counted in alerts_dropped_total{reason="invalid"}.`,
  alertAdminRateLimited: (seconds: number): string =>
    `Too many alerting admin requests from this client; retry in ${seconds} s.`,
  alertAdminUnknownAlert: (fingerprint: string): string =>
    `No active alert has the fingerprint "${fingerprint}".`,
  invalidArtifactsOptions: (problems: string[]): string =>
    `Invalid monitoring artifacts options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    'Fix the options of generateMonitoringArtifacts() or the flags of `nestjs-observability generate`.',
  unknownMetric: (name: string): string =>
    `metrics.${name}: unknown metric "${name}"; name a built-in metric without the prefix, as listed in the metrics reference (docs/metrics.md)`,
  cliUsage: (): string =>
    [
      'Usage: nestjs-observability generate --out <dir> [--prefix <prefix>] [--service <service>]',
      '         [--runbook-url <url>] [--config <options.json>]',
      '',
      'Writes Prometheus alert and recording rules, a prometheus.yml scrape example and Grafana',
      'dashboards generated from the metric catalog into <dir>. --config reads a JSON file with',
      'any option of generateMonitoringArtifacts() (alerts, metrics, scrapeTargets...); flags win.',
      '',
      '       nestjs-observability report --prometheus <url> [--since 24h] [--format json|csv]',
      '',
      'Prints the overview, business and performance reports from Prometheus (report --help).',
    ].join('\n'),
  cliUnknownCommand: (command: string): string =>
    `Unknown command "${command}"; expected "generate" or "report".`,
  cliUnknownFlag: (flag: string): string =>
    `Unknown flag "${flag}"; expected --out, --prefix, --service, --runbook-url, --config or --help.`,
  cliMissingValue: (flag: string): string => `The flag "${flag}" needs a value.`,
  cliMissingOut: (): string => 'The flag "--out" is required: the folder to write the files into.',
  cliBadConfig: (file: string, reason: string): string =>
    `Cannot read the options file "${file}": ${reason}. It must hold one JSON object of generateMonitoringArtifacts() options.`,
  cliWrote: (count: number, out: string): string => `Wrote ${count} files into ${out}:`,
  sentryNotInstalled: (sdks: readonly string[]): string =>
    `Error tracking is enabled ("errors.dsn" or SENTRY_DSN is set) but no Sentry SDK is installed (${sdks.map((sdk) => `"${sdk}"`).join(' or ')}). ` +
    (sdks[0] === '@sentry/nestjs'
      ? 'Run "npm install @sentry/nestjs" on Nest 11, or "npm install @sentry/node" on Nest 12 (@sentry/nestjs does not support it yet)'
      : `Run "npm install ${sdks[0]}"`) +
    ', or unset SENTRY_DSN / set "errors.enabled: false" (SENTRY_ENABLED=false).',
  sentryInitialisedLate: (): string =>
    'Sentry was initialised by ObservabilityModule, after the application was imported, so its automatic ' +
    'HTTP and database instrumentation is off (errors are still reported). Import "nestjs-observability/instrument" ' +
    '(or call initSentry() from "nestjs-observability/sentry") first in main.ts.',
  prettyNotInstalled: (): string =>
    '"logging.pretty" is true but "pino-pretty" is not installed. Run "npm install --save-dev pino-pretty", or set "logging.pretty: false".',
  handledError: (context: string | undefined, errorType: string): string =>
    context ? `Error in ${context}` : `Handled error ${errorType}`,
  unhandledRequestError: (method: string, route: string): string =>
    `Unhandled error on ${method} ${route}`,
  criticalErrorSummary: (errorType: string, service: string): string =>
    `Critical error ${errorType} in ${service}`,
  alertingFailed: (reason: string): string =>
    `Sending a critical error to the alerting service failed: ${reason}.`,
  errorTrackingFailed: (reason: string): string =>
    `Reporting an error failed (the error itself is unaffected): ${reason}.`,
  httpMiddlewareWithoutModule: (factory: string): string =>
    `${factory}() needs "monitoring": a Monitoring from createMonitoring(), or a Nest application (or its CustomMetricsService) that imports ObservabilityModule.`,
  adapterRequestHookFallback: (type: string): string =>
    `Nest's ${type} adapter did not call its request hook ("onRequestHook", a private field of the adapter), ` +
    'so HTTP metrics, the request id, the request context and the request log now run from ' +
    (type === 'express'
      ? "a middleware added with app.use() right after the adapter's own, with the same results. "
      : 'an "onRequest" hook added after the adapter\'s own, which misses the requests those answer (CORS preflights, unroutable targets). ') +
    `Use a @nestjs/platform-${type} version nestjs-observability supports, or update nestjs-observability.`,
  promClientFastPathOff: (version: string, reasons: readonly string[]): string =>
    `prom-client ${version} does not keep its series the way nestjs-observability's fast path updates them (${reasons.join('; ')}), ` +
    "so the fast path is off: HTTP, method and queue metrics go through prom-client's public API, with the same values for more CPU per event. " +
    'Use a prom-client version nestjs-observability supports, or update nestjs-observability.',
  httpAdapterUnsupported: (type: string): string =>
    `HTTP metrics support the Express and Fastify adapters; this application uses "${type}", so no HTTP metrics are recorded. ` +
    'Set "http.enabled: false" to silence this warning.',
  pushgatewayNotConfigured: (): string =>
    'No Pushgateway is configured: set "pushgateway.url" (or PUSHGATEWAY_URL) to push metrics.',
  invalidPushgatewayOptions: (problems: string[]): string =>
    `Invalid Pushgateway options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    'Fix the options passed to PushgatewayClient or the environment variables named above.',
  pushgatewayFailed: (action: string, gateway: string, group: string, reason: string): string =>
    `${action} the metrics of ${group} on the Pushgateway at ${gateway} failed: ${reason}. ` +
    'Check "pushgateway.url" (or PUSHGATEWAY_URL), its credentials, and that the Pushgateway is up.',
  invalidClusterOptions: (problems: string[]): string =>
    `Invalid ClusterMetricsAggregator options:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
    'Fix the options passed to new ClusterMetricsAggregator() or to its start().',
  clusterAggregatorInWorker: (): string =>
    'ClusterMetricsAggregator runs in the primary process of a Node.js cluster, and this process is a worker. ' +
    'Create it in the primary (cluster.isPrimary) and call exposeToPrimary(registry) in the workers.',
  clusterActiveUsersNotFunction: (): string =>
    'exposeToPrimary(): "activeUsers" must be a function returning the tracker\'s snapshot, e.g. () => tracker.snapshot().',
  activeUsersSnapshotInvalid: (precision: number, registers: number): string =>
    `An active-users sketch must be an ActiveUsersTracker snapshot (precision ${precision}, ${registers} base64-encoded registers). ` +
    'Run the same nestjs-observability version in every process whose sketches are merged.',
  clusterWorkerLeftOut: (
    workerId: number,
    pid: number | undefined,
    reason: string,
    detail: string,
  ): string =>
    `Cluster worker ${workerId} (pid ${pid ?? 'unknown'}) was left out of a metrics scrape (reason "${reason}"): ${detail}. ` +
    'The scrape served the other workers; further failures of this worker for this reason are only counted in observability_cluster_scrape_errors_total.',
  clusterSeriesFolded: (metric: string, max: number): string =>
    `Metric "${metric}" has more than ${max} label combinations across the cluster's workers ("maxSeriesPerMetric"); the rest are folded into the "__overflow__" series. ` +
    'Remove unbounded values (ids, raw paths) from its labels.',
  clusterServerPortInUse: (host: string, port: number): string =>
    `The cluster metrics server cannot listen on ${host}:${port} because the port is already in use. ` +
    'Pass a free "port" to ClusterMetricsAggregator.start(), and keep the workers\' own metrics servers off that port (a worker\'s listen() goes through the primary).',
  clusterServerFailed: (host: string, port: number, reason: string): string =>
    `The cluster metrics server cannot listen on ${host}:${port}: ${reason}.`,
  clusterScrapeFailed: (reason: string): string =>
    `Aggregating the cluster's metrics failed, so the scrape answered 500: ${reason}.`,
} as const;
