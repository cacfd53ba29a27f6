import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedHttpMetricsOptions } from '../http/http-metrics-options.interface';
import type {
  MetricsAuthOptions,
  ObservabilityModuleOptions,
  ResolvedObservabilityOptions,
  TokenPricingTable,
} from '../observability-options.interface';
import { resolveHealthOptions } from '../health/resolve-health-options';
import { Messages } from '../observability.messages';
import { resolvePushgatewayOptions, type ResolvedPushgatewayOptions } from '../metrics/pushgateway';
import { resolveAlertingOptions } from '../alerting/resolve-alerting-options';
import { resolveQueueOptions } from '../queue/resolve-queue-options';
import { resolveErrorsOptions } from '../errors/resolve-errors-options';
import { resolveLoggingOptions, resolveRedact } from '../logging/resolve-logging-options';
import { isPlainObject, parseBooleanEnv, Problems } from './problems';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Env = Record<string, string | undefined>;

const KNOWN_KEYS = {
  '': [
    'service',
    'environment',
    'version',
    'metrics',
    'kpi',
    'alerting',
    'health',
    'queues',
    'logging',
    'errors',
    'redact',
    'http',
    'pushgateway',
  ],
  metrics: [
    'enabled',
    'port',
    'host',
    'path',
    'prefix',
    'defaultLabels',
    'defaultMetrics',
    'buckets',
    'auth',
    'maxSeriesPerMetric',
  ],
  kpi: ['activeUsersWindowSeconds', 'tokenPricing'],
  http: ['enabled', 'ignorePaths', 'buckets', 'requestSizeHistogram', 'responseSizeHistogram'],
} as const;

/** Flags keys that no option has, which are almost always typos. */
function checkKnownKeys(
  value: Record<string, unknown>,
  scope: keyof typeof KNOWN_KEYS,
  problems: Problems,
): void {
  const known: readonly string[] = KNOWN_KEYS[scope];
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      problems.list.push(
        `${scope ? `${scope}.` : ''}${key}: unknown option; expected one of ${known.join(', ')}`,
      );
    }
  }
}

function readPackageJson(): { name?: unknown; version?: unknown } {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  } catch {
    return {};
  }
}

function parsePortEnv(name: string, raw: string, problems: Problems): number | undefined {
  const port = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  problems.add(`${name} (environment)`, 'an integer 0-65535', raw);
  return undefined;
}

function optionalString(
  value: unknown,
  path: string,
  problems: Problems,
  allowEmpty = false,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (allowEmpty || value.length > 0)) return value;
  problems.add(path, allowEmpty ? 'a string' : 'a non-empty string', value);
  return undefined;
}

function optionalBoolean(value: unknown, path: string, problems: Problems): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  problems.add(path, 'a boolean', value);
  return undefined;
}

function optionalPositiveNumber(
  value: unknown,
  path: string,
  problems: Problems,
  integer: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value > 0 &&
    (!integer || Number.isInteger(value));
  if (ok) return value;
  problems.add(path, integer ? 'a positive integer' : 'a positive number', value);
  return undefined;
}

function validateBuckets(value: unknown, path: string, problems: Problems): number[] | undefined {
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b) => typeof b === 'number' && Number.isFinite(b)) &&
    value.every((b, i) => i === 0 || b > value[i - 1])
  ) {
    return value as number[];
  }
  problems.add(path, 'a non-empty array of finite numbers in strictly increasing order', value);
  return undefined;
}

function validateAuth(value: unknown, problems: Problems): MetricsAuthOptions | undefined {
  if (value === undefined) return undefined;
  if (isPlainObject(value) && value.type === 'bearer') {
    if (typeof value.token === 'string' && value.token.length > 0) {
      return { type: 'bearer', token: value.token };
    }
    problems.add('metrics.auth.token', 'a non-empty string', value.token);
    return undefined;
  }
  if (isPlainObject(value) && value.type === 'basic') {
    const username = optionalString(value.username, 'metrics.auth.username', problems);
    const password = optionalString(value.password, 'metrics.auth.password', problems);
    if (username === undefined && value.username === undefined) {
      problems.add('metrics.auth.username', 'a non-empty string', undefined);
    }
    if (password === undefined && value.password === undefined) {
      problems.add('metrics.auth.password', 'a non-empty string', undefined);
    }
    return username && password ? { type: 'basic', username, password } : undefined;
  }
  problems.add(
    'metrics.auth',
    "{ type: 'bearer', token } or { type: 'basic', username, password }",
    value,
  );
  return undefined;
}

function validatePricing(value: unknown, problems: Problems): TokenPricingTable | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    problems.add('kpi.tokenPricing', 'an object { [model]: { [type]: usdPer1kTokens } }', value);
    return undefined;
  }
  const table: TokenPricingTable = {};
  for (const [model, byType] of Object.entries(value)) {
    if (!isPlainObject(byType)) {
      problems.add(`kpi.tokenPricing.${model}`, 'an object { [type]: usdPer1kTokens }', byType);
      continue;
    }
    table[model] = {};
    for (const [type, price] of Object.entries(byType)) {
      if (typeof price === 'number' && Number.isFinite(price) && price >= 0) {
        table[model][type] = price;
      } else {
        problems.add(`kpi.tokenPricing.${model}.${type}`, 'a finite number >= 0', price);
      }
    }
  }
  return table;
}

function resolveHttp(
  value: unknown,
  metricsPath: string,
  healthPaths: readonly string[],
  problems: Problems,
): ResolvedHttpMetricsOptions {
  let http: Record<string, unknown> = {};
  if (value !== undefined) {
    if (isPlainObject(value)) http = value;
    else problems.add('http', 'an object', value);
    checkKnownKeys(http, 'http', problems);
  }
  // Probes and scrapes are not traffic: the health endpoints (and anything below /health) and
  // the metrics path are left out unless the user lists paths of their own.
  let ignorePaths: Array<string | RegExp> = [
    ...new Set(['/health', ...healthPaths, metricsPath]),
    /^\/health\//,
  ];
  if (http.ignorePaths !== undefined) {
    const list = http.ignorePaths;
    if (
      Array.isArray(list) &&
      list.every((p) => p instanceof RegExp || (typeof p === 'string' && p.startsWith('/')))
    ) {
      ignorePaths = [...(list as Array<string | RegExp>)];
    } else {
      problems.add('http.ignorePaths', 'an array of paths starting with "/" or RegExps', list);
    }
  }
  return {
    enabled: optionalBoolean(http.enabled, 'http.enabled', problems) ?? true,
    ignorePaths,
    defaultIgnorePaths: http.ignorePaths === undefined,
    buckets:
      http.buckets === undefined
        ? undefined
        : validateBuckets(http.buckets, 'http.buckets', problems),
    requestSizeHistogram:
      optionalBoolean(http.requestSizeHistogram, 'http.requestSizeHistogram', problems) ?? false,
    responseSizeHistogram:
      optionalBoolean(http.responseSizeHistogram, 'http.responseSizeHistogram', problems) ?? false,
  };
}

/**
 * Applies defaults and environment variables to the module options and validates them.
 * Throws one error naming every invalid field.
 */
export function resolveOptions(
  raw: ObservabilityModuleOptions | undefined,
  env: Env = process.env,
): ResolvedObservabilityOptions {
  const problems = new Problems();
  const options: Record<string, unknown> = isPlainObject(raw) ? raw : {};
  if (raw !== undefined && !isPlainObject(raw)) problems.add('(options)', 'an object', raw);
  checkKnownKeys(options, '', problems);

  const pkg = env.SERVICE_NAME && env.APP_VERSION ? {} : readPackageJson();
  const service =
    optionalString(options.service, 'service', problems) ??
    (env.SERVICE_NAME || undefined) ??
    (typeof pkg.name === 'string' && pkg.name ? pkg.name : 'app');
  const environment =
    optionalString(options.environment, 'environment', problems) ??
    (env.APP_ENV || env.NODE_ENV || 'development');
  const version =
    optionalString(options.version, 'version', problems) ??
    (env.APP_VERSION || (typeof pkg.version === 'string' ? pkg.version : undefined));

  let metrics: Record<string, unknown> = {};
  if (options.metrics !== undefined) {
    if (isPlainObject(options.metrics)) metrics = options.metrics;
    else problems.add('metrics', 'an object', options.metrics);
    checkKnownKeys(metrics, 'metrics', problems);
  }

  const enabled =
    optionalBoolean(metrics.enabled, 'metrics.enabled', problems) ??
    (env.ENABLE_METRICS !== undefined && env.ENABLE_METRICS !== ''
      ? parseBooleanEnv('ENABLE_METRICS', env.ENABLE_METRICS, problems)
      : undefined) ??
    true;

  let port: number | undefined;
  if (metrics.port !== undefined) {
    if (
      typeof metrics.port === 'number' &&
      Number.isInteger(metrics.port) &&
      metrics.port >= 0 &&
      metrics.port <= 65535
    ) {
      port = metrics.port;
    } else {
      problems.add('metrics.port', 'an integer 0-65535', metrics.port);
    }
  } else if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== '') {
    port = parsePortEnv('METRICS_PORT', env.METRICS_PORT, problems);
  }

  const host =
    optionalString(metrics.host, 'metrics.host', problems) ?? (env.METRICS_HOST || '0.0.0.0');

  let path = optionalString(metrics.path, 'metrics.path', problems) ?? '/metrics';
  if (!path.startsWith('/')) {
    problems.add('metrics.path', 'a path starting with "/"', path);
    path = '/metrics';
  }

  let prefix = optionalString(metrics.prefix, 'metrics.prefix', problems, true);
  if (prefix === undefined && metrics.prefix === undefined) prefix = env.METRICS_PREFIX ?? '';
  if (prefix && !METRIC_NAME.test(prefix)) {
    problems.add(
      metrics.prefix === undefined ? 'METRICS_PREFIX (environment)' : 'metrics.prefix',
      'a valid metric name start matching [a-zA-Z_:][a-zA-Z0-9_:]*',
      prefix,
    );
  }

  const defaultLabels: Record<string, string> = {};
  if (metrics.defaultLabels !== undefined) {
    if (!isPlainObject(metrics.defaultLabels)) {
      problems.add(
        'metrics.defaultLabels',
        'an object of label name to string value',
        metrics.defaultLabels,
      );
    } else {
      for (const [name, value] of Object.entries(metrics.defaultLabels)) {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) {
          problems.add(`metrics.defaultLabels.${name}`, 'a valid label name', name);
        } else if (name === 'service') {
          problems.add(
            'metrics.defaultLabels.service',
            'no "service" key (use the "service" option)',
            value,
          );
        } else if (typeof value !== 'string') {
          problems.add(`metrics.defaultLabels.${name}`, 'a string', value);
        } else {
          defaultLabels[name] = value;
        }
      }
    }
  }

  const defaultMetrics =
    optionalBoolean(metrics.defaultMetrics, 'metrics.defaultMetrics', problems) ?? true;

  const buckets: Record<string, number[]> = {};
  if (metrics.buckets !== undefined) {
    if (!isPlainObject(metrics.buckets)) {
      problems.add('metrics.buckets', 'an object of metric name to bucket list', metrics.buckets);
    } else {
      for (const [name, list] of Object.entries(metrics.buckets)) {
        const valid = validateBuckets(list, `metrics.buckets.${name}`, problems);
        if (valid) buckets[name] = valid;
      }
    }
  }

  const auth = validateAuth(metrics.auth, problems);
  const maxSeriesPerMetric =
    optionalPositiveNumber(
      metrics.maxSeriesPerMetric,
      'metrics.maxSeriesPerMetric',
      problems,
      true,
    ) ?? 1000;

  let kpi: Record<string, unknown> = {};
  if (options.kpi !== undefined) {
    if (isPlainObject(options.kpi)) kpi = options.kpi;
    else problems.add('kpi', 'an object', options.kpi);
    checkKnownKeys(kpi, 'kpi', problems);
  }
  const activeUsersWindowSeconds =
    optionalPositiveNumber(
      kpi.activeUsersWindowSeconds,
      'kpi.activeUsersWindowSeconds',
      problems,
      false,
    ) ?? 300;
  const tokenPricing = validatePricing(kpi.tokenPricing, problems);

  const alerting = resolveAlertingOptions(options.alerting, env, (path, expected, got) =>
    problems.add(path, expected, got),
  );
  const health = resolveHealthOptions(options.health, environment, problems);
  const queues = resolveQueueOptions(options.queues, problems.list);
  const logging = resolveLoggingOptions(options.logging, env, problems);
  const errors = resolveErrorsOptions(options.errors, env, problems);
  const redact = resolveRedact(options.redact, problems);
  const http = resolveHttp(
    options.http,
    path,
    health.enabled ? Object.values(health.paths) : [],
    problems,
  );

  // Configured by the option, or by PUSHGATEWAY_URL alone (the job is then the service).
  let pushgateway: ResolvedPushgatewayOptions | undefined;
  if (options.pushgateway !== undefined || env.PUSHGATEWAY_URL) {
    const raw = options.pushgateway ?? {};
    const resolved = resolvePushgatewayOptions(
      isPlainObject(raw) ? { jobName: service, ...raw } : raw,
      env,
    );
    problems.list.push(...resolved.problems);
    pushgateway = resolved.options;
  }

  if (problems.list.length > 0) throw new Error(Messages.invalidOptions(problems.list));

  return {
    pushgateway,
    service,
    environment,
    version,
    metrics: {
      enabled,
      port: port ?? 9091,
      host,
      path,
      prefix: prefix ?? '',
      defaultLabels,
      defaultMetrics,
      buckets,
      auth,
      maxSeriesPerMetric,
    },
    kpi: { activeUsersWindowSeconds, tokenPricing },
    alerting,
    health,
    queues,
    logging,
    errors,
    redact,
    http,
  };
}
