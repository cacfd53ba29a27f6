import { METRIC_DEFINITIONS } from '../metrics/metric-catalog';
import { Messages } from '../observability.messages';
import { alertDefinition, PROCESS_METRICS } from './alert-rules';
import { Problems } from '../config/problems';
import {
  isPlainObject,
  OptionReader,
  optionKeys,
  POSITIVE,
  readMetricPrefix,
  readStrings,
} from '../config/option-reader';
import {
  ALERT_NAMES,
  type AlertName,
  type AlertOverride,
  type MetricOverride,
  type MonitoringArtifactsOptions,
  type ResolvedMonitoringArtifactsOptions,
  type ScrapeTarget,
} from './monitoring-artifacts-options.interface';
import { defaultServiceName } from '../config/resolve-identity';

/** A Prometheus duration: units from years to milliseconds, largest first, at least one. */
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
const LABEL_VALUE_SAFE = /^[^\n\r]*$/;

const ROOT_KEYS = optionKeys({
  out: true,
  prefix: true,
  service: true,
  runbookUrl: true,
  alerts: true,
  metrics: true,
  memoryLimitBytes: true,
  evaluationInterval: true,
  scrapeInterval: true,
  scrapeTargets: true,
  alertmanagers: true,
  metricsPath: true,
  aiNaming: true,
} satisfies Record<keyof MonitoringArtifactsOptions, true>);

const ALERT_KEYS = optionKeys({
  threshold: true,
  for: true,
  severity: true,
  enabled: true,
  runbookUrl: true,
} satisfies Record<keyof AlertOverride, true>);

const METRIC_KEYS = optionKeys({ enabled: true } satisfies Record<keyof MetricOverride, true>);

const DURATION_RULE = {
  test: DURATION,
  expected: 'a Prometheus duration such as "30s", "5m" or "1h30m"',
};

/** Every metric name an override may name: the catalog's and the process metrics the rules read. */
export const OVERRIDABLE_METRICS: readonly string[] = [
  ...METRIC_DEFINITIONS.map((definition) => definition.name),
  ...PROCESS_METRICS,
];

function readThreshold(override: OptionReader, name: AlertName): number | undefined {
  if (!override.has('threshold')) return undefined;
  const definition = alertDefinition(name);
  if (definition.threshold === undefined) {
    override.problems.add(
      override.at('threshold'),
      'no threshold (this alert has none; remove it)',
      override.get('threshold'),
    );
    return undefined;
  }
  const threshold = override.number('threshold', { min: 0 });
  if (threshold !== undefined && definition.ratio && threshold > 1) {
    override.problems.add(
      override.at('threshold'),
      'a ratio between 0 and 1 (0.05 for 5 %)',
      threshold,
    );
    return undefined;
  }
  return threshold;
}

function resolveAlerts(options: OptionReader): Partial<Record<AlertName, AlertOverride>> {
  const { problems } = options;
  const raw = options.get('alerts');
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    problems.add('alerts', 'an object keyed by alert name', raw);
    return {};
  }
  const result: Partial<Record<AlertName, AlertOverride>> = {};
  for (const [name, value] of Object.entries(raw)) {
    const path = `alerts.${name}`;
    if (!(ALERT_NAMES as readonly string[]).includes(name)) {
      problems.unknownKey(path, ALERT_NAMES);
      continue;
    }
    if (!isPlainObject(value)) {
      problems.add(path, 'an object', value);
      continue;
    }
    const override = OptionReader.of(value, path, ALERT_KEYS, problems);
    const resolved: AlertOverride = {};
    const threshold = readThreshold(override, name as AlertName);
    if (threshold !== undefined) resolved.threshold = threshold;
    resolved.for = override.string('for', DURATION_RULE);
    resolved.severity = override.string('severity');
    resolved.runbookUrl = override.string('runbookUrl');
    resolved.enabled = override.boolean('enabled');
    result[name as AlertName] = resolved;
  }
  return result;
}

function resolveMetrics(options: OptionReader): Set<string> {
  const { problems } = options;
  const disabled = new Set<string>();
  const raw = options.get('metrics');
  if (raw === undefined) return disabled;
  if (!isPlainObject(raw)) {
    problems.add('metrics', 'an object keyed by metric name', raw);
    return disabled;
  }
  for (const [name, value] of Object.entries(raw)) {
    const path = `metrics.${name}`;
    if (!OVERRIDABLE_METRICS.includes(name)) {
      problems.push(Messages.unknownMetric(name));
      continue;
    }
    if (!isPlainObject(value)) {
      problems.add(path, 'an object such as { "enabled": false }', value);
      continue;
    }
    const override = OptionReader.of(value, path, METRIC_KEYS, problems);
    if (override.boolean('enabled') === false) disabled.add(name);
  }
  return disabled;
}

function resolveTargets(options: OptionReader, service: string | undefined): ScrapeTarget[] {
  const { problems } = options;
  const raw = options.get('scrapeTargets');
  if (raw === undefined) {
    // The name the application reports by default, so the `service` label matches it.
    const name = service ?? defaultServiceName(process.env);
    const host = name.replace(/^@[^/]+\//, '').replace(/[^a-zA-Z0-9.-]/g, '-');
    return [{ service: name, targets: [`${host}:9091`] }];
  }
  if (!Array.isArray(raw)) {
    problems.add('scrapeTargets', 'an array of { service, targets }', raw);
    return [];
  }
  return raw.flatMap((item, index) => {
    const path = `scrapeTargets[${index}]`;
    if (!isPlainObject(item) || typeof item.service !== 'string' || item.service === '') {
      problems.add(path, '{ service: string, targets: string[] }', item);
      return [];
    }
    const targets = readStrings(item.targets, `${path}.targets`, problems);
    if (!targets) {
      if (item.targets === undefined) {
        problems.add(`${path}.targets`, 'an array of "host:port"', undefined);
      }
      return [];
    }
    return [{ service: item.service, targets }];
  });
}

/**
 * Applies the defaults to the generator's options and validates them. Throws one error naming
 * every bad field (unknown alert or metric, negative threshold, bad duration...).
 */
export function resolveArtifactsOptions(
  raw: MonitoringArtifactsOptions = {},
): ResolvedMonitoringArtifactsOptions {
  const problems = new Problems();
  if (!isPlainObject(raw)) problems.add('options', 'an object', raw);
  problems.throwIfAny(Messages.invalidArtifactsOptions);
  const options = OptionReader.of(raw, '', ROOT_KEYS, problems);
  const prefix = readMetricPrefix(options.get('prefix'), 'prefix', problems) ?? '';
  const service = options.string('service', {
    test: LABEL_VALUE_SAFE,
    expected: 'a non-empty label value without line breaks',
  });
  const runbookUrl = options.url('runbookUrl');
  const memoryLimitBytes =
    options.integer('memoryLimitBytes', POSITIVE, 'a positive integer number of bytes') ??
    1024 ** 3;
  const metricsPath = options.urlPath('metricsPath') ?? '/metrics';
  const resolved: ResolvedMonitoringArtifactsOptions = {
    out: options.string('out'),
    prefix,
    service,
    runbookUrl,
    alerts: resolveAlerts(options),
    disabledMetrics: resolveMetrics(options),
    memoryLimitBytes,
    evaluationInterval: options.string('evaluationInterval', DURATION_RULE) ?? '30s',
    scrapeInterval: options.string('scrapeInterval', DURATION_RULE) ?? '15s',
    scrapeTargets: resolveTargets(options, service),
    alertmanagers: options.strings('alertmanagers') ?? ['alertmanager:9093'],
    metricsPath,
    aiNaming: options.oneOf('aiNaming', ['default', 'openai'] as const) ?? 'default',
  };
  problems.throwIfAny(Messages.invalidArtifactsOptions);
  return resolved;
}
