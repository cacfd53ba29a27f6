import type { Aggregator } from 'prom-client';
import { Problems } from '../config/problems';
import {
  isPlainObject,
  OptionReader,
  optionKeys,
  PORT,
  POSITIVE,
  readMethods,
  readMetricPrefix,
  readOneOf,
  TIMER,
} from '../config/option-reader';
import { Messages } from '../observability.messages';
import { AGGREGATORS } from './cluster-aggregation';
import type {
  ClusterMetricsOptions,
  ClusterMetricsServerOptions,
  ResolvedClusterMetricsOptions,
} from './cluster-options.interface';

const OPTION_KEYS = optionKeys({
  timeoutMs: true,
  maxSeriesPerMetric: true,
  aggregators: true,
  prefix: true,
  defaultLabels: true,
  logger: true,
} satisfies Record<keyof ClusterMetricsOptions, true>);

const SERVER_KEYS = optionKeys({
  port: true,
  host: true,
  path: true,
} satisfies Record<keyof ClusterMetricsServerOptions, true>);

function readAggregators(options: OptionReader): Record<string, Aggregator> | undefined {
  const value = options.get('aggregators');
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    options.problems.add('aggregators', 'an object of metric name to aggregator', value);
    return undefined;
  }
  const valid: Record<string, Aggregator> = {};
  for (const [name, rule] of Object.entries(value)) {
    const aggregator = readOneOf(rule, `aggregators.${name}`, options.problems, AGGREGATORS);
    if (aggregator) valid[name] = aggregator;
  }
  return valid;
}

/**
 * Validates the options of `ClusterMetricsAggregator` and fills in the defaults. Throws one
 * error naming every bad field.
 */
export function resolveClusterOptions(raw: unknown = {}): ResolvedClusterMetricsOptions {
  const problems = new Problems();
  if (!isPlainObject(raw)) problems.add('options', 'an object', raw);
  problems.throwIfAny(Messages.invalidClusterOptions);
  const options = OptionReader.of(raw, '', OPTION_KEYS, problems);
  const resolved: ResolvedClusterMetricsOptions = {
    timeoutMs: options.integer('timeoutMs', TIMER) ?? 5000,
    maxSeriesPerMetric: options.integer('maxSeriesPerMetric', POSITIVE) ?? 1000,
    aggregators: readAggregators(options) ?? {},
    prefix: readMetricPrefix(options.get('prefix'), 'prefix', problems) ?? '',
    defaultLabels: options.labels('defaultLabels') ?? {},
    logger:
      readMethods<ResolvedClusterMetricsOptions['logger']>(
        options.get('logger'),
        'logger',
        problems,
        ['log', 'warn', 'error'],
        'an object with log, warn and error methods',
      ) ?? console,
  };
  problems.throwIfAny(Messages.invalidClusterOptions);
  return resolved;
}

/** Validates the options of `ClusterMetricsAggregator.start()` and fills in the defaults. */
export function resolveClusterServerOptions(
  raw: unknown = {},
): Required<ClusterMetricsServerOptions> {
  const problems = new Problems();
  if (!isPlainObject(raw)) problems.add('start() options', 'an object', raw);
  problems.throwIfAny(Messages.invalidClusterOptions);
  const options = OptionReader.of(raw, 'start()', SERVER_KEYS, problems);
  const resolved = {
    port: options.integer('port', PORT) ?? 9091,
    host: options.string('host') ?? '0.0.0.0',
    path: options.urlPath('path') ?? '/metrics',
  };
  problems.throwIfAny(Messages.invalidClusterOptions);
  return resolved;
}
