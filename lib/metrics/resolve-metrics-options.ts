import type { Problems } from '../config/problems';
import {
  EnvReader,
  isPlainObject,
  OptionReader,
  optionKeys,
  PORT,
  POSITIVE,
  readMetricPrefix,
  readNumber,
  type Env,
} from '../config/option-reader';
import type {
  KpiOptions,
  MetricsAuthOptions,
  MetricsOptions,
  ResolvedObservabilityOptions,
  TokenPricingTable,
} from '../observability-options.interface';
import { resolveAiKpi, resolveTenantLabel } from '../kpi/resolve-business-kpi-options';

const METRICS_KEYS = optionKeys({
  enabled: true,
  port: true,
  host: true,
  path: true,
  prefix: true,
  defaultLabels: true,
  defaultMetrics: true,
  buckets: true,
  auth: true,
  maxSeriesPerMetric: true,
} satisfies Record<keyof MetricsOptions, true>);

const KPI_KEYS = optionKeys({
  activeUsersWindowSeconds: true,
  tokenPricing: true,
  tenant: true,
  ai: true,
} satisfies Record<keyof KpiOptions, true>);

/** Histogram buckets: a non-empty list of finite numbers in strictly increasing order. */
export function readBuckets(
  value: unknown,
  path: string,
  problems: Problems,
): number[] | undefined {
  if (value === undefined) return undefined;
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

function readAuth(metrics: OptionReader): MetricsAuthOptions | undefined {
  const value = metrics.get('auth');
  if (value === undefined) return undefined;
  if (isPlainObject(value) && (value.type === 'bearer' || value.type === 'basic')) {
    // Read without an unknown-key check: `type` decides which keys belong.
    const auth = OptionReader.of(value, metrics.at('auth'), Object.keys(value), metrics.problems);
    const credential = (key: string): string | undefined => {
      auth.require(key, 'a non-empty string');
      return auth.string(key);
    };
    if (value.type === 'bearer') {
      const token = credential('token');
      return token === undefined ? undefined : { type: 'bearer', token };
    }
    const username = credential('username');
    const password = credential('password');
    return username && password ? { type: 'basic', username, password } : undefined;
  }
  metrics.problems.add(
    metrics.at('auth'),
    "{ type: 'bearer', token } or { type: 'basic', username, password }",
    value,
  );
  return undefined;
}

function readBucketTable(metrics: OptionReader): Record<string, number[]> {
  const value = metrics.get('buckets');
  const buckets: Record<string, number[]> = {};
  if (value === undefined) return buckets;
  if (!isPlainObject(value)) {
    metrics.problems.add(metrics.at('buckets'), 'an object of metric name to bucket list', value);
    return buckets;
  }
  for (const [name, list] of Object.entries(value)) {
    const valid = readBuckets(list, `${metrics.at('buckets')}.${name}`, metrics.problems);
    if (valid) buckets[name] = valid;
  }
  return buckets;
}

/**
 * Applies defaults and `ENABLE_METRICS`, `METRICS_PORT`, `METRICS_HOST` and `METRICS_PREFIX`
 * to the `metrics` options, recording every bad field.
 */
export function resolveMetricsOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedObservabilityOptions['metrics'] {
  const metrics = OptionReader.of(raw, 'metrics', METRICS_KEYS, problems);
  const vars = new EnvReader(env, problems);
  const enabled = metrics.has('enabled')
    ? metrics.boolean('enabled')
    : vars.boolean('ENABLE_METRICS');
  const port = metrics.has('port')
    ? metrics.integer('port', PORT)
    : vars.integer('METRICS_PORT', PORT);
  const host = metrics.has('host') ? metrics.string('host') : vars.string('METRICS_HOST');
  const path = metrics.urlPath('path');
  const prefix = metrics.has('prefix')
    ? readMetricPrefix(metrics.get('prefix'), 'metrics.prefix', problems)
    : readMetricPrefix(vars.string('METRICS_PREFIX'), EnvReader.path('METRICS_PREFIX'), problems);
  return {
    enabled: enabled ?? true,
    port: port ?? 9091,
    host: host ?? '0.0.0.0',
    path: path ?? '/metrics',
    prefix: prefix ?? '',
    defaultLabels: metrics.labels('defaultLabels', { service: 'use the "service" option' }) ?? {},
    defaultMetrics: metrics.boolean('defaultMetrics') ?? true,
    buckets: readBucketTable(metrics),
    auth: readAuth(metrics),
    maxSeriesPerMetric: metrics.integer('maxSeriesPerMetric', POSITIVE) ?? 1000,
  };
}

function readPricing(kpi: OptionReader): TokenPricingTable | undefined {
  const value = kpi.get('tokenPricing');
  if (value === undefined) return undefined;
  const path = kpi.at('tokenPricing');
  if (!isPlainObject(value)) {
    kpi.problems.add(path, 'an object { [model]: { [type]: usdPer1kTokens } }', value);
    return undefined;
  }
  const table: TokenPricingTable = {};
  for (const [model, byType] of Object.entries(value)) {
    if (!isPlainObject(byType)) {
      kpi.problems.add(`${path}.${model}`, 'an object { [type]: usdPer1kTokens }', byType);
      continue;
    }
    table[model] = {};
    for (const [type, price] of Object.entries(byType)) {
      const valid = readNumber(price, `${path}.${model}.${type}`, kpi.problems, { min: 0 });
      if (valid !== undefined) table[model][type] = valid;
    }
  }
  return table;
}

/** Applies defaults to the `kpi` options, recording every bad field. */
export function resolveKpiOptions(
  raw: unknown,
  problems: Problems,
): ResolvedObservabilityOptions['kpi'] {
  const kpi = OptionReader.of(raw, 'kpi', KPI_KEYS, problems);
  return {
    activeUsersWindowSeconds:
      kpi.number('activeUsersWindowSeconds', { min: 0, above: true }) ?? 300,
    tokenPricing: readPricing(kpi),
    tenant: resolveTenantLabel(kpi),
    ai: resolveAiKpi(kpi),
  };
}
