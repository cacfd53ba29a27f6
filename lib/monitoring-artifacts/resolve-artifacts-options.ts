import { METRIC_DEFINITIONS } from '../metrics/metric-catalog';
import { Messages } from '../observability.messages';
import { alertDefinition, PROCESS_METRICS } from './alert-rules';
import {
  ALERT_NAMES,
  type AlertName,
  type AlertOverride,
  type MonitoringArtifactsOptions,
  type ResolvedMonitoringArtifactsOptions,
  type ScrapeTarget,
} from './monitoring-artifacts-options.interface';

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A Prometheus duration: units from years to milliseconds, largest first, at least one. */
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
const LABEL_VALUE_SAFE = /^[^\n\r]*$/;

const KNOWN_KEYS = {
  '': [
    'out',
    'prefix',
    'service',
    'runbookUrl',
    'alerts',
    'metrics',
    'memoryLimitBytes',
    'evaluationInterval',
    'scrapeInterval',
    'scrapeTargets',
    'alertmanagers',
    'metricsPath',
  ],
  alert: ['threshold', 'for', 'severity', 'enabled', 'runbookUrl'],
  metric: ['enabled'],
} as const;

/** Every metric name an override may name: the catalog's and the process metrics the rules read. */
export const OVERRIDABLE_METRICS: readonly string[] = [
  ...METRIC_DEFINITIONS.map((definition) => definition.name),
  ...PROCESS_METRICS,
];

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Problems {
  readonly list: string[] = [];
  add(path: string, expected: string, got: unknown): void {
    this.list.push(`${path}: expected ${expected}, got ${describe(got)}`);
  }
  unknownKeys(value: Record<string, unknown>, scope: keyof typeof KNOWN_KEYS, path: string): void {
    const known: readonly string[] = KNOWN_KEYS[scope];
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.list.push(`${path}${key}: unknown option; expected one of ${known.join(', ')}`);
      }
    }
  }
}

function optionalString(
  value: unknown,
  path: string,
  problems: Problems,
  test: (s: string) => boolean = (s) => s.length > 0,
  expected = 'a non-empty string',
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !test(value)) {
    problems.add(path, expected, value);
    return undefined;
  }
  return value;
}

function duration(value: unknown, path: string, problems: Problems): string | undefined {
  return optionalString(
    value,
    path,
    problems,
    (s) => s !== '' && DURATION.test(s),
    'a Prometheus duration such as "30s", "5m" or "1h30m"',
  );
}

function stringList(value: unknown, path: string, problems: Problems): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    problems.add(path, 'an array of non-empty strings', value);
    return undefined;
  }
  return value as string[];
}

function resolveAlerts(
  raw: unknown,
  problems: Problems,
): Partial<Record<AlertName, AlertOverride>> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) {
    problems.add('alerts', 'an object keyed by alert name', raw);
    return {};
  }
  const result: Partial<Record<AlertName, AlertOverride>> = {};
  for (const [name, override] of Object.entries(raw)) {
    const path = `alerts.${name}`;
    if (!(ALERT_NAMES as readonly string[]).includes(name)) {
      problems.list.push(Messages.unknownAlert(name, ALERT_NAMES));
      continue;
    }
    if (!isPlainObject(override)) {
      problems.add(path, 'an object', override);
      continue;
    }
    problems.unknownKeys(override, 'alert', `${path}.`);
    const definition = alertDefinition(name as AlertName);
    const resolved: AlertOverride = {};
    if (override.threshold !== undefined) {
      const t = override.threshold;
      if (definition.threshold === undefined) {
        problems.list.push(`${path}.threshold: this alert has no threshold; remove it`);
      } else if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
        problems.add(`${path}.threshold`, 'a finite number >= 0', t);
      } else if (definition.ratio && t > 1) {
        problems.add(`${path}.threshold`, 'a ratio between 0 and 1 (0.05 for 5 %)', t);
      } else {
        resolved.threshold = t;
      }
    }
    resolved.for = duration(override.for, `${path}.for`, problems);
    resolved.severity = optionalString(override.severity, `${path}.severity`, problems);
    resolved.runbookUrl = optionalString(override.runbookUrl, `${path}.runbookUrl`, problems);
    if (override.enabled !== undefined && typeof override.enabled !== 'boolean') {
      problems.add(`${path}.enabled`, 'a boolean', override.enabled);
    } else {
      resolved.enabled = override.enabled;
    }
    result[name as AlertName] = resolved;
  }
  return result;
}

function resolveMetrics(raw: unknown, problems: Problems): Set<string> {
  const disabled = new Set<string>();
  if (raw === undefined) return disabled;
  if (!isPlainObject(raw)) {
    problems.add('metrics', 'an object keyed by metric name', raw);
    return disabled;
  }
  for (const [name, override] of Object.entries(raw)) {
    const path = `metrics.${name}`;
    if (!OVERRIDABLE_METRICS.includes(name)) {
      problems.list.push(Messages.unknownMetric(name));
      continue;
    }
    if (!isPlainObject(override)) {
      problems.add(path, 'an object such as { "enabled": false }', override);
      continue;
    }
    problems.unknownKeys(override, 'metric', `${path}.`);
    if (override.enabled !== undefined && typeof override.enabled !== 'boolean') {
      problems.add(`${path}.enabled`, 'a boolean', override.enabled);
    } else if (override.enabled === false) {
      disabled.add(name);
    }
  }
  return disabled;
}

function resolveTargets(
  raw: unknown,
  service: string | undefined,
  problems: Problems,
): ScrapeTarget[] {
  if (raw === undefined) {
    const services = service === undefined ? ['api', 'bot', 'worker'] : [service];
    return services.map((name) => ({ service: name, targets: [`${name}:9091`] }));
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
    const targets = stringList(item.targets, `${path}.targets`, problems);
    if (!targets) {
      if (item.targets === undefined)
        problems.add(`${path}.targets`, 'an array of "host:port"', undefined);
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
  options: MonitoringArtifactsOptions = {},
): ResolvedMonitoringArtifactsOptions {
  const problems = new Problems();
  if (!isPlainObject(options)) {
    throw new Error(Messages.invalidArtifactsOptions(['options: expected an object']));
  }
  const raw = options as Record<string, unknown>;
  problems.unknownKeys(raw, '', '');

  const prefix =
    optionalString(
      raw.prefix,
      'prefix',
      problems,
      (s) => s === '' || METRIC_PREFIX.test(s),
      'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*',
    ) ?? '';
  const service = optionalString(
    raw.service,
    'service',
    problems,
    (s) => s !== '' && LABEL_VALUE_SAFE.test(s),
    'a non-empty label value without line breaks',
  );
  const runbookUrl = optionalString(
    raw.runbookUrl,
    'runbookUrl',
    problems,
    (s) => /^https?:\/\/\S+$/.test(s),
    'an http(s) URL',
  );
  let memoryLimitBytes = 1024 ** 3;
  if (raw.memoryLimitBytes !== undefined) {
    const m = raw.memoryLimitBytes;
    if (typeof m !== 'number' || !Number.isSafeInteger(m) || m <= 0) {
      problems.add('memoryLimitBytes', 'a positive integer number of bytes', m);
    } else {
      memoryLimitBytes = m;
    }
  }
  const metricsPath =
    optionalString(
      raw.metricsPath,
      'metricsPath',
      problems,
      (s) => s.startsWith('/'),
      'a path starting with "/"',
    ) ?? '/metrics';
  const resolved: ResolvedMonitoringArtifactsOptions = {
    out: optionalString(raw.out, 'out', problems),
    prefix,
    service,
    runbookUrl,
    alerts: resolveAlerts(raw.alerts, problems),
    disabledMetrics: resolveMetrics(raw.metrics, problems),
    memoryLimitBytes,
    evaluationInterval: duration(raw.evaluationInterval, 'evaluationInterval', problems) ?? '30s',
    scrapeInterval: duration(raw.scrapeInterval, 'scrapeInterval', problems) ?? '15s',
    scrapeTargets: resolveTargets(raw.scrapeTargets, service, problems),
    alertmanagers: stringList(raw.alertmanagers, 'alertmanagers', problems) ?? [
      'alertmanager:9093',
    ],
    metricsPath,
  };
  if (problems.list.length) throw new Error(Messages.invalidArtifactsOptions(problems.list));
  return resolved;
}
