import type { Counter, Gauge, Histogram } from 'prom-client';
import { type AlertClock, systemClock } from '../alerting/alert-clock';
import type { AIRequestEvent } from '../metrics/kpi.types';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { AiCostWindows, type CostSpikeEvent } from './ai-cost-windows';

const UNKNOWN = 'unknown';
const orUnknown = (value: unknown): string =>
  value === undefined || value === null || value === '' ? UNKNOWN : (value as string);

/**
 * The AI provider metrics of one registry, under the names `kpi.ai.naming` selects, and the
 * cost windows with their spike detector when `kpi.ai.costWindows` is set.
 *
 * @internal Reached through `trackAiRequest()`.
 */
export class AiMetrics {
  private readonly openai: boolean;
  private readonly duration: Histogram<string>;
  private readonly requests: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly cost: Counter<string> | Gauge<string>;
  private readonly windows: AiCostWindows | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    onSpike: (event: CostSpikeEvent) => void,
    clock: AlertClock = systemClock,
  ) {
    const { ai } = metrics.options.kpi;
    this.openai = ai.naming === 'openai';
    const M = MetricCatalog;
    this.duration = metrics.fromCatalog(
      this.openai ? M.openaiRequestDuration : M.aiRequestDuration,
    );
    this.requests = metrics.fromCatalog(this.openai ? M.openaiRequests : M.aiRequests);
    this.errors = metrics.fromCatalog(this.openai ? M.openaiRequestErrors : M.aiRequestErrors);
    this.cost = this.openai ? metrics.fromCatalog(M.openaiCost) : metrics.fromCatalog(M.aiCost);
    if (ai.costWindows.length > 0) {
      const windows = new AiCostWindows(
        ai.costWindows,
        ai.baselineWindows,
        ai.costSpike,
        clock,
        onSpike,
      );
      this.windows = windows;
      // Each gauge writes both at scrape time: prom-client serialises a metric without a
      // collect hook before the hooks of the metrics registered after it have run.
      const gauges: { current?: Gauge<string>; baseline?: Gauge<string> } = {};
      const collect = (): void => {
        if (gauges.current && gauges.baseline) windows.collect(gauges.current, gauges.baseline);
      };
      gauges.current = metrics.fromCatalog(M.aiCostCurrent, { collect });
      gauges.baseline = metrics.fromCatalog(M.aiCostBaseline, { collect });
    }
  }

  /** Records one call: duration, count, errors, cost, and the cost windows. */
  record(event: AIRequestEvent): void {
    if (typeof event !== 'object' || event === null) {
      this.metrics.drop('invalid_kpi', 'trackAIRequest needs an object { provider, model, ... }');
      return;
    }
    const { provider, model, operation, durationSeconds, status, errorType, costCents } = event;
    const base: Record<string, string> = {
      model: orUnknown(model),
      operation: orUnknown(operation),
    };
    if (!this.openai) base.provider = orUnknown(provider);
    const withStatus = { ...base, status: orUnknown(status) };
    this.requests.inc(this.openai ? base : withStatus);
    this.duration.observe(withStatus, durationSeconds);
    if (status === 'error') this.errors.inc({ ...base, error_type: orUnknown(errorType) });
    if (costCents === undefined) return;
    // A negative cost would lower the openai_cost_cents gauge: refused like the counter does.
    if (typeof costCents !== 'number' || !Number.isFinite(costCents) || costCents < 0) {
      this.metrics.drop(
        'invalid_value',
        `costCents must be a finite number >= 0, got ${String(costCents)}`,
      );
      return;
    }
    this.cost.inc(base, costCents);
    if (this.windows && costCents > 0) this.windows.add(costCents);
  }

  /** Stops the spike detector's timers. */
  close(): void {
    this.windows?.close();
  }
}
