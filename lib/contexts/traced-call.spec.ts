import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { firstValueFrom, of, throwError, toArray } from 'rxjs';
import { startTracing, type TestTracing } from '../../test/utils/tracing';
import type { HandlerOutcome } from './context-metrics';
import { reportingErrors, runTraced } from './traced-call';
import { context } from '@opentelemetry/api';

const spec = { name: 'Jobs.run', kind: SpanKind.INTERNAL, attributes: { 'job.name': 'x' } };

function recorder(): HandlerOutcome & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    success: () => events.push('success'),
    error: () => events.push('error'),
  };
}

describe('runTraced', () => {
  let tracing: TestTracing;
  beforeEach(() => {
    tracing = startTracing();
  });
  afterEach(() => tracing.stop());

  it('returns a synchronous result as it is and ends the span', () => {
    const outcome = recorder();
    expect(runTraced(spec, context.active(), outcome, () => 42)).toBe(42);
    expect(outcome.events).toEqual(['success']);
    expect(tracing.span('Jobs.run').attributes).toEqual({ 'job.name': 'x' });
  });

  it('rethrows a synchronous error untouched and marks the span failed', () => {
    const outcome = recorder();
    const error = new TypeError('bad input');
    expect(() =>
      runTraced(spec, context.active(), outcome, () => {
        throw error;
      }),
    ).toThrow(error);
    expect(outcome.events).toEqual(['error']);
    expect(tracing.span('Jobs.run').status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'bad input',
    });
  });

  it('settles with a promise, rejecting with the same error', async () => {
    const outcome = recorder();
    const error = new Error('later');
    await expect(
      runTraced(spec, context.active(), outcome, () => Promise.reject(error)),
    ).rejects.toBe(error);
    await expect(runTraced(spec, context.active(), outcome, async () => 'ok')).resolves.toBe('ok');
    expect(outcome.events).toEqual(['error', 'success']);
  });

  it('times an Observable to its completion or error, emitting the same values', async () => {
    const outcome = recorder();
    const values = runTraced(spec, context.active(), outcome, () => of(1, 2, 3));
    expect(outcome.events).toEqual([]);
    expect(await firstValueFrom(values.pipe(toArray()))).toEqual([1, 2, 3]);
    const failing = runTraced(spec, context.active(), outcome, () =>
      throwError(() => new Error('stream broke')),
    );
    await expect(firstValueFrom(failing)).rejects.toThrow('stream broke');
    expect(outcome.events).toEqual(['success', 'error']);
    expect(tracing.spans('Jobs.run').map((s) => s.status.code)).toEqual([
      SpanStatusCode.UNSET,
      SpanStatusCode.ERROR,
    ]);
  });

  it('never throws into the call when recording fails', async () => {
    const broken: HandlerOutcome = {
      success: () => {
        throw new Error('registry gone');
      },
      error: () => {
        throw new Error('registry gone');
      },
    };
    expect(runTraced(spec, context.active(), broken, () => 'value')).toBe('value');
    expect(tracing.spans('Jobs.run')).toHaveLength(1);
    await expect(runTraced(spec, context.active(), broken, async () => 'async')).resolves.toBe(
      'async',
    );
  });

  it('tells onError of a thrown, rejected or errored call, and rethrows it untouched even when onError throws', async () => {
    const seen: unknown[] = [];
    const sink = (error: unknown) => {
      seen.push(error);
      throw new Error('error tracking broke');
    };
    const thrown = new TypeError('sync');
    const rejected = new RangeError('async');
    const errored = new SyntaxError('observable');
    expect(() =>
      runTraced(
        spec,
        context.active(),
        undefined,
        () => {
          throw thrown;
        },
        sink,
      ),
    ).toThrow(thrown);
    await expect(
      runTraced(spec, context.active(), undefined, () => Promise.reject(rejected), sink),
    ).rejects.toBe(rejected);
    await expect(
      firstValueFrom(
        runTraced(spec, context.active(), undefined, () => throwError(() => errored), sink),
      ),
    ).rejects.toBe(errored);
    expect(runTraced(spec, context.active(), undefined, () => 1, sink)).toBe(1);
    expect(seen).toEqual([thrown, rejected, errored]);
  });
});

describe('reportingErrors', () => {
  it('tells onError of a throw or rejection, returns results untouched and rethrows', async () => {
    const seen: unknown[] = [];
    const sink = (error: unknown) => seen.push(error);
    const thrown = new TypeError('sync');
    const rejected = new RangeError('async');
    expect(reportingErrors(() => 'ok', sink)).toBe('ok');
    await expect(reportingErrors(() => Promise.resolve('later'), sink)).resolves.toBe('later');
    expect(() =>
      reportingErrors(() => {
        throw thrown;
      }, sink),
    ).toThrow(thrown);
    await expect(reportingErrors(() => Promise.reject(rejected), sink)).rejects.toBe(rejected);
    expect(seen).toEqual([thrown, rejected]);
  });
});
