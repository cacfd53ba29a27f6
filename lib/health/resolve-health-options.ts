import { totalmem } from 'node:os';
import { parse } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Problems } from '../config/problems';
import {
  EnvReader,
  isPlainObject,
  OptionReader,
  type Env,
  optionKeys,
  POSITIVE,
  TIMER,
  TIMER_OR_ZERO,
} from '../config/option-reader';
import type {
  DiskHealthOptions,
  EventLoopHealthOptions,
  HealthCheckDefinition,
  HealthOptions,
  HealthPaths,
  MemoryHealthOptions,
  QueueHealthOptions,
  ResolvedHealthCheck,
  ResolvedHealthOptions,
} from './health-options.interface';
import { BUILT_IN_CHECKS, SHUTDOWN_CHECK } from './health.constants';

const HEALTH_KEYS = optionKeys({
  enabled: true,
  paths: true,
  timeoutMs: true,
  shutdownGracePeriodMs: true,
  memory: true,
  disk: true,
  eventLoop: true,
  queues: true,
  checks: true,
  readiness: true,
  detailedToken: true,
} satisfies Record<keyof HealthOptions, true>);

const PATH_KEYS = optionKeys({
  health: true,
  detailed: true,
  ready: true,
  live: true,
} satisfies Record<keyof HealthPaths, true>);

const MEMORY_KEYS = optionKeys({
  heapUsedThresholdBytes: true,
  rssThresholdBytes: true,
} satisfies Record<keyof MemoryHealthOptions, true>);

const DISK_KEYS = optionKeys({
  path: true,
  thresholdPercent: true,
} satisfies Record<keyof DiskHealthOptions, true>);

const EVENT_LOOP_KEYS = optionKeys({
  maxLagMs: true,
} satisfies Record<keyof EventLoopHealthOptions, true>);

const QUEUE_KEYS = optionKeys({
  maxWaiting: true,
  maxOldestWaitSeconds: true,
} satisfies Record<keyof QueueHealthOptions, true>);

const CHECK_KEYS = optionKeys({
  name: true,
  check: true,
  timeoutMs: true,
  critical: true,
} satisfies Record<keyof HealthCheckDefinition, true>);

const DEFAULT_PATHS: Required<HealthPaths> = {
  health: '/health',
  detailed: '/health/detailed',
  ready: '/ready',
  live: '/live',
};

const CHECK_NAME_RULE = {
  test: /^[A-Za-z0-9_.:-]{1,64}$/,
  expected: 'a name of 1-64 characters among A-Z a-z 0-9 _ . : -',
};
const CHECK_FUNCTION = 'a function returning a HealthIndicatorResult';
const ENDPOINT_PATH = /^\/\S*$/;

/** Memory available to the process: the cgroup limit when there is one, else total memory. */
function availableMemory(): number {
  const total = totalmem();
  const constrained = (
    process as { constrainedMemory?: () => number | undefined }
  ).constrainedMemory?.();
  return constrained && constrained > 0 && constrained < total ? constrained : total;
}

/** An indicator's section: `false` turns it off, `undefined` keeps its defaults. */
function indicator(
  health: OptionReader,
  key: string,
  keys: readonly string[],
): OptionReader | false {
  if (health.get(key) === false) return false;
  return health.object(key, keys, 'an object or false');
}

function resolvePaths(health: OptionReader): Required<HealthPaths> {
  const paths = { ...DEFAULT_PATHS };
  if (!health.has('paths')) return paths;
  const given = health.object(
    'paths',
    PATH_KEYS,
    'an object { health?, detailed?, ready?, live? }',
  );
  if (!isPlainObject(health.get('paths'))) return paths;
  for (const key of PATH_KEYS) {
    const path = given.string(key, { test: ENDPOINT_PATH, expected: 'a path starting with "/"' });
    if (path !== undefined) paths[key] = path;
  }
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(paths)) {
    const other = seen.get(value);
    if (other)
      given.problems.add(given.at(key), `a path not already used by ${given.at(other)}`, value);
    seen.set(value, key);
  }
  return paths;
}

function resolveChecks(
  health: OptionReader,
  key: 'checks' | 'readiness',
  defaultTimeoutMs: number,
): ResolvedHealthCheck[] {
  const { problems } = health;
  const list = health.get(key);
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.add(health.at(key), 'an array of { name, check, timeoutMs?, critical? }', list);
    return [];
  }
  const checks: ResolvedHealthCheck[] = [];
  list.forEach((entry: unknown, index) => {
    const at = `${health.at(key)}[${index}]`;
    if (!isPlainObject(entry)) {
      problems.add(at, '{ name, check, timeoutMs?, critical? }', entry);
      return;
    }
    const check = OptionReader.of(entry, at, CHECK_KEYS, problems);
    const before = problems.count; // unknown keys alone do not leave the check out
    const name = check.string('name', CHECK_NAME_RULE);
    check.require('name', CHECK_NAME_RULE.expected);
    const fn = check.function<ResolvedHealthCheck['check']>('check', CHECK_FUNCTION);
    check.require('check', CHECK_FUNCTION);
    const timeoutMs = check.integer('timeoutMs', TIMER);
    const critical = check.boolean('critical');
    if (problems.count > before || name === undefined || fn === undefined) return;
    checks.push({
      name,
      check: fn,
      timeoutMs: timeoutMs ?? defaultTimeoutMs,
      critical: key === 'readiness' || critical === true,
    });
  });
  return checks;
}

/** Built-in check names are reserved, and every name is unique across checks and readiness. */
function checkNames(checks: readonly ResolvedHealthCheck[], problems: Problems): void {
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
}

/** A bearer token: visible ASCII, no spaces (it travels in an `Authorization` header). */
const TOKEN_RULE = {
  test: /^[\x21-\x7e]{8,}$/,
  expected: 'a token of at least 8 visible ASCII characters without spaces',
};

/**
 * Applies defaults to the `health` options and `HEALTH_DETAILED_TOKEN`, and validates them,
 * recording every problem (a token is never echoed). `environment` sets the default grace period
 * (5 s in production).
 */
export function resolveHealthOptions(
  raw: unknown,
  problems: Problems,
  environment: string,
  env: Env = {},
): ResolvedHealthOptions {
  const health = OptionReader.of(raw, 'health', HEALTH_KEYS, problems);
  const detailedToken = health.has('detailedToken')
    ? health.string('detailedToken', TOKEN_RULE)
    : new EnvReader(env, problems).string('HEALTH_DETAILED_TOKEN', TOKEN_RULE);
  const enabled = health.boolean('enabled') ?? true;
  const paths = resolvePaths(health);
  const timeoutMs = health.integer('timeoutMs', TIMER) ?? 1000;
  const shutdownGracePeriodMs =
    health.integer('shutdownGracePeriodMs', TIMER_OR_ZERO) ??
    (environment === 'production' ? 5000 : 0);

  const memory = indicator(health, 'memory', MEMORY_KEYS);
  const disk = indicator(health, 'disk', DISK_KEYS);
  const eventLoop = indicator(health, 'eventLoop', EVENT_LOOP_KEYS);
  const queues = indicator(health, 'queues', QUEUE_KEYS);
  const diskOptions = disk && {
    path: disk.string('path') ?? (parse(process.cwd()).root || '/'),
    thresholdPercent:
      disk.number('thresholdPercent', { min: 0, max: 1, above: true }, 'a fraction in (0, 1]') ??
      0.9,
  };

  const checks = [
    ...resolveChecks(health, 'checks', timeoutMs),
    ...resolveChecks(health, 'readiness', timeoutMs),
  ];
  checkNames(checks, problems);

  return {
    enabled,
    paths,
    timeoutMs,
    shutdownGracePeriodMs,
    memory: memory && {
      heapUsedThresholdBytes:
        memory.integer('heapUsedThresholdBytes', POSITIVE) ??
        Math.floor(getHeapStatistics().heap_size_limit * 0.9),
      rssThresholdBytes:
        memory.integer('rssThresholdBytes', POSITIVE) ?? Math.floor(availableMemory() * 0.9),
    },
    disk: diskOptions,
    eventLoop: eventLoop && { maxLagMs: eventLoop.integer('maxLagMs', POSITIVE) ?? 1000 },
    queues: queues && {
      maxWaiting: queues.integer('maxWaiting', POSITIVE) ?? 1000,
      maxOldestWaitSeconds: queues.number('maxOldestWaitSeconds', { min: 0, above: true }) ?? 300,
    },
    checks,
    detailedToken,
  };
}
