import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { renderExposition, renderExpositionChunks, writeChunks } from './exposition';
import { familyToOpenMetrics, toOpenMetrics } from './openmetrics';

const PREFIX = 'app_';

/**
 * A registry with every metric type, awkward labels and help, default labels and a prefix. (Not
 * the default metrics: their values move between two scrapes.)
 */
function richRegistry(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'api', region: 'eu "west"' });
  const registers = [registry];
  // Like the default metrics: the value is set by collect() at scrape time.
  new Gauge({
    name: `${PREFIX}process_ticks`,
    help: 'Set on collect.',
    registers,
    collect() {
      this.set(7);
    },
  });
  const jobs = new Counter({
    name: `${PREFIX}jobs_total`,
    help: 'Jobs done.',
    labelNames: ['queue', 'service'],
    registers,
  });
  jobs.inc({ queue: 'a\\b "c"\nd', service: 'override' }, 3);
  jobs.inc({ queue: '' }, 0.5);
  const legacy = new Counter({ name: `${PREFIX}legacy`, help: 'No suffix.', registers });
  legacy.inc(2);
  new Counter({ name: `${PREFIX}unused_total`, help: 'Never incremented.', registers });
  new Counter({
    name: `${PREFIX}labelled_total`,
    help: 'No series.',
    labelNames: ['x'],
    registers,
  });
  const temp = new Gauge({
    name: `${PREFIX}temp`,
    help: 'Help with \\ backslash\nand a newline, and a trailing space ',
    labelNames: ['room'],
    registers,
  });
  temp.set({ room: 'kitchen' }, 21.5);
  temp.set({ room: 'void' }, Number.NaN);
  temp.set({ room: 'cold' }, -Infinity);
  const latency = new Histogram({
    name: `${PREFIX}latency_seconds`,
    help: 'Latency.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.01, 0.1, 1],
    registers,
  });
  latency.observe({ method: 'GET', route: '/users/:id', status_code: '200' }, 0.05);
  latency.observe({ method: 'POST', route: '/a"b', status_code: '500' }, 2);
  const sizes = new Summary({
    name: `${PREFIX}sizes_bytes`,
    help: 'Sizes.',
    labelNames: ['kind'],
    percentiles: [0.5, 0.99],
    registers,
  });
  sizes.observe({ kind: 'json' }, 120);
  sizes.observe({ kind: 'json' }, 80);
  return registry;
}

function largeRegistry(series: number): Registry {
  const registry = new Registry();
  const counter = new Counter({
    name: 'requests_total',
    help: 'Requests.',
    labelNames: ['route'],
    registers: [registry],
  });
  const gauges = Array.from(
    { length: 50 },
    (_, i) =>
      new Gauge({ name: `g${i}`, help: 'Gauge.', labelNames: ['route'], registers: [registry] }),
  );
  for (let i = 0; i < series; i++) {
    counter.inc({ route: `/r/${i}` });
    gauges[i % gauges.length].set({ route: `/r/${i}` }, i);
  }
  return registry;
}

describe('renderExposition', () => {
  it('gives the bytes of registry.metrics() in the Prometheus text format', async () => {
    const registry = richRegistry();
    const expected = await registry.metrics();
    expect(await renderExposition(registry, 'prometheus')).toBe(expected);
    // Even when it yields before every family.
    expect(await renderExposition(registry, 'prometheus', { sliceMs: 0 })).toBe(expected);
  });

  it('gives the bytes of toOpenMetrics(registry.metrics()) in OpenMetrics', async () => {
    const registry = richRegistry();
    const expected = toOpenMetrics(await registry.metrics());
    expect(expected).toContain('# TYPE app_jobs counter\n');
    expect(expected).toContain('app_legacy_total{');
    expect(await renderExposition(registry, 'openmetrics')).toBe(expected);
    expect(await renderExposition(registry, 'openmetrics', { sliceMs: 0 })).toBe(expected);
  });

  it('matches for an empty registry and for one in the OpenMetrics content type', async () => {
    const empty = new Registry();
    expect(await renderExposition(empty, 'prometheus')).toBe(await empty.metrics());
    expect(await renderExposition(empty, 'openmetrics')).toBe(toOpenMetrics(await empty.metrics()));
    const open = richRegistry();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const again = richRegistry();
    again.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    expect(await renderExposition(open, 'prometheus')).toBe(await again.metrics());
  });

  it('matches with default labels named le or like an array index', async () => {
    const registry = richRegistry();
    registry.setDefaultLabels({ le: 'x', 7: 'seven', service: 'api' });
    expect(await renderExposition(registry, 'prometheus', { sliceMs: 0 })).toBe(
      await registry.metrics(),
    );
  });

  it('yields inside a single large histogram family', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      registers: [registry],
    });
    for (let i = 0; i < 2_000; i++) histogram.observe({ route: `/r/${i}` }, i / 1000);
    let done = false;
    let turns = 0;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const text = await renderExposition(registry, 'prometheus', { sliceMs: 0 });
    done = true;
    // Between families alone there would be one turn at most: this family has just one.
    expect(turns).toBeGreaterThan(10);
    expect(text).toBe(await registry.metrics());
  });

  it('yields to the event loop while it renders a large registry', async () => {
    const registry = largeRegistry(20_000);
    const order: string[] = [];
    const scrape = renderExposition(registry, 'prometheus', { sliceMs: 1 }).then(() =>
      order.push('scrape'),
    );
    setImmediate(() => order.push('immediate'));
    await scrape;
    expect(order).toEqual(['immediate', 'scrape']);
  });

  it('registry.metrics() itself does not yield (the behaviour this replaces)', async () => {
    const registry = largeRegistry(2_000);
    const order: string[] = [];
    const scrape = registry.metrics().then(() => order.push('scrape'));
    setImmediate(() => order.push('immediate'));
    await scrape;
    expect(order).toEqual(['scrape']);
  });
});

describe('renderExpositionChunks and writeChunks', () => {
  /** A response that records what it is given. */
  const response = () => {
    const res = {
      headers: {} as Record<string, unknown>,
      writes: [] as (string | Buffer)[],
      ended: false,
      setHeader: (name: string, value: unknown) => (res.headers[name] = value),
      write: (chunk: string | Buffer) => res.writes.push(chunk),
      end: () => (res.ended = true),
    };
    return res;
  };

  it.each(['prometheus', 'openmetrics'] as const)(
    'writes the exposition of a large registry in %s, in several writes, with its byte length',
    async (format) => {
      const registry = largeRegistry(20_000);
      new Histogram({
        name: 'h_seconds',
        help: 'H é.',
        labelNames: ['route'],
        registers: [registry],
      }).observe({ route: '/é' }, 1);
      const expected = await renderExposition(registry, format);
      expect(expected).toBe(
        format === 'prometheus'
          ? await registry.metrics()
          : toOpenMetrics(await registry.metrics()),
      );
      // As text, and encoded as it is rendered (what the metrics server writes).
      for (const encode of [false, true]) {
        const chunks = await renderExpositionChunks(registry, format, { encode });
        expect(chunks.some((chunk) => Buffer.isBuffer(chunk))).toBe(encode);
        const res = response();
        await writeChunks(res, chunks);
        expect(res.writes.length).toBeGreaterThan(5);
        expect(res.writes.join('')).toBe(expected);
        expect(res.headers['Content-Length']).toBe(Buffer.byteLength(expected));
        expect(res.ended).toBe(true);
      }
    },
  );

  it('yields to the event loop between writes', async () => {
    const chunks = await renderExpositionChunks(largeRegistry(20_000), 'prometheus');
    const res = response();
    const seen: number[] = [];
    let done = false;
    const tick = (): void => {
      if (done) return;
      seen.push(res.writes.length);
      setImmediate(tick);
    };
    setImmediate(tick);
    await writeChunks(res, chunks, { sliceMs: 0 });
    done = true;
    // Other work ran while part of the body was written and part was not.
    expect(seen.some((writes) => writes > 0 && writes < res.writes.length)).toBe(true);
  });

  it('for HEAD, sets the length and writes no body', async () => {
    const res = response();
    await writeChunks(res, ['a', 'é\n'], { head: true });
    expect(res.headers['Content-Length']).toBe(4);
    expect(res.writes).toEqual([]);
    expect(res.ended).toBe(true);
  });
});

describe('familyToOpenMetrics', () => {
  it('rewrites each family of any shape as toOpenMetrics rewrites it in a whole text', () => {
    const families = [
      '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\na_total 2',
      '# HELP b B.\n# TYPE b counter\nb{x="1"} 1\nb 2',
      '# HELP c C. \n# TYPE c untyped\nc 1',
      '# HELP d \n# TYPE d gauge',
      '# HELP e_total E.\n# TYPE e_total counter',
      '# HELP f F.\n# TYPE f histogram\nf_bucket{le="+Inf"} 1\nf_sum 0.2\nf_count 1',
      'weird 1\n\n# comment\nweird 2',
    ];
    const whole = `${families.join('\n\n')}\n`;
    expect(`${families.map(familyToOpenMetrics).join('')}# EOF\n`).toBe(toOpenMetrics(whole));
  });
});
