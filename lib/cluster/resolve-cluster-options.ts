import type { Aggregator } from 'prom-client';
import { isPlainObject, Problems } from '../config/problems';
import { Messages } from '../observability.messages';
import { AGGREGATORS } from './cluster-aggregation';
import type {
  ClusterMetricsOptions,
  ClusterMetricsServerOptions,
  ResolvedClusterMetricsOptions,
} from './cluster-options.interface';

const OPTION_KEYS = [
  'timeoutMs',
  'maxSeriesPerMetric',
  'aggregators',
  'prefix',
  'defaultLabels',
  'logger',
] as const satisfies readonly (keyof ClusterMetricsOptions)[];

const SERVER_KEYS = [
  'port',
  'host',
  'path',
] as const satisfies readonly (keyof ClusterMetricsServerOptions)[];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * Validates the options of `ClusterMetricsAggregator` and fills in the defaults. Throws one
 * error naming every bad field.
 */
export function resolveClusterOptions(raw: unknown = {}): ResolvedClusterMetricsOptions {
  const problems = new Problems();
  const resolved: ResolvedClusterMetricsOptions = {
    timeoutMs: 5000,
    maxSeriesPerMetric: 1000,
    aggregators: {},
    prefix: '',
    defaultLabels: {},
    logger: console,
  };
  if (!isPlainObject(raw)) {
    problems.add('options', 'an object', raw);
    throw new Error(Messages.invalidClusterOptions(problems.list));
  }
  problems.unknownKeys(raw, '', OPTION_KEYS);
  const { timeoutMs, maxSeriesPerMetric, aggregators, prefix, defaultLabels, logger } = raw;

  if (timeoutMs !== undefined) {
    if (isPositiveInteger(timeoutMs)) resolved.timeoutMs = timeoutMs;
    else problems.add('timeoutMs', 'a positive integer (milliseconds)', timeoutMs);
  }
  if (maxSeriesPerMetric !== undefined) {
    if (isPositiveInteger(maxSeriesPerMetric)) resolved.maxSeriesPerMetric = maxSeriesPerMetric;
    else problems.add('maxSeriesPerMetric', 'a positive integer', maxSeriesPerMetric);
  }
  if (aggregators !== undefined) {
    if (!isPlainObject(aggregators)) {
      problems.add('aggregators', 'an object of metric name to aggregator', aggregators);
    } else {
      const valid: Record<string, Aggregator> = {};
      for (const [name, rule] of Object.entries(aggregators)) {
        if (AGGREGATORS.includes(rule as Aggregator)) valid[name] = rule as Aggregator;
        else problems.add(`aggregators.${name}`, `one of ${AGGREGATORS.join(', ')}`, rule);
      }
      resolved.aggregators = valid;
    }
  }
  if (prefix !== undefined) {
    if (typeof prefix === 'string' && (prefix === '' || METRIC_NAME.test(prefix))) {
      resolved.prefix = prefix;
    } else {
      problems.add('prefix', 'a metric name start matching [a-zA-Z_:][a-zA-Z0-9_:]*', prefix);
    }
  }
  if (defaultLabels !== undefined) {
    if (!isPlainObject(defaultLabels)) {
      problems.add('defaultLabels', 'an object of label name to string value', defaultLabels);
    } else {
      const labels: Record<string, string> = {};
      for (const [name, value] of Object.entries(defaultLabels)) {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) {
          problems.add(`defaultLabels.${name}`, 'a valid label name', name);
        } else if (typeof value !== 'string') {
          problems.add(`defaultLabels.${name}`, 'a string', value);
        } else {
          labels[name] = value;
        }
      }
      resolved.defaultLabels = labels;
    }
  }
  if (logger !== undefined) {
    const methods = ['log', 'warn', 'error'] as const;
    if (isPlainObject(logger) && methods.every((m) => typeof logger[m] === 'function')) {
      resolved.logger = logger as unknown as ResolvedClusterMetricsOptions['logger'];
    } else {
      problems.add('logger', 'an object with log, warn and error methods', logger);
    }
  }
  if (problems.list.length > 0) throw new Error(Messages.invalidClusterOptions(problems.list));
  return resolved;
}

/** Validates the options of `ClusterMetricsAggregator.start()` and fills in the defaults. */
export function resolveClusterServerOptions(
  raw: unknown = {},
): Required<ClusterMetricsServerOptions> {
  const problems = new Problems();
  const resolved = { port: 9091, host: '0.0.0.0', path: '/metrics' };
  if (!isPlainObject(raw)) {
    problems.add('start() options', 'an object', raw);
    throw new Error(Messages.invalidClusterOptions(problems.list));
  }
  problems.unknownKeys(raw, 'start()', SERVER_KEYS);
  const { port, host, path } = raw;
  if (port !== undefined) {
    if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) {
      resolved.port = port;
    } else {
      problems.add('start().port', 'an integer 0-65535', port);
    }
  }
  if (host !== undefined) {
    if (typeof host === 'string' && host !== '') resolved.host = host;
    else problems.add('start().host', 'a non-empty string', host);
  }
  if (path !== undefined) {
    if (typeof path === 'string' && path.startsWith('/')) resolved.path = path;
    else problems.add('start().path', 'a path starting with "/"', path);
  }
  if (problems.list.length > 0) throw new Error(Messages.invalidClusterOptions(problems.list));
  return resolved;
}
