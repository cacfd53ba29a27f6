import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Metric,
  Registry,
  Summary,
  type SummaryConfiguration,
} from 'prom-client';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import { Messages } from '../observability.messages';
import { GuardedCounter, GuardedGauge, GuardedHistogram, GuardedSummary } from './guarded-metrics';
import type { MetricDefinition, MetricKind } from './metric-catalog';
import { MetricCatalog } from './metric-catalog';
import { counterFastPath, histogramFastPath, promClientVersion } from './prom-client-fast-path';
import type { DropReason, GuardHooks } from './series-guard';
import {
  type ExpositionChunk,
  type ExpositionFormat,
  renderExposition,
  renderExpositionChunks,
} from './exposition';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Configuration of a metric created through the registry: prom-client's, without `registers`. */
export type MetricConfig<K extends MetricKind, T extends string> = Omit<
  K extends 'counter'
    ? CounterConfiguration<T>
    : K extends 'gauge'
      ? GaugeConfiguration<T>
      : K extends 'histogram'
        ? HistogramConfiguration<T>
        : SummaryConfiguration<T>,
  'registers' | 'enableExemplars'
>;

/** The prom-client metric class of each kind. */
export type MetricOf<K extends MetricKind, T extends string> = K extends 'counter'
  ? Counter<T>
  : K extends 'gauge'
    ? Gauge<T>
    : K extends 'histogram'
      ? Histogram<T>
      : Summary<T>;

interface Shape {
  kind: MetricKind;
  labelNames: string[];
}

function kindOf(metric: Metric): MetricKind | undefined {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Summary) return 'summary';
  return undefined;
}

function describeShape(shape: Shape): string {
  return `a ${shape.kind} with labels [${shape.labelNames.join(', ')}]`;
}

/**
 * The metric registry of one `ObservabilityModule` instance. It owns a private prom-client
 * `Registry`, so two applications in one process never share or collide on metrics, and it
 * creates every metric validated and bounded (see `SeriesGuard`).
 *
 * @internal Users reach it through `CustomMetricsService`.
 */
export class MetricsRegistry implements GuardHooks {
  /** The prom-client registry every metric of this module instance lives in. */
  readonly registry = new Registry();
  readonly prefix: string;
  readonly maxSeries: number;

  private readonly logger: DiagnosticLogger;
  private readonly shapes = new Map<string, Shape>();
  private readonly warned = new Set<string>();
  private readonly droppedEvents: Counter<'reason'>;
  private readonly overflowEvents: Counter<'metric'>;

  constructor(
    readonly options: ResolvedObservabilityOptions,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Observability');
    const { metrics, service } = options;
    this.prefix = metrics.prefix;
    this.maxSeries = metrics.maxSeriesPerMetric;
    this.registry.setDefaultLabels({ ...metrics.defaultLabels, service });
    if (metrics.enabled && metrics.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: this.prefix });
    }
    // The internal counters are plain prom-client metrics: their label values are bounded
    // by construction, and guarding them would report drops into themselves.
    this.droppedEvents = this.createRaw(MetricCatalog.droppedEvents) as Counter<'reason'>;
    this.overflowEvents = this.createRaw(MetricCatalog.labelOverflow) as Counter<'metric'>;
    this.reportFastPath();
  }

  /** `name` with the configured prefix. */
  fullName(name: string): string {
    return this.prefix + name;
  }

  /**
   * Returns the metric named `config.name` (prefix added), creating it on first use.
   * The same name with the same type and label names returns the same metric; another
   * type or label set throws, naming both.
   */
  getOrCreate<K extends MetricKind, T extends string>(
    kind: K,
    config: MetricConfig<K, T>,
  ): MetricOf<K, T> {
    const name = this.fullName(config.name);
    if (!METRIC_NAME.test(name)) throw new Error(Messages.metricNameInvalid(name));
    const requested: Shape = { kind, labelNames: [...(config.labelNames ?? [])] };
    const existing = this.registry.getSingleMetric(name);
    if (existing) {
      const shape = this.shapes.get(name) ?? this.shapeOf(existing);
      const same =
        shape.kind === requested.kind &&
        shape.labelNames.length === requested.labelNames.length &&
        requested.labelNames.every((label) => shape.labelNames.includes(label));
      if (!same) {
        throw new Error(
          Messages.metricShapeMismatch(name, describeShape(shape), describeShape(requested)),
        );
      }
      return existing as MetricOf<K, T>;
    }
    this.refuseFamilyClash(name, kind);
    const full = {
      ...config,
      name,
      labelNames: requested.labelNames,
      registers: [this.registry],
    } as never;
    let metric: Metric;
    switch (kind) {
      case 'counter':
        metric = new GuardedCounter(full, this);
        break;
      case 'gauge':
        metric = new GuardedGauge(full, this);
        break;
      case 'histogram':
        metric = new GuardedHistogram(full, this);
        break;
      default:
        metric = new GuardedSummary(full, this);
    }
    this.shapes.set(name, requested);
    return metric as MetricOf<K, T>;
  }

  /** Returns the catalog metric `definition`, with bucket overrides from the options. */
  fromCatalog<K extends MetricKind>(
    definition: MetricDefinition & { type: K },
    extra?: Partial<MetricConfig<K, string>>,
  ): MetricOf<K, string> {
    const buckets = this.options.metrics.buckets[definition.name] ?? definition.buckets;
    return this.getOrCreate(definition.type, {
      name: definition.name,
      help: definition.help,
      labelNames: [...definition.labelNames],
      ...(buckets ? { buckets: [...buckets] } : {}),
      ...extra,
    } as MetricConfig<K, string>);
  }

  /**
   * Serves a metric created elsewhere (a `@willsoto/nestjs-prometheus` provider) from this
   * registry. Throws when its name is taken by another metric.
   */
  adopt(metric: Metric): void {
    const name = (metric as unknown as { name: string }).name;
    const current = this.registry.getSingleMetric(name);
    if (current === metric) return;
    if (current) throw new Error(Messages.metricNameTaken(name));
    this.refuseFamilyClash(name, (metric as unknown as { type: string }).type);
    this.registry.registerMetric(metric);
  }

  /**
   * Throws when `name` of type `kind` would share its OpenMetrics family with another metric:
   * a counter's family drops `_total`, so a counter `q_total` and a gauge `q` would both be
   * family `q`, which scrapers reject.
   */
  private refuseFamilyClash(name: string, kind: string): void {
    const family = openMetricsFamily(name, kind);
    for (const other of this.registry.getMetricsAsArray()) {
      const { name: otherName, type } = other as unknown as { name: string; type: string };
      if (otherName !== name && openMetricsFamily(otherName, type) === family) {
        throw new Error(Messages.metricFamilyClash(name, kind, otherName, type, family));
      }
    }
  }

  /** Counts a dropped event and logs the first one of each reason. */
  drop(reason: DropReason, detail: string): void {
    this.droppedEvents.inc({ reason });
    this.warnOnce(`drop:${reason}`, () => Messages.droppedEvent(reason, detail));
  }

  /** Counts an event folded into the overflow series and warns once per metric. */
  overflow(metricName: string): void {
    this.overflowEvents.inc({ metric: metricName });
    this.warnOnce(`overflow:${metricName}`, () =>
      Messages.labelOverflow(metricName, this.maxSeries),
    );
  }

  /** The exposition text in the Prometheus format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * The same bytes as {@link metrics} (or their OpenMetrics form), rendered in slices of about
   * a millisecond with a turn of the event loop between them, so that a scrape of a large
   * registry does not hold up the requests the process serves meanwhile. `/metrics` serves this.
   */
  exposition(format: ExpositionFormat): Promise<string> {
    return renderExposition(this.registry, format);
  }

  /**
   * {@link exposition} as flat chunks, most already encoded to UTF-8, for a response written one
   * slice at a time.
   */
  expositionChunks(format: ExpositionFormat): Promise<ExpositionChunk[]> {
    return renderExpositionChunks(this.registry, format, { encode: true });
  }

  /**
   * Empties the registry. Called last on shutdown, once the metrics server has closed, so that
   * scrapes during a graceful shutdown (and metrics recorded by shutdown hooks) still see
   * every series.
   */
  dispose(): void {
    this.registry.clear();
    this.shapes.clear();
  }

  /**
   * Warns once when prom-client failed the self-check of the fast path (checked once per
   * process; see `counterFastPath`): the metrics stay exact, for more CPU per event.
   */
  private reportFastPath(): void {
    const verdicts = [counterFastPath().verdict, histogramFastPath().verdict];
    void Promise.all(verdicts).then((results) => {
      const failures = results.filter((failure): failure is string => failure !== undefined);
      if (failures.length === 0) return;
      this.warnOnce('fast-path', () =>
        Messages.promClientFastPathOff(promClientVersion(), failures),
      );
    });
  }

  private warnOnce(key: string, message: () => string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message());
  }

  private shapeOf(metric: Metric): Shape {
    const labelNames = [...((metric as unknown as { labelNames?: string[] }).labelNames ?? [])];
    return { kind: kindOf(metric) ?? ('unknown' as MetricKind), labelNames };
  }

  private createRaw(definition: MetricDefinition): Metric {
    const config = {
      name: this.fullName(definition.name),
      help: definition.help,
      labelNames: [...definition.labelNames],
      registers: [this.registry],
    };
    this.shapes.set(config.name, { kind: definition.type, labelNames: config.labelNames });
    return new Counter(config);
  }
}

/** A metric's family name in OpenMetrics (a counter's drops its `_total`). */
function openMetricsFamily(name: string, kind: string): string {
  return kind === 'counter' ? name.replace(/_total$/, '') : name;
}
