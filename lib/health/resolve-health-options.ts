import { totalmem } from 'node:os';
import { parse } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { ResolvedHealthCheck, ResolvedHealthOptions } from './health-options.interface';
import { BUILT_IN_CHECKS, SHUTDOWN_CHECK } from './health.constants';

/** Where problems are collected (the options resolver's list). */
export interface ProblemSink {
  add(path: string, expected: string, got: unknown): void;
  readonly list: string[];
}

const KNOWN = {
  health: [
    'enabled',
    'paths',
    'timeoutMs',
    'shutdownGracePeriodMs',
    'memory',
    'disk',
    'eventLoop',
    'queues',
    'checks',
    'readiness',
  ],
  'health.paths': ['health', 'detailed', 'ready', 'live'],
  'health.memory': ['heapUsedThresholdBytes', 'rssThresholdBytes'],
  'health.disk': ['path', 'thresholdPercent'],
  'health.eventLoop': ['maxLagMs'],
  'health.queues': ['maxWaiting', 'maxOldestWaitSeconds'],
  check: ['name', 'check', 'timeoutMs', 'critical'],
} as const;

const DEFAULT_PATHS = {
  health: '/health',
  detailed: '/health/detailed',
  ready: '/ready',
  live: '/live',
} as const;

const CHECK_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function known(
  value: Record<string, unknown>,
  scope: keyof typeof KNOWN,
  path: string,
  problems: ProblemSink,
): void {
  const list: readonly string[] = KNOWN[scope];
  for (const key of Object.keys(value)) {
    if (!list.includes(key)) {
      problems.list.push(`${path}.${key}: unknown option; expected one of ${list.join(', ')}`);
    }
  }
}

function positive(
  value: unknown,
  path: string,
  problems: ProblemSink,
  { integer = true, allowZero = false } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (allowZero ? value >= 0 : value > 0) &&
    (!integer || Number.isInteger(value));
  if (ok) return value;
  problems.add(path, `${integer ? 'an integer' : 'a number'} ${allowZero ? '>= 0' : '> 0'}`, value);
  return undefined;
}

/** `undefined` → defaults, `false` → disabled, an object → its fields, anything else → problem. */
function section(
  value: unknown,
  scope: keyof typeof KNOWN,
  problems: ProblemSink,
): Record<string, unknown> | false {
  if (value === false) return false;
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    problems.add(scope, 'an object or false', value);
    return {};
  }
  known(value, scope, scope, problems);
  return value;
}

/** Memory available to the process: the cgroup limit when there is one, else total memory. */
function availableMemory(): number {
  const total = totalmem();
  const constrained = (
    process as { constrainedMemory?: () => number | undefined }
  ).constrainedMemory?.();
  return constrained && constrained > 0 && constrained < total ? constrained : total;
}

function resolveChecks(
  list: unknown,
  path: string,
  critical: boolean,
  defaultTimeoutMs: number,
  problems: ProblemSink,
): ResolvedHealthCheck[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.add(path, 'an array of { name, check, timeoutMs?, critical? }', list);
    return [];
  }
  const checks: ResolvedHealthCheck[] = [];
  list.forEach((entry: unknown, index) => {
    const at = `${path}[${index}]`;
    if (!isPlainObject(entry)) {
      problems.add(at, '{ name, check, timeoutMs?, critical? }', entry);
      return;
    }
    known(entry, 'check', at, problems);
    const { name, check } = entry;
    let ok = true;
    if (typeof name !== 'string' || !CHECK_NAME.test(name)) {
      problems.add(`${at}.name`, 'a name of 1-64 characters among A-Z a-z 0-9 _ . : -', name);
      ok = false;
    }
    if (typeof check !== 'function') {
      problems.add(`${at}.check`, 'a function returning a HealthIndicatorResult', check);
      ok = false;
    }
    const timeoutMs = positive(entry.timeoutMs, `${at}.timeoutMs`, problems);
    if (entry.timeoutMs !== undefined && timeoutMs === undefined) ok = false;
    if (entry.critical !== undefined && typeof entry.critical !== 'boolean') {
      problems.add(`${at}.critical`, 'a boolean', entry.critical);
      ok = false;
    }
    if (!ok) return;
    checks.push({
      name: name as string,
      check: check as ResolvedHealthCheck['check'],
      timeoutMs: timeoutMs ?? defaultTimeoutMs,
      critical: critical || entry.critical === true,
    });
  });
  return checks;
}

/**
 * Applies defaults to the `health` options and validates them, reporting every problem to
 * `problems`.
 */
export function resolveHealthOptions(
  raw: unknown,
  environment: string,
  problems: ProblemSink,
): ResolvedHealthOptions {
  let health: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (isPlainObject(raw)) {
      health = raw;
      known(health, 'health', 'health', problems);
    } else {
      problems.add('health', 'an object', raw);
    }
  }

  let enabled = true;
  if (health.enabled !== undefined) {
    if (typeof health.enabled === 'boolean') enabled = health.enabled;
    else problems.add('health.enabled', 'a boolean', health.enabled);
  }

  const paths: Record<keyof typeof DEFAULT_PATHS, string> = { ...DEFAULT_PATHS };
  if (health.paths !== undefined) {
    if (!isPlainObject(health.paths)) {
      problems.add('health.paths', 'an object { health?, detailed?, ready?, live? }', health.paths);
    } else {
      known(health.paths, 'health.paths', 'health.paths', problems);
      for (const key of Object.keys(DEFAULT_PATHS) as Array<keyof typeof DEFAULT_PATHS>) {
        const value = health.paths[key];
        if (value === undefined) continue;
        if (typeof value === 'string' && /^\/\S*$/.test(value)) paths[key] = value;
        else problems.add(`health.paths.${key}`, 'a path starting with "/"', value);
      }
      const seen = new Map<string, string>();
      for (const [key, value] of Object.entries(paths)) {
        const other = seen.get(value);
        if (other)
          problems.add(
            `health.paths.${key}`,
            `a path not already used by health.paths.${other}`,
            value,
          );
        seen.set(value, key);
      }
    }
  }

  const timeoutMs = positive(health.timeoutMs, 'health.timeoutMs', problems) ?? 1000;
  const shutdownGracePeriodMs =
    positive(health.shutdownGracePeriodMs, 'health.shutdownGracePeriodMs', problems, {
      allowZero: true,
    }) ?? (environment === 'production' ? 5000 : 0);

  const memory = section(health.memory, 'health.memory', problems);
  const disk = section(health.disk, 'health.disk', problems);
  const eventLoop = section(health.eventLoop, 'health.eventLoop', problems);
  const queues = section(health.queues, 'health.queues', problems);

  let diskPath = parse(process.cwd()).root || '/';
  if (disk && disk.path !== undefined) {
    if (typeof disk.path === 'string' && disk.path.length > 0) diskPath = disk.path;
    else problems.add('health.disk.path', 'a non-empty string', disk.path);
  }
  let thresholdPercent = 0.9;
  if (disk && disk.thresholdPercent !== undefined) {
    const value = disk.thresholdPercent;
    if (typeof value === 'number' && value > 0 && value <= 1) thresholdPercent = value;
    else problems.add('health.disk.thresholdPercent', 'a fraction in (0, 1]', value);
  }

  const checks = [
    ...resolveChecks(health.checks, 'health.checks', false, timeoutMs, problems),
    ...resolveChecks(health.readiness, 'health.readiness', true, timeoutMs, problems),
  ];
  const reserved: readonly string[] = [...BUILT_IN_CHECKS, SHUTDOWN_CHECK];
  const names = new Set<string>();
  for (const { name } of checks) {
    if (reserved.includes(name)) {
      problems.add(
        'health.checks',
        `names other than the built-in checks (${reserved.join(', ')})`,
        name,
      );
    } else if (names.has(name)) {
      problems.add('health.checks', 'unique names across checks and readiness', name);
    }
    names.add(name);
  }

  return {
    enabled,
    paths,
    timeoutMs,
    shutdownGracePeriodMs,
    memory: memory && {
      heapUsedThresholdBytes:
        positive(memory.heapUsedThresholdBytes, 'health.memory.heapUsedThresholdBytes', problems) ??
        Math.floor(getHeapStatistics().heap_size_limit * 0.9),
      rssThresholdBytes:
        positive(memory.rssThresholdBytes, 'health.memory.rssThresholdBytes', problems) ??
        Math.floor(availableMemory() * 0.9),
    },
    disk: disk && { path: diskPath, thresholdPercent },
    eventLoop: eventLoop && {
      maxLagMs: positive(eventLoop.maxLagMs, 'health.eventLoop.maxLagMs', problems) ?? 1000,
    },
    queues: queues && {
      maxWaiting: positive(queues.maxWaiting, 'health.queues.maxWaiting', problems) ?? 1000,
      maxOldestWaitSeconds:
        positive(queues.maxOldestWaitSeconds, 'health.queues.maxOldestWaitSeconds', problems, {
          integer: false,
        }) ?? 300,
    },
    checks,
  };
}
