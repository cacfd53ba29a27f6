import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { MetricsRegistry } from '../../metrics/metrics-registry';

/**
 * The metrics registry (`metrics_registry`): up when a full collection of the module's registry
 * (what a Prometheus scrape runs) succeeds. A collector that throws makes it down with its
 * message; one that hangs is cut by the check's timeout.
 */
export class MetricsRegistryHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: MetricsRegistry,
  ) {}

  /** Collects the registry once. */
  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    try {
      await this.registry.metrics();
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error)?.message ?? String(error) });
    }
  }
}
