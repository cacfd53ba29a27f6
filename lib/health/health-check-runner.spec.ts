import { HealthCheckError, HealthIndicatorService } from '@nestjs/terminus';
import { normalizeResult, runHealthCheck } from './health-check-runner';

const indicators = new HealthIndicatorService();

describe('runHealthCheck', () => {
  it('reports the result under the check name whatever key it uses', async () => {
    const detail = await runHealthCheck({
      name: 'database',
      timeoutMs: 100,
      run: () => indicators.check('typeorm').up({ responseTimeMs: 3 }),
    });
    expect(detail).toEqual({ status: 'up', responseTimeMs: 3 });
  });

  it('folds a result with several keys into one, down when any is', () => {
    expect(
      normalizeResult('deps', {
        ...indicators.check('a').up(),
        ...indicators.check('b').down({ message: 'b is gone' }),
      }),
    ).toEqual({ status: 'down', a: { status: 'up' }, b: { status: 'down', message: 'b is gone' } });
  });

  it('turns a throw, a rejection and a deprecated HealthCheckError into down', async () => {
    await expect(
      runHealthCheck({
        name: 'x',
        timeoutMs: 100,
        run: () => {
          throw new Error('boom');
        },
      }),
    ).resolves.toEqual({ status: 'down', message: 'boom' });
    await expect(
      runHealthCheck({ name: 'x', timeoutMs: 100, run: () => Promise.reject('plain') }),
    ).resolves.toEqual({ status: 'down', message: 'plain' });
    await expect(
      runHealthCheck({
        name: 'legacy',
        timeoutMs: 100,
        run: () =>
          Promise.reject(
            new HealthCheckError('failed', { legacy: { status: 'down', message: 'no pool' } }),
          ),
      }),
    ).resolves.toEqual({ status: 'down', message: 'no pool' });
  });

  it('times out a hanging check, clears its timer when a check settles, and ignores a late result', async () => {
    jest.useFakeTimers();
    try {
      let settle: (value: unknown) => void = () => undefined;
      const pending = runHealthCheck({
        name: 'slow',
        timeoutMs: 1000,
        run: () => new Promise((resolve) => (settle = resolve)) as never,
      });
      jest.advanceTimersByTime(1000);
      await expect(pending).resolves.toEqual({
        status: 'down',
        message: 'Health check "slow" timed out after 1000 ms.',
      });
      settle(indicators.check('slow').up());

      await runHealthCheck({
        name: 'quick',
        timeoutMs: 1000,
        run: () => indicators.check('q').up(),
      });
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
