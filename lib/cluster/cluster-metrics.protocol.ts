import type { Registry } from 'prom-client';
import type { ActiveUsersSnapshot } from '../metrics/active-users.tracker';

/**
 * The IPC messages between the primary and its workers. They are our own rather than
 * prom-client's `prom-client:getMetricsReq/Res`: prom-client's primary listener throws on a
 * response to a request it did not send, so a second requester on its message types would crash
 * a primary that also runs prom-client's `clusterMetrics()`.
 *
 * @internal
 */
export const ClusterMessageType = {
  /** Primary to worker: send your metrics (`{ type, id }`). */
  request: 'nestjs-observability:cluster-metrics:request',
  /** Worker to primary: the metrics of request `id`, or the error collecting them. */
  response: 'nestjs-observability:cluster-metrics:response',
  /** Worker to primary: whether this worker exposes metrics now (`{ type, exposed }`). */
  ready: 'nestjs-observability:cluster-metrics:ready',
  /** Primary to worker: announce yourself (an aggregator created after the workers exposed). */
  discover: 'nestjs-observability:cluster-metrics:discover',
} as const;

/** A sample on the wire. JSON has no `Infinity` or `NaN`: those travel as strings. @internal */
export interface WireSample {
  value: number | string;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A metric on the wire: prom-client's `getMetricsAsJSON()` shape, without exemplars. @internal */
export interface WireMetric {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: WireSample[];
}

/** One worker's active-user sketch and the gauge it stands for. @internal */
export interface WireActiveUsers {
  metric: string;
  snapshot: ActiveUsersSnapshot;
}

/** @internal */
export interface MetricsRequestMessage {
  type: typeof ClusterMessageType.request;
  id: number;
}

/** @internal */
export interface MetricsResponseMessage {
  type: typeof ClusterMessageType.response;
  id: number;
  metrics?: WireMetric[];
  activeUsers?: WireActiveUsers[];
  error?: string;
}

/** @internal */
export interface ReadyMessage {
  type: typeof ClusterMessageType.ready;
  exposed: boolean;
}

/** Whether `message` is an object whose `type` is `type`. @internal */
export function isMessage<T extends { type: string }>(
  message: unknown,
  type: T['type'],
): message is T {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
  );
}

/** A sample value that survives JSON. @internal */
export function encodeValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** The number a wire value stands for (`NaN` for anything unreadable). @internal */
export function decodeValue(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** prom-client's `getMetricsAsJSON()` result. */
type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * `getMetricsAsJSON()` output as it travels: non-finite values as strings, exemplars dropped
 * (prom-client's aggregation drops them anyway). @internal
 */
export function toWireMetrics(json: MetricsJson): WireMetric[] {
  return json.map((metric) => ({
    name: metric.name,
    help: metric.help,
    type: String(metric.type),
    aggregator: metric.aggregator,
    values: metric.values.map((sample) => {
      const { metricName } = sample as { metricName?: string };
      return {
        value: encodeValue(sample.value),
        labels: sample.labels as Record<string, string | number>,
        ...(metricName === undefined ? {} : { metricName }),
      };
    }),
  }));
}
