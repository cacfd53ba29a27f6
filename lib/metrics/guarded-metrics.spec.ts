import { Counter, Histogram, Registry } from 'prom-client';
import { GuardedCounter, GuardedGauge, GuardedHistogram, GuardedSummary } from './guarded-metrics';
import { counterFastPath, histogramFastPath } from './prom-client-fast-path';
import type { DropReason, GuardHooks } from './series-guard';

function hooks(maxSeries = 1000) {
  const drops: Array<[DropReason, string]> = [];
  const overflows: string[] = [];
  const h: GuardHooks = {
    maxSeries,
    drop: (reason, detail) => drops.push([reason, detail]),
    overflow: (metric) => overflows.push(metric),
  };
  return { h, drops, overflows };
}

async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('guarded metrics', () => {
  let registry: Registry;
  // Bound children update series in place once prom-client passed the self-check.
  beforeAll(async () => {
    expect(await counterFastPath().verdict).toBeUndefined();
    expect(await histogramFastPath().verdict).toBeUndefined();
  });
  beforeEach(() => (registry = new Registry()));

  it('counts like a prom-client counter', async () => {
    const { h } = hooks();
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a'], registers: [registry] },
      h,
    );
    counter.inc({ a: 'x' });
    counter.inc({ a: 'x' }, 2);
    counter.labels('y').inc(5);
    counter.labels({ a: 'z' }).inc();
    expect(await lines(registry)).toEqual([
      'c_total{a="x"} 3',
      'c_total{a="y"} 5',
      'c_total{a="z"} 1',
    ]);
  });

  it('drops bad values and labels without throwing', async () => {
    const { h, drops } = hooks();
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a'], registers: [registry] },
      h,
    );
    expect(() => counter.inc({ a: 'x' }, -1)).not.toThrow();
    expect(() => counter.inc({ a: 'x' }, NaN)).not.toThrow();
    expect(() => counter.inc({ a: 'x' }, '3' as unknown as number)).not.toThrow();
    expect(() => counter.inc({ b: 'x' } as never)).not.toThrow();
    expect(() => counter.inc({ a: { nested: true } } as never)).not.toThrow();
    expect(() => counter.labels('x', 'y').inc()).not.toThrow();
    expect(drops.map(([reason]) => reason)).toEqual([
      'invalid_value',
      'invalid_value',
      'invalid_value',
      'invalid_label',
      'invalid_label',
      'invalid_label',
    ]);
    expect(drops[3][1]).toBe('label "b" is not declared on "c_total"');
    expect(await lines(registry)).toEqual([]);
  });

  it('sanitises numbers and booleans to strings and truncates long values to 128 characters', async () => {
    const { h } = hooks();
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a', 'b'], registers: [registry] },
      h,
    );
    counter.inc({ a: 42 as unknown as string, b: true as unknown as string });
    counter.inc({ a: 'x'.repeat(300), b: 'y' });
    expect(await lines(registry)).toEqual([
      'c_total{a="42",b="true"} 1',
      `c_total{a="${'x'.repeat(128)}",b="y"} 1`,
    ]);
  });

  it('folds label combinations past maxSeries into one __overflow__ series', async () => {
    const { h, overflows } = hooks(2);
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['user', 'kind'], registers: [registry] },
      h,
    );
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u1']) counter.inc({ user, kind: 'k' });
    expect(await lines(registry)).toEqual([
      'c_total{user="u1",kind="k"} 2',
      'c_total{user="u2",kind="k"} 1',
      'c_total{user="__overflow__",kind="__overflow__"} 2',
    ]);
    expect(overflows).toEqual(['c_total', 'c_total']);
  });

  it('frees a series slot on remove and all of them on reset', async () => {
    const { h, overflows } = hooks(1);
    const gauge = new GuardedGauge(
      { name: 'g', help: 'h', labelNames: ['a'], registers: [registry] },
      h,
    );
    gauge.set({ a: 'x' }, 1);
    gauge.remove('x');
    gauge.set({ a: 'y' }, 2);
    gauge.reset();
    gauge.set({ a: 'z' }, 3);
    expect(overflows).toEqual([]);
    expect(await lines(registry)).toEqual(['g{a="z"} 3']);
  });

  it('guards gauges, histograms and summaries', async () => {
    const { h, drops } = hooks();
    const gauge = new GuardedGauge({ name: 'g', help: 'h', registers: [registry] }, h);
    gauge.set(5);
    gauge.inc();
    gauge.dec(2);
    gauge.set(Infinity);
    const histogram = new GuardedHistogram(
      { name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: [1, 2], registers: [registry] },
      h,
    );
    histogram.observe({ a: 'x' }, 1.5);
    histogram.labels('x').observe(0.5);
    histogram.observe({ a: 'x' }, NaN);
    histogram.labels('x').observe(NaN);
    const summary = new GuardedSummary(
      { name: 's', help: 'h', percentiles: [0.5], registers: [registry] },
      h,
    );
    summary.observe(3);
    summary.observe(-Infinity);
    expect(drops.map(([r]) => r)).toEqual([
      'invalid_value',
      'invalid_value',
      'invalid_value',
      'invalid_value',
    ]);
    expect(await lines(registry)).toEqual([
      'g 4',
      'h_seconds_bucket{le="1",a="x"} 1',
      'h_seconds_bucket{le="2",a="x"} 2',
      'h_seconds_bucket{le="+Inf",a="x"} 2',
      'h_seconds_sum{a="x"} 2',
      'h_seconds_count{a="x"} 2',
      's{quantile="0.5"} 3',
      's_sum 3',
      's_count 1',
    ]);
  });

  it('binds a pre-admitted child for hot paths', async () => {
    const { h } = hooks();
    const histogram = new GuardedHistogram(
      { name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: [1], registers: [registry] },
      h,
    );
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a'], registers: [registry] },
      h,
    );
    histogram.bind({ a: 'x' }).observe(0.5);
    counter.bind({ a: 'x' }).inc();
    counter.bind({ a: 'x' }).inc(2);
    expect(await lines(registry)).toEqual([
      'h_seconds_bucket{le="1",a="x"} 1',
      'h_seconds_bucket{le="+Inf",a="x"} 1',
      'h_seconds_sum{a="x"} 0.5',
      'h_seconds_count{a="x"} 1',
      'c_total{a="x"} 3',
    ]);
  });

  it('bound children record exactly what prom-client records, through reset() and remove()', async () => {
    const { h } = hooks();
    const other = new Registry();
    const config = {
      name: 'd_seconds',
      help: 'h',
      labelNames: ['a', 'b'],
      buckets: [0.01, 0.1, 1],
    };
    const guarded = new GuardedHistogram({ ...config, registers: [registry] }, h);
    const plain = new Histogram({ ...config, registers: [other] });
    const counterConfig = { name: 'n_total', help: 'h', labelNames: ['a'] };
    const guardedCounter = new GuardedCounter({ ...counterConfig, registers: [registry] }, h);
    const plainCounter = new Counter({ ...counterConfig, registers: [other] });
    const children = [
      guarded.bind({ a: 'x', b: 'y' }),
      guarded.bind({ b: 'z', a: 'x' }),
      guarded.bind({ a: 'only' }),
    ];
    const labelSets = [{ a: 'x', b: 'y' }, { a: 'x', b: 'z' }, { a: 'only' }];
    const counters = [guardedCounter.bind({ a: 'x' }), guardedCounter.bind({ a: 'y' })];
    const values = [0, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 100, 0.07];
    const step = (round: number) => {
      values.forEach((v, i) => {
        const k = (i + round) % 3;
        children[k].observe(v);
        plain.observe(labelSets[k], v);
        counters[i % 2].inc(v);
        plainCounter.inc({ a: i % 2 ? 'y' : 'x' }, v);
      });
    };
    step(0);
    step(1);
    guarded.reset();
    plain.reset();
    guardedCounter.remove('x');
    plainCounter.remove('x');
    step(2);
    guarded.remove('x', 'y');
    plain.remove('x', 'y');
    step(3);
    expect(await registry.metrics()).toBe(await other.metrics());
  });

  it('keeps bound children exact through reset and alongside the public API', async () => {
    const { h } = hooks();
    const buckets = [0.1, 1, 10];
    const histogram = new GuardedHistogram(
      { name: 'h_seconds', help: 'h', labelNames: ['a', 'b'], buckets, registers: [registry] },
      h,
    );
    const reference = new GuardedHistogram(
      { name: 'r_seconds', help: 'h', labelNames: ['a', 'b'], buckets, registers: [registry] },
      h,
    );
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a', 'b'], registers: [registry] },
      h,
    );
    // The series exists before binding, under another labels object and key order.
    histogram.observe({ b: '2', a: '1' }, 5);
    counter.inc({ b: '2', a: '1' }, 4);
    reference.observe({ a: '1', b: '2' }, 5);
    const bound = histogram.bind({ a: '1', b: '2' });
    const boundCounter = counter.bind({ a: '1', b: '2' });
    for (const value of [0.05, 0.1, 0.5, 3, 10, 11, 0.05]) {
      bound.observe(value);
      reference.observe({ a: '1', b: '2' }, value);
      boundCounter.inc();
    }
    histogram.observe({ a: '1', b: '2' }, 0.2);
    reference.observe({ a: '1', b: '2' }, 0.2);
    const text = await lines(registry);
    const of = (name: string) =>
      text.filter((l) => l.startsWith(name)).map((l) => l.slice(name.length));
    expect(of('h_seconds')).toEqual(of('r_seconds'));
    expect(of('h_seconds')).toContain('_count{a="1",b="2"} 9');
    expect(text).toContain('c_total{a="1",b="2"} 11');

    // After a reset, the next events start a new series instead of updating a stale one.
    histogram.reset();
    counter.reset();
    bound.observe(0.5);
    bound.observe(0.5);
    boundCounter.inc(2);
    boundCounter.inc();
    const after = await lines(registry);
    expect(after).toContain('h_seconds_count{a="1",b="2"} 2');
    expect(after).toContain('h_seconds_bucket{le="1",a="1",b="2"} 2');
    expect(after).toContain('c_total{a="1",b="2"} 3');
  });

  it('drops and counts the bad values of bound children, as the slow path does', async () => {
    const { h, drops } = hooks();
    const histogram = new GuardedHistogram(
      { name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: [1], registers: [registry] },
      h,
    );
    const counter = new GuardedCounter(
      { name: 'c_total', help: 'h', labelNames: ['a'], registers: [registry] },
      h,
    );
    const boundHistogram = histogram.bind({ a: 'x' });
    const boundCounter = counter.bind({ a: 'x' });
    const bad = () => {
      boundCounter.inc(-1);
      boundCounter.inc(NaN);
      boundCounter.inc(Infinity);
      boundCounter.inc('2' as unknown as number);
      boundHistogram.observe(NaN);
      boundHistogram.observe(Infinity);
      boundHistogram.observe(-Infinity);
      boundHistogram.observe('2' as unknown as number);
    };
    // Before the series exists (prom-client's path) and once it does (the in-place path).
    expect(bad).not.toThrow();
    boundCounter.inc();
    boundHistogram.observe(0.5);
    expect(bad).not.toThrow();
    expect(drops.map(([reason]) => reason)).toEqual(Array(16).fill('invalid_value'));
    expect(drops[0][1]).toBe('"c_total" expects a finite number >= 0, got -1');
    expect(drops[4][1]).toBe('"h_seconds" expects a finite number, got NaN');
    expect(await lines(registry)).toEqual([
      'h_seconds_bucket{le="1",a="x"} 1',
      'h_seconds_bucket{le="+Inf",a="x"} 1',
      'h_seconds_sum{a="x"} 0.5',
      'h_seconds_count{a="x"} 1',
      'c_total{a="x"} 1',
    ]);
  });
});
