import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { MetricsRegistry } from '../../metrics/metrics-registry';

/** How long a registry collection's outcome is reused. */
export const METRICS_REGISTRY_CHECK_TTL_MS = 10_000;

/**
 * The metrics registry (`metrics_registry`): up when a full collection of the module's registry
 * (what a Prometheus scrape runs) succeeds. A collector that throws makes it down with its
 * message; one that hangs is cut by the check's timeout.
 *
 * A collection costs as much as a scrape (tens of milliseconds of blocked event loop at 10k
 * series), so its outcome is reused for {@link METRICS_REGISTRY_CHECK_TTL_MS}: however often
 * `/health/detailed` is called, the registry is collected at most once per period.
 */
export class MetricsRegistryHealthIndicator {
  private last: { at: number; error: string | undefined } | undefined;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: MetricsRegistry,
    private readonly ttlMs = METRICS_REGISTRY_CHECK_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Collects the registry, or reuses the outcome of a collection made within the period. */
  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    const last = this.last;
    const fresh = last !== undefined && this.now() - last.at < this.ttlMs;
    const error = fresh ? last.error : await this.collect();
    return error === undefined ? session.up() : session.down({ message: error });
  }

  private async collect(): Promise<string | undefined> {
    let error: string | undefined;
    try {
      await this.registry.metrics();
    } catch (thrown) {
      error = (thrown as Error)?.message ?? String(thrown);
    }
    this.last = { at: this.now(), error };
    return error;
  }
}
