import type {
  ObservabilityModuleOptions,
  ResolvedObservabilityOptions,
} from '../observability-options.interface';
import { Messages } from '../observability.messages';
import { resolveAlertingOptions } from '../alerting/resolve-alerting-options';
import { resolveContextsOptions } from '../contexts/resolve-contexts-options';
import { resolveErrorsOptions } from '../errors/resolve-errors-options';
import { resolveHealthOptions } from '../health/resolve-health-options';
import { resolveHttpOptions } from '../http/resolve-http-options';
import { resolveLoggingOptions, resolveRedact } from '../logging/resolve-logging-options';
import { resolvePushgatewayOptions } from '../metrics/pushgateway';
import { resolveKpiOptions, resolveMetricsOptions } from '../metrics/resolve-metrics-options';
import { resolveQueueOptions } from '../queue/resolve-queue-options';
import { resolveReportsOptions } from '../reports/resolve-reports-options';
import { resolveDatabaseOptions } from '../database/resolve-database-options';
import { resolveCacheOptions } from '../cache/resolve-cache-options';
import { dependencyHealthChecks } from '../database/dependency-health-checks';
import { resolveTracingOptions } from '../tracing/resolve-tracing-options';
import { EnvReader, isPlainObject, OptionReader, optionKeys, type Env } from './option-reader';
import { Problems } from './problems';
import { resolveIdentity } from './resolve-identity';

const ROOT_KEYS = optionKeys({
  service: true,
  environment: true,
  version: true,
  metrics: true,
  kpi: true,
  alerting: true,
  health: true,
  queues: true,
  database: true,
  cache: true,
  logging: true,
  errors: true,
  redact: true,
  http: true,
  pushgateway: true,
  contexts: true,
  reports: true,
  tracing: true,
} satisfies Record<keyof ObservabilityModuleOptions, true>);

/**
 * Applies defaults and environment variables to the module options and validates them: each
 * capability resolves its own part, and one error names every invalid field.
 */
export function resolveOptions(
  raw: ObservabilityModuleOptions | undefined,
  env: Env = process.env,
): ResolvedObservabilityOptions {
  const problems = new Problems();
  const options = OptionReader.of(raw, '', ROOT_KEYS, problems);
  const vars = new EnvReader(env, problems);

  const { service, environment, version } = resolveIdentity(options, vars);

  const metrics = resolveMetricsOptions(options.get('metrics'), env, problems);
  const kpi = resolveKpiOptions(options.get('kpi'), problems);
  const alerting = resolveAlertingOptions(options.get('alerting'), env, problems);
  const health = resolveHealthOptions(options.get('health'), problems, environment, env);
  const queues = resolveQueueOptions(options.get('queues'), problems);
  const database = resolveDatabaseOptions(options.get('database'), problems);
  const cache = resolveCacheOptions(options.get('cache'), problems);
  health.checks.push(...dependencyHealthChecks(database, cache, health, problems));
  const logging = resolveLoggingOptions(options.get('logging'), env, problems);
  const errors = resolveErrorsOptions(options.get('errors'), env, problems);
  const contexts = resolveContextsOptions(options.get('contexts'), problems);
  const tracing = resolveTracingOptions(options.get('tracing'), env, problems, service);
  const redact = resolveRedact(options.get('redact'), problems);
  const http = resolveHttpOptions(options.get('http'), problems, {
    metricsPath: metrics.path,
    healthPaths: health.enabled ? Object.values(health.paths) : [],
    env,
  });

  // Configured by the option, or by PUSHGATEWAY_URL alone (the job is then the service).
  let pushgateway: ResolvedObservabilityOptions['pushgateway'];
  if (options.has('pushgateway') || vars.string('PUSHGATEWAY_URL')) {
    const given = options.get('pushgateway') ?? {};
    const resolved = resolvePushgatewayOptions(
      isPlainObject(given) ? { jobName: service, ...given } : given,
      env,
    );
    for (const problem of resolved.problems) problems.push(problem);
    pushgateway = resolved.options;
  }

  const reports = resolveReportsOptions(options.get('reports'), env, problems);

  problems.throwIfAny(Messages.invalidOptions);
  return {
    pushgateway,
    reports,
    service,
    environment,
    version,
    metrics,
    kpi,
    alerting,
    health,
    queues,
    database,
    cache,
    logging,
    errors,
    redact,
    http,
    contexts,
    tracing,
  };
}
