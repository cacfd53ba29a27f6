import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  Counter,
  Gauge,
  Histogram,
  type Metric,
  register as globalRegistry,
  Summary,
} from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Prefix of the provider tokens made by `@willsoto/nestjs-prometheus`'s `make*Provider()`. */
const WILLSOTO_TOKEN_PREFIX = 'PROM_METRIC_';

const isMetric = (value: unknown): value is Metric =>
  value instanceof Counter ||
  value instanceof Gauge ||
  value instanceof Histogram ||
  value instanceof Summary;

/**
 * Serves metrics declared with `@willsoto/nestjs-prometheus` (`makeCounterProvider()` and
 * friends, injected with `@InjectMetric()`) from this module's registry and endpoint.
 *
 * Those providers create their metric on prom-client's global registry. Once it is served
 * here, it is taken off the global registry, so a second application in the same process
 * creates a metric of its own instead of sharing (and double-counting) this one.
 */
@Injectable()
export class WillsotoMetricsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: MetricsRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { token, instance } = wrapper;
      if (typeof token !== 'string' || !token.startsWith(WILLSOTO_TOKEN_PREFIX)) continue;
      if (!isMetric(instance)) continue;
      this.metrics.adopt(instance);
      const name = (instance as unknown as { name: string }).name;
      if (globalRegistry.getSingleMetric(name) === instance)
        globalRegistry.removeSingleMetric(name);
    }
  }
}
