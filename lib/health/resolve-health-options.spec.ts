import { getHeapStatistics } from 'node:v8';
import { resolveOptions } from '../config/resolve-options';

const env = { SERVICE_NAME: 'svc', APP_VERSION: '1.0.0' };
const check = () => ({ db: { status: 'up' as const } });

describe('health options', () => {
  it('defaults the grace period to 5 s in production and 0 elsewhere', () => {
    expect(resolveOptions({ environment: 'production' }, env).health.shutdownGracePeriodMs).toBe(
      5000,
    );
    expect(resolveOptions({ environment: 'staging' }, env).health.shutdownGracePeriodMs).toBe(0);
    expect(
      resolveOptions({ environment: 'production', health: { shutdownGracePeriodMs: 0 } }, env)
        .health.shutdownGracePeriodMs,
    ).toBe(0);
  });

  it('reads health.detailedToken, else HEALTH_DETAILED_TOKEN, and never echoes a bad one', () => {
    expect(resolveOptions({}, env).health.detailedToken).toBeUndefined();
    expect(
      resolveOptions({}, { ...env, HEALTH_DETAILED_TOKEN: 'from-the-env-1' }).health.detailedToken,
    ).toBe('from-the-env-1');
    expect(
      resolveOptions(
        { health: { detailedToken: 'from-options-1' } },
        { ...env, HEALTH_DETAILED_TOKEN: 'from-the-env-1' },
      ).health.detailedToken,
    ).toBe('from-options-1');
    const bad = () => resolveOptions({ health: { detailedToken: 'has space s3cret' } }, env);
    expect(bad).toThrow(/health\.detailedToken: expected a token of at least 8 visible ASCII/);
    expect(bad).not.toThrow(/s3cret/);
    const badEnv = () => resolveOptions({}, { ...env, HEALTH_DETAILED_TOKEN: 'short' });
    expect(badEnv).toThrow(/HEALTH_DETAILED_TOKEN/);
    expect(badEnv).not.toThrow(/short/);
  });

  it('defaults the heap threshold to 90% of the V8 heap limit', () => {
    const { memory } = resolveOptions({}, env).health;
    expect(memory && memory.heapUsedThresholdBytes).toBe(
      Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    );
  });

  it('resolves paths, thresholds, disabled indicators and user checks', () => {
    const health = resolveOptions(
      {
        health: {
          paths: { ready: '/readyz', live: '/livez' },
          timeoutMs: 250,
          memory: false,
          disk: { path: '/data', thresholdPercent: 0.8 },
          eventLoop: false,
          queues: { maxWaiting: 5 },
          checks: [
            { name: 'search', check },
            { name: 'db', check, critical: true, timeoutMs: 50 },
          ],
          readiness: [{ name: 'redis', check }],
        },
      },
      env,
    ).health;
    expect(health).toEqual({
      enabled: true,
      paths: { health: '/health', detailed: '/health/detailed', ready: '/readyz', live: '/livez' },
      timeoutMs: 250,
      shutdownGracePeriodMs: 0,
      memory: false,
      disk: { path: '/data', thresholdPercent: 0.8 },
      eventLoop: false,
      queues: { maxWaiting: 5, maxOldestWaitSeconds: 300 },
      checks: [
        { name: 'search', check, timeoutMs: 250, critical: false },
        { name: 'db', check, timeoutMs: 50, critical: true },
        { name: 'redis', check, timeoutMs: 250, critical: true },
      ],
    });
  });

  it('fails at boot naming every bad health field', () => {
    const attempt = () =>
      resolveOptions(
        {
          health: {
            enabled: 'yes' as never,
            paths: { health: 'health', ready: '/live' },
            timeoutMs: 0,
            shutdownGracePeriodMs: -1,
            disk: { thresholdPercent: 90 },
            eventLoop: 'fast' as never,
            checks: [
              { name: 'db', check },
              { name: 'db', check },
              { name: 'disk', check },
              { name: 'bad name', check: 'nope' as never, timeoutMs: 1.5 },
            ],
            readiness: {} as never,
            extra: 1,
          } as never,
        },
        env,
      );
    expect(attempt).toThrow(
      [
        'Invalid nestjs-observability options:',
        '  - health.extra: unknown option; expected one of enabled, paths, timeoutMs, shutdownGracePeriodMs, memory, disk, eventLoop, queues, checks, readiness, detailedToken',
        '  - health.enabled: expected a boolean, got "yes"',
        '  - health.paths.health: expected a path starting with "/", got "health"',
        '  - health.paths.live: expected a path not already used by health.paths.ready, got "/live"',
        '  - health.timeoutMs: expected a positive integer <= 2147483647, got 0',
        '  - health.shutdownGracePeriodMs: expected an integer 0-2147483647, got -1',
        '  - health.eventLoop: expected an object or false, got "fast"',
        '  - health.disk.thresholdPercent: expected a fraction in (0, 1], got 90',
        '  - health.checks[3].name: expected a name of 1-64 characters among A-Z a-z 0-9 _ . : -, got "bad name"',
        '  - health.checks[3].check: expected a function returning a HealthIndicatorResult, got "nope"',
        '  - health.checks[3].timeoutMs: expected a positive integer <= 2147483647, got 1.5',
        '  - health.readiness: expected an array of { name, check, timeoutMs?, critical? }, got {}',
        '  - health.checks: expected unique names across checks and readiness, got "db"',
        '  - health.checks: expected names other than the built-in checks (memory_heap, memory_rss, disk, event_loop, metrics_registry, queues, alerting, shutdown), got "disk"',
      ].join('\n'),
    );
  });
});
