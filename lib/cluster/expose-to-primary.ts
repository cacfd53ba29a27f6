import cluster from 'node:cluster';
import { AggregatorRegistry, register as globalRegistry, type Registry } from 'prom-client';
import { Messages } from '../observability.messages';
import {
  ClusterMessageType,
  isMessage,
  type MetricsRequestMessage,
  type MetricsResponseMessage,
  type WireActiveUsers,
  toWireMetrics,
} from './cluster-metrics.protocol';
import type { ClusterExposure, ExposeToPrimaryOptions } from './cluster-options.interface';

interface Exposure {
  registry: Registry;
  activeUsers: ExposeToPrimaryOptions['activeUsers'];
  activeUsersMetric: string;
}

/**
 * The registries this worker exposes. Module state, because the IPC channel it answers on is
 * one per process: one listener serves every exposed registry.
 */
const exposures = new Set<Exposure>();
/** Registries added to prom-client's process-global cluster list (`promClientCluster`). */
const promClientRegistries = new Set<Registry>();
let listening = false;

function send(message: object): void {
  if (!process.connected || !process.send) return;
  // The primary may be gone (it exits first on shutdown); its absence is not this worker's error.
  process.send(message, undefined, {}, () => undefined);
}

async function collect(id: number): Promise<MetricsResponseMessage> {
  const registries = new Set<Registry>();
  const activeUsers: WireActiveUsers[] = [];
  for (const exposure of exposures) {
    registries.add(exposure.registry);
    if (exposure.activeUsers) {
      activeUsers.push({
        metric: exposure.activeUsersMetric,
        snapshot: exposure.activeUsers(),
      });
    }
  }
  const metrics = (await Promise.all([...registries].map((r) => r.getMetricsAsJSON()))).flatMap(
    toWireMetrics,
  );
  return { type: ClusterMessageType.response, id, metrics, activeUsers };
}

function onMessage(message: unknown): void {
  if (isMessage(message, ClusterMessageType.discover)) {
    if (exposures.size > 0) send({ type: ClusterMessageType.ready, exposed: true });
    return;
  }
  if (!isMessage<MetricsRequestMessage>(message, ClusterMessageType.request)) return;
  const { id } = message;
  collect(id).then(send, (error: unknown) =>
    send({
      type: ClusterMessageType.response,
      id,
      error: (error as Error)?.message ?? String(error),
    } satisfies MetricsResponseMessage),
  );
}

/** Hands prom-client's process-global list the registries exposed with `promClientCluster`. */
function updatePromClientList(): void {
  AggregatorRegistry.setRegistries([globalRegistry, ...promClientRegistries]);
}

/**
 * Lets the primary process of a Node.js cluster collect `registry`: call it in every worker,
 * and run a {@link ClusterMetricsAggregator} in the primary, which serves every worker's
 * metrics aggregated in one scrape.
 *
 * It answers the primary over the worker's IPC channel, with messages of its own (several
 * registries exposed in one worker share one listener). In a process that is not a cluster
 * worker it does nothing (`active: false`), so the same bootstrap runs unclustered.
 *
 * The worker's own metrics server should stay off: in a cluster, a worker's `listen()` on the
 * metrics port would be shared with the other workers (each scrape would see one worker).
 *
 * @example
 * ```ts
 * // worker
 * const registry = new Registry();
 * const users = new ActiveUsersTracker(300);
 * const exposure = exposeToPrimary(registry, { activeUsers: () => users.snapshot() });
 * process.once('SIGTERM', () => exposure.close());
 * ```
 */
export function exposeToPrimary(
  registry: Registry,
  options: ExposeToPrimaryOptions = {},
): ClusterExposure {
  const { activeUsers, activeUsersMetric = 'active_users_total', promClientCluster } = options;
  if (activeUsers !== undefined && typeof activeUsers !== 'function') {
    throw new TypeError(Messages.clusterActiveUsersNotFunction());
  }
  if (!cluster.isWorker || typeof process.send !== 'function') {
    return { active: false, registry, close: () => undefined };
  }
  const exposure: Exposure = { registry, activeUsers, activeUsersMetric };
  exposures.add(exposure);
  if (promClientCluster) {
    promClientRegistries.add(registry);
    updatePromClientList();
    // Installs prom-client's worker listener (idempotent).
    new AggregatorRegistry();
    if (activeUsers) {
      const gauge = registry.getSingleMetric(activeUsersMetric) as
        { aggregator?: string } | undefined;
      if (gauge) gauge.aggregator = 'omit';
    }
  }
  if (!listening) {
    listening = true;
    process.on('message', onMessage);
  }
  send({ type: ClusterMessageType.ready, exposed: true });

  let closed = false;
  return {
    active: true,
    registry,
    close: () => {
      if (closed) return;
      closed = true;
      exposures.delete(exposure);
      if (![...exposures].some((other) => other.registry === registry)) {
        if (promClientRegistries.delete(registry)) updatePromClientList();
      }
      if (exposures.size === 0 && listening) {
        listening = false;
        process.removeListener('message', onMessage);
        send({ type: ClusterMessageType.ready, exposed: false });
      }
    },
  };
}
