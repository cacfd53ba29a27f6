import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { exemplarsOf, exemplarText } from './exemplar-store';
import { familyToOpenMetrics } from './openmetrics';

/** The two exposition formats `/metrics` serves. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** How often a scrape hands the event loop back to other work. */
export interface ExpositionOptions {
  /**
   * Milliseconds of work after which the scrape yields (`setImmediate`), so that requests
   * served by the same process wait about this long at most.
   * @default 1
   */
  sliceMs?: number;
}

/** What {@link renderExpositionChunks} takes besides the slice length. */
export interface ChunkOptions extends ExpositionOptions {
  /** Encode the sample chunks to UTF-8 as they are made (for a response, see {@link writeChunks}). */
  encode?: boolean;
}

const DEFAULT_SLICE_MS = 1;
/** Samples formatted between two looks at the clock. */
const SAMPLES_PER_CHECK = 64;

type Labels = Record<string, string | number | undefined>;
/** One sample as prom-client's `get()`/`getForPromString()` return it. */
interface Sample {
  value: number;
  labels?: Labels;
  sharedLabels?: Labels;
  metricName?: string;
}
interface Family {
  name: string;
  help: string;
  type: string;
  values?: Sample[];
}
/** A registered metric: `get()` is public; histograms also have `getForPromString()`. */
interface Collectable {
  name: string;
  get(): Promise<unknown>;
  getForPromString?: () => Promise<unknown>;
}

/** A piece of an exposition: text, or text already encoded as UTF-8. */
export type ExpositionChunk = string | Buffer;

/**
 * Text built from many small pieces. `+=` would keep one string object per piece alive until the
 * end (a rope), and every young-generation GC during the scrape would copy them all, holding the
 * event loop for milliseconds; joining the pieces every few dozen lines keeps a few flat chunks.
 * When `encode` is set, each chunk is encoded to UTF-8 as soon as it is joined: the bytes live
 * outside the JavaScript heap, so the megabytes of a large scrape never survive (and are never
 * copied by) the garbage collections that run while it yields.
 */
class Lines {
  private pieces: string[] = [];
  private readonly chunks: ExpositionChunk[] = [];

  constructor(private readonly encode = false) {}

  add(piece: string): void {
    this.pieces.push(piece);
  }

  flush(): void {
    if (this.pieces.length === 0) return;
    const text = this.pieces.join('');
    this.chunks.push(this.encode ? Buffer.from(text, 'utf8') : text);
    this.pieces = [];
  }

  /** The text as flat chunks, never joined into one string. */
  parts(): ExpositionChunk[] {
    this.flush();
    return this.chunks;
  }
}

/** The text of `chunks`, whatever their form. */
const textOf = (chunks: readonly ExpositionChunk[]): string =>
  chunks.every((chunk) => typeof chunk === 'string')
    ? chunks.join('')
    : chunks.map((chunk) => chunk.toString()).join('');

/** `chunk` without its first character, a line break (one byte in UTF-8). */
const withoutFirst = (chunk: ExpositionChunk): ExpositionChunk =>
  typeof chunk === 'string' ? chunk.slice(1) : chunk.subarray(1);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Measures the current slice of work and yields once it has lasted `sliceMs`. */
class Slicer {
  private start = performance.now();
  constructor(private readonly sliceMs: number) {}

  /** Whether the slice has run its time. */
  due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }

  async pause(): Promise<void> {
    if (!this.due()) return;
    await nextTurn();
    this.start = performance.now();
  }
}

/**
 * Renders `registry` in the Prometheus text format or in OpenMetrics 1.0, yielding to the event
 * loop whenever a slice of work has run `sliceMs`, between and within metric families.
 *
 * The bytes are those of `registry.metrics()` (and of `toOpenMetrics` applied to them), but
 * `metrics()` formats every family in one run of microtasks, which at tens of thousands of
 * series holds the event loop for tens of milliseconds. Here each family is read with its public
 * `get()` (which runs its `collect()`) and formatted sample by sample the way prom-client's
 * `getMetricsAsString` does, so a scrape can pause inside a family too. Histograms, whose
 * `get()` alone builds every sample of the family at once, are read from their state series by
 * series instead, and written without the per-sample objects, which also halves the CPU cost.
 * This leans on prom-client's private fields (`_defaultLabels`, a histogram's `hashMap` and
 * `upperBounds`), so a self-check against `registry.metrics()` runs once per process; when it
 * fails (another prom-client version), or the fields are missing, each family is formatted by
 * prom-client (`getSingleMetricAsString`) instead, pausing only between families. OpenMetrics is
 * written per family rather than by re-parsing the whole text, so it costs about what the text
 * does.
 *
 * Families are collected one after another, not all at once as `metrics()` does, so a
 * `collect()` that awaits I/O delays the families after it. A counter or gauge sample is read
 * when it is formatted, so one scrape's samples may be up to a few slices apart in time (each
 * histogram or summary series is read at once, so its buckets, sum and count agree).
 */
export async function renderExposition(
  registry: Registry,
  format: ExpositionFormat,
  options: ExpositionOptions = {},
): Promise<string> {
  return textOf(await renderExpositionChunks(registry, format, options));
}

/**
 * {@link renderExposition} as the flat chunks (a few kilobytes each) whose concatenation is the
 * exposition: joining megabytes into one string cannot be sliced, writing chunks to the response
 * one slice at a time can (see {@link writeChunks}).
 */
export async function renderExpositionChunks(
  registry: Registry,
  format: ExpositionFormat,
  options: ChunkOptions = {},
): Promise<ExpositionChunk[]> {
  // A registry switched to OpenMetrics renames its counters as it renders: leave that to it.
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return [await registry.metrics()];
  const slicer = new Slicer(options.sliceMs ?? DEFAULT_SLICE_MS);
  const defaultLabels = (await formatterAgrees()) ? defaultLabelsOf(registry) : undefined;
  const openMetrics = format === 'openmetrics';
  const encode = options.encode === true;
  const out: ExpositionChunk[] = [];
  let first = true;
  for (const metric of registry.getMetricsAsArray() as unknown as Collectable[]) {
    await slicer.pause();
    // The text format separates families with a blank line; OpenMetrics does not.
    if (!openMetrics && !first) out.push('\n\n');
    first = false;
    if (!defaultLabels) {
      const text = await registry.getSingleMetricAsString(metric.name);
      out.push(openMetrics ? familyToOpenMetrics(text) : text);
      continue;
    }
    const { header, samples, plain } = await formatFamily(
      metric,
      defaultLabels,
      slicer,
      openMetrics,
      encode,
    );
    if (!openMetrics) {
      out.push(header, ...samples);
    } else if (plain && samples.length > 0) {
      // Only the header changes: spare the samples a scan of what can be megabytes.
      out.push(familyToOpenMetrics(header), withoutFirst(samples[0]), ...samples.slice(1), '\n');
    } else {
      out.push(familyToOpenMetrics(header + textOf(samples)));
    }
  }
  out.push(openMetrics ? '# EOF\n' : '\n');
  return out;
}

/**
 * Writes `chunks` to `res` (whose headers are set), about 64 KB per `write`, handing the event
 * loop back whenever a slice of work has lasted `sliceMs`, then ends it. `Content-Length` is set
 * first, from the chunks' byte lengths.
 */
export async function writeChunks(
  res: {
    setHeader(name: string, value: number): unknown;
    write(chunk: string | Buffer): unknown;
    end(): unknown;
  },
  chunks: readonly ExpositionChunk[],
  options: ExpositionOptions & { head?: boolean } = {},
): Promise<void> {
  const slicer = new Slicer(options.sliceMs ?? DEFAULT_SLICE_MS);
  let length = 0;
  for (let i = 0; i < chunks.length; i++) {
    length += Buffer.byteLength(chunks[i]);
    if (i % 64 === 63) await slicer.pause();
  }
  res.setHeader('Content-Length', length);
  if (options.head) {
    res.end();
    return;
  }
  let batch: ExpositionChunk[] = [];
  let size = 0;
  const flush = (): void => {
    res.write(
      batch.every((chunk) => typeof chunk === 'string')
        ? batch.join('')
        : Buffer.concat(
            batch.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)),
          ),
    );
    batch = [];
    size = 0;
  };
  for (const chunk of chunks) {
    batch.push(chunk);
    size += chunk.length;
    if (size < WRITE_SIZE) continue;
    flush();
    await slicer.pause();
  }
  if (batch.length > 0) flush();
  res.end();
}

/** Characters (or bytes) per `write` of a streamed exposition. */
const WRITE_SIZE = 64 * 1024;

/** The registry's default labels, or `undefined` when prom-client no longer keeps them there. */
function defaultLabelsOf(registry: Registry): Labels | undefined {
  const labels = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  return typeof labels === 'object' && labels !== null ? (labels as Labels) : undefined;
}

/** prom-client's private state of a histogram (what its `getForPromString()` reads). */
interface HistogramState {
  name: string;
  help: string;
  type: string;
  hashMap: Record<
    string,
    { labels: Labels; bucketValues: Record<string, number>; sum: number; count: number }
  >;
  upperBounds: number[];
  collect?: () => unknown;
}

function histogramState(metric: Collectable): HistogramState | undefined {
  if (!(metric instanceof Histogram)) return undefined;
  const state = metric as unknown as Partial<HistogramState>;
  const ok =
    typeof state.hashMap === 'object' &&
    state.hashMap !== null &&
    Array.isArray(state.upperBounds) &&
    typeof state.name === 'string' &&
    typeof state.help === 'string' &&
    typeof state.type === 'string';
  return ok ? (state as HistogramState) : undefined;
}

/** Default label names that would make the histogram shortcut's label order differ. */
const AWKWARD_DEFAULT = /^(?:le|0|[1-9]\d*)$/;

/**
 * A histogram's lines, series by series, as `getMetricsAsString` writes what its
 * `getForPromString()` lists. That method builds every sample of the family in one go
 * (milliseconds for a few thousand series), so its state is read here instead, one series at a
 * time (each series whole, so its buckets, sum and count agree).
 */
async function histogramLines(
  state: HistogramState,
  defaults: Labels | undefined,
  slicer: Slicer,
  openMetrics: boolean,
  encode: boolean,
): Promise<ExpositionChunk[]> {
  // Exemplars exist only in OpenMetrics, and only for histograms a traced process recorded.
  const exemplars = openMetrics ? exemplarsOf(state) : undefined;
  const bucket = `${state.name}_bucket`;
  const sumName = `${state.name}_sum`;
  const countName = `${state.name}_count`;
  const simple = !defaults || !Object.keys(defaults).some((key) => AWKWARD_DEFAULT.test(key));
  const series = Object.values(state.hashMap);
  const out = new Lines(encode);
  for (let i = 0; i < series.length; i++) {
    if (i % 8 === 7) {
      out.flush();
      if (slicer.due()) await slicer.pause();
    }
    const { labels, bucketValues, sum, count } = series[i];
    if (!simple || hasOwn.call(labels, 'le')) {
      out.add(histogramSeriesLines(state, series[i], defaults));
      continue;
    }
    // `{ le, ...defaults, le }` without the labels the series sets itself, then the series'.
    const own = defaults ? formatLabels(defaults, labels) : '';
    const shared = flattenShared(labels);
    const rest = own === '' ? shared : shared === '' ? own : `${own},${shared}`;
    const tail = rest === '' ? '}' : `,${rest}}`;
    let total = 0;
    const seen = exemplars?.get(series[i]);
    if (seen) {
      const bounds = state.upperBounds;
      for (let b = 0; b < bounds.length; b++) {
        total += bucketValues[bounds[b]];
        const exemplar = seen[b];
        const suffix = exemplar ? exemplarText(exemplar) : '';
        out.add(`\n${bucket}{le="${bounds[b]}"${tail} ${valueString(total)}${suffix}`);
      }
      const last = seen[bounds.length];
      out.add(
        `\n${bucket}{le="+Inf"${tail} ${valueString(count)}${last ? exemplarText(last) : ''}`,
      );
    } else {
      for (const upperBound of state.upperBounds) {
        total += bucketValues[upperBound];
        out.add(`\n${bucket}{le="${upperBound}"${tail} ${valueString(total)}`);
      }
      out.add(`\n${bucket}{le="+Inf"${tail} ${valueString(count)}`);
    }
    const braces = rest === '' ? '' : `{${rest}}`;
    out.add(
      `\n${sumName}${braces} ${valueString(sum)}\n${countName}${braces} ${valueString(count)}`,
    );
  }
  return out.parts();
}

/** One histogram series through the general sample path (for awkward default labels). */
function histogramSeriesLines(
  state: HistogramState,
  series: HistogramState['hashMap'][string],
  defaults: Labels | undefined,
): string {
  const bucket = `${state.name}_bucket`;
  const { labels: sharedLabels, bucketValues, sum, count } = series;
  let total = 0;
  const samples: Sample[] = state.upperBounds.map((upperBound) => {
    total += bucketValues[upperBound];
    return { labels: { le: upperBound }, value: total, metricName: bucket, sharedLabels };
  });
  samples.push(
    { labels: { le: '+Inf' }, value: count, metricName: bucket, sharedLabels },
    { labels: {}, value: sum, metricName: `${state.name}_sum`, sharedLabels },
    { labels: {}, value: count, metricName: `${state.name}_count`, sharedLabels },
  );
  let out = '';
  for (const sample of samples) out += sampleLine(sample, state.name, defaults);
  return out;
}

/** A sample's line, with its leading line break, as `getMetricsAsString` writes it. */
function sampleLine(sample: Sample, name: string, defaults: Labels | undefined): string {
  let labels = sample.labels ?? {};
  const shared = sample.sharedLabels ?? {};
  if (defaults) labels = { ...labels, ...defaults, ...labels };
  let parts = formatLabels(labels, shared);
  const flattened = flattenShared(shared);
  if (flattened !== '') parts = parts === '' ? flattened : `${parts},${flattened}`;
  const braces = parts === '' ? '' : `{${parts}}`;
  return `\n${sample.metricName ?? name}${braces} ${valueString(sample.value)}`;
}

/**
 * A family's text as prom-client's `getMetricsAsString` writes it in the Prometheus format: its
 * `# HELP` and `# TYPE` lines, and its samples, each after a line break.
 */
interface FamilyText {
  header: string;
  /** The sample lines, in flat chunks. */
  samples: ExpositionChunk[];
  /** The samples are plain sample lines, which the OpenMetrics rewrite leaves as they are. */
  plain: boolean;
}

/** One family as prom-client's `getMetricsAsString` writes it in the Prometheus format. */
async function formatFamily(
  metric: Collectable,
  defaultLabels: Labels,
  slicer: Slicer,
  openMetrics = false,
  encode = false,
): Promise<FamilyText> {
  const defaults = Object.keys(defaultLabels).length > 0 ? defaultLabels : undefined;
  const histogram = histogramState(metric);
  if (histogram) {
    if (histogram.collect) {
      const pending = histogram.collect();
      if (pending instanceof Promise) await pending;
    }
    const name = escapeString(histogram.name);
    const header = `# HELP ${name} ${escapeString(histogram.help)}\n# TYPE ${name} ${histogram.type}`;
    return {
      header,
      samples: await histogramLines(histogram, defaults, slicer, openMetrics, encode),
      plain: true,
    };
  }
  const data = (await (metric.getForPromString
    ? metric.getForPromString()
    : metric.get())) as Family;
  const name = escapeString(data.name);
  const header = `# HELP ${name} ${escapeString(data.help)}\n# TYPE ${name} ${data.type}`;
  const out = new Lines(encode);
  const values = data.values ?? [];
  for (let i = 0; i < values.length; i++) {
    if (i % SAMPLES_PER_CHECK === SAMPLES_PER_CHECK - 1) {
      out.flush();
      if (slicer.due()) await slicer.pause();
    }
    out.add(sampleLine(values[i], name, defaults));
  }
  // OpenMetrics renames the samples of a counter not named `…_total`; any other family's sample
  // lines are the same in both formats.
  return {
    header,
    samples: out.parts(),
    plain: data.type !== 'counter' || name.endsWith('_total'),
  };
}

const hasOwn = Object.prototype.hasOwnProperty;

function formatLabels(labels: Labels, exclude?: Labels): string {
  let out = '';
  for (const key of Object.keys(labels)) {
    if (exclude && hasOwn.call(exclude, key)) continue;
    const value = labels[key];
    const text = `${key}="${typeof value === 'string' ? escapeLabelValue(value) : value}"`;
    out = out === '' ? text : `${out},${text}`;
  }
  return out;
}

const sharedCache = new WeakMap<Labels, string>();
function flattenShared(labels: Labels): string {
  let flattened = sharedCache.get(labels);
  if (flattened === undefined) {
    flattened = formatLabels(labels);
    sharedCache.set(labels, flattened);
  }
  return flattened;
}

const NEEDS_ESCAPE = /[\\\n"]/;
function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeString(value).replace(/"/g, '\\"') : value;
}

function escapeString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** prom-client's `getValueAsString`. */
function valueString(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

let agreement: Promise<boolean> | undefined;

/**
 * Whether {@link formatFamily} writes what this prom-client's `metrics()` writes, for every
 * metric type with default labels, shared histogram labels and characters that need escaping.
 * Checked once per process.
 */
function formatterAgrees(): Promise<boolean> {
  agreement ??= (async () => {
    try {
      const registry = new Registry();
      registry.setDefaultLabels({ service: 'a\\b"c\nd', status: 'default' });
      const registers = [registry];
      const labelNames = ['route', 'status'];
      const counter = new Counter({ name: 'c_total', help: 'C\\\n.', labelNames, registers });
      counter.inc({ route: '/a"b\\c\nd', status: 200 }, 2);
      new Counter({ name: 'plain', help: 'P', registers }).inc(0.5);
      const gauge = new Gauge({ name: 'g', help: 'G ', labelNames, registers });
      gauge.set({ route: '' }, Number.NaN);
      gauge.set({ route: 'x' }, -Infinity);
      const histogram = new Histogram({ name: 'h', help: 'H', labelNames, registers });
      histogram.observe({ route: '/', status: '500' }, 0.3);
      histogram.observe(2);
      const summary = new Summary({ name: 's', help: 'S', labelNames, registers });
      summary.observe({ route: '/' }, 1);
      const defaults = defaultLabelsOf(registry);
      if (!defaults) return false;
      const families: string[] = [];
      const slicer = new Slicer(Number.POSITIVE_INFINITY);
      for (const metric of registry.getMetricsAsArray() as unknown as Collectable[]) {
        const { header, samples } = await formatFamily(metric, defaults, slicer);
        families.push(header + textOf(samples));
      }
      return `${families.join('\n\n')}\n` === (await registry.metrics());
    } catch {
      return false;
    }
  })();
  return agreement;
}
