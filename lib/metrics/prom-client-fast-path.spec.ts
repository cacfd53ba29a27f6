import { Counter, Histogram, Registry } from 'prom-client';
import { loadChangedPromClient, type PromClientChange } from '../../test/utils/prom-client-changes';
import { resolveOptions } from '../config/resolve-options';
import type { DiagnosticLogger } from '../logging/diagnostic-logger';
import type { GuardedCounter, GuardedHistogram } from './guarded-metrics';
import type * as RegistryModule from './metrics-registry';
import type * as FastPathModule from './prom-client-fast-path';
import {
  boundCounterInc,
  boundHistogramObserve,
  counterFastPath,
  histogramFastPath,
} from './prom-client-fast-path';

/** The library's metrics modules on a fresh prom-client with `change` applied. */
function isolated(change?: PromClientChange) {
  let modules!: { guarded: typeof FastPathModule; registry: typeof RegistryModule };
  jest.isolateModules(() => {
    loadChangedPromClient(change);
    /* eslint-disable @typescript-eslint/no-require-imports */
    modules = {
      guarded: require('./prom-client-fast-path'),
      registry: require('./metrics-registry'),
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return modules;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Records the same events as the HTTP recorder, the method decorators and the queue recorder
 * do (bound children, and unbound calls beside them), with bad values, a reset and a remove;
 * returns the exposition and the diagnostic warnings.
 */
async function drive(modules: ReturnType<typeof isolated>) {
  const { counterFastPath, histogramFastPath } = modules.guarded;
  await Promise.all([counterFastPath().verdict, histogramFastPath().verdict]);
  const warnings: string[] = [];
  const logger: DiagnosticLogger = {
    log: () => undefined,
    warn: (message) => warnings.push(message),
    error: () => undefined,
  };
  const options = resolveOptions(
    { service: 'svc', metrics: { defaultMetrics: false, port: 0 } },
    {},
  );
  const registry = new modules.registry.MetricsRegistry(options, () => logger);
  const requests = registry.getOrCreate('counter', {
    name: 'requests_total',
    help: 'h',
    labelNames: ['route', 'status'],
  }) as GuardedCounter;
  const durations = registry.getOrCreate('histogram', {
    name: 'duration_seconds',
    help: 'h',
    labelNames: ['route', 'status'],
    buckets: [0.01, 0.1, 1],
  }) as GuardedHistogram;
  const routes = [
    { route: '/a', status: '200' },
    { route: '/b', status: '500' },
    { status: '404' },
  ];
  const counts = routes.map((labels) => requests.bind(labels));
  const times = routes.map((labels) => durations.bind(labels));
  const values = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 3, 0];
  const round = () =>
    values.forEach((value, i) => {
      counts[i % 3].inc();
      counts[(i + 1) % 3].inc(value);
      times[i % 3].observe(value);
      requests.inc(routes[i % 3], 2);
      durations.observe(routes[(i + 2) % 3], value);
    });
  round();
  counts[0].inc(-1);
  times[0].observe(NaN);
  round();
  requests.reset();
  durations.remove('/b', '500');
  round();
  await flush();
  return { exposition: await registry.metrics(), warnings };
}

describe('the fast path of bound children', () => {
  it('passes its self-check on the installed prom-client, once per process', async () => {
    expect(await counterFastPath().verdict).toBeUndefined();
    expect(await histogramFastPath().verdict).toBeUndefined();
    expect(counterFastPath().enabled).toBe(true);
    expect(histogramFastPath().enabled).toBe(true);
    expect(counterFastPath()).toBe(counterFastPath());
  });

  it('updates an existing series in place, exactly as prom-client would', async () => {
    const registry = new Registry();
    const reference = new Registry();
    const config = { help: 'h', labelNames: ['a', 'b'] };
    const counter = new Counter({ ...config, name: 'c_total', registers: [registry] });
    const plainCounter = new Counter({ ...config, name: 'c_total', registers: [reference] });
    const histogram = new Histogram({ ...config, name: 'h', buckets: [1], registers: [registry] });
    const plain = new Histogram({ ...config, name: 'h', buckets: [1], registers: [reference] });
    const labels = { b: '2', a: '1' };
    const publicCalls: string[] = [];
    const hooks = { invalid: jest.fn(), failed: jest.fn() };
    const inc = boundCounterInc(
      counter,
      labels,
      { enabled: true },
      (_l, v) => (publicCalls.push('inc'), counter.inc(labels, v)),
      hooks,
    );
    const observe = boundHistogramObserve(
      histogram,
      labels,
      { enabled: true },
      (_l, v) => (publicCalls.push('observe'), histogram.observe(labels, v)),
      hooks,
    );
    for (const value of [1, 2.5, 0.5]) {
      inc(value);
      observe(value);
      plainCounter.inc(labels, value);
      plain.observe(labels, value);
    }
    inc(-1);
    observe(NaN);
    // Only the first event of each series went through prom-client's public method.
    expect(publicCalls).toEqual(['inc', 'observe']);
    expect(hooks.invalid.mock.calls).toEqual([[-1], [NaN]]);
    expect(hooks.failed).not.toHaveBeenCalled();
    expect(await registry.metrics()).toBe(await reference.metrics());
  });

  it.each([
    ['hidden-series-map', 'Counter: no "hashMap" field', 'Histogram: no "hashMap" field'],
    [
      'new-key-format',
      'Counter: its series keys are not in the format the fast path computes',
      'Histogram: its series keys are not in the format the fast path computes',
    ],
    [
      'exposition-copy',
      "Counter: the fast path recorded other values than prom-client's public API",
      "Histogram: the fast path recorded other values than prom-client's public API",
    ],
  ] as const)(
    'fails its self-check when prom-client changes its internals (%s)',
    async (change, counterFailure, histogramFailure) => {
      const { guarded } = isolated(change);
      expect(await guarded.counterFastPath().verdict).toBe(counterFailure);
      expect(await guarded.histogramFastPath().verdict).toBe(histogramFailure);
      expect(guarded.counterFastPath().enabled).toBe(false);
      expect(guarded.histogramFastPath().enabled).toBe(false);
      // The prom-client every other test loads is untouched.
      expect(counterFastPath().enabled).toBe(true);
    },
  );

  describe('on a changed prom-client', () => {
    let reference: Awaited<ReturnType<typeof drive>>;
    beforeAll(async () => {
      reference = await drive(isolated());
      expect(reference.warnings).toEqual([
        'Dropped a metrics event (reason "invalid_value"): "requests_total" expects a finite number >= 0, got -1. ' +
          'Further drops for this reason are only counted in observability_dropped_events_total.',
      ]);
      expect(reference.exposition).toContain(
        'observability_dropped_events_total{reason="invalid_value",service="svc"} 2',
      );
      expect(reference.exposition).toContain(
        'duration_seconds_count{service="svc",route="/a",status="200"} 18',
      );
    });

    it.each(['hidden-series-map', 'new-key-format', 'exposition-copy'] as const)(
      'records the same values through the public API and warns once (%s)',
      async (change) => {
        const changed = await drive(isolated(change));
        expect(changed.exposition).toBe(reference.exposition);
        const [fastPathOff, ...others] = changed.warnings.filter((w) => w.includes('fast path'));
        expect(others).toEqual([]);
        expect(fastPathOff).toMatch(
          /^prom-client 15\.\d+\.\d+ does not keep its series the way nestjs-observability's fast path updates them \(Counter: .+; Histogram: .+\), so the fast path is off: /,
        );
        expect(changed.warnings).toEqual([reference.warnings[0], fastPathOff]);
      },
    );

    it('no longer needs incWithoutExemplar/observeWithoutExemplar (prototype-methods)', async () => {
      const changed = await drive(isolated('prototype-methods'));
      expect(changed.exposition).toBe(reference.exposition);
      expect(changed.warnings).toEqual(reference.warnings);
    });
  });
});
