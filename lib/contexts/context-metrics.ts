import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog, type MetricDefinition } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';

/** Where one handler's outcome is recorded: pre-bound series, so a call allocates nothing. */
export interface HandlerOutcome {
  success(seconds: number): void;
  error(seconds: number): void;
}

const NOOP: HandlerOutcome = { success() {}, error() {} };

/**
 * Label combinations each family keeps pre-bound. Handler patterns, gateway events and job
 * names are declared in code and stay far below it; GraphQL operation names come from clients,
 * so past it each call goes through the series guard (`metrics.maxSeriesPerMetric`) unbound.
 */
const MAX_BOUND = 256;

/** A counter and a histogram recorded together, bound per label combination. */
class Family {
  private counter: GuardedCounter | undefined;
  private histogram: GuardedHistogram | undefined;
  private readonly bound = new Map<string, HandlerOutcome>();

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly count: MetricDefinition & { type: 'counter' },
    private readonly duration: MetricDefinition & { type: 'histogram' },
    /** Whether the histogram carries the `status` label too. */
    private readonly durationHasStatus: boolean,
  ) {}

  outcome(labels: Record<string, string>): HandlerOutcome {
    const key = Object.values(labels).join('\u0001');
    const known = this.bound.get(key);
    if (known) return known;
    // Created on first use, so an application without such handlers exposes no empty families.
    this.counter ??= this.registry.fromCatalog(this.count) as GuardedCounter;
    this.histogram ??= this.registry.fromCatalog(this.duration) as GuardedHistogram;
    const counter = this.counter;
    const histogram = this.histogram;
    const ok = { ...labels, status: 'success' };
    const failed = { ...labels, status: 'error' };
    const okDuration = this.durationHasStatus ? ok : labels;
    const failedDuration = this.durationHasStatus ? failed : labels;
    if (this.bound.size >= MAX_BOUND) {
      return {
        success: (seconds) => {
          counter.inc(ok);
          histogram.observe(okDuration, seconds);
        },
        error: (seconds) => {
          counter.inc(failed);
          histogram.observe(failedDuration, seconds);
        },
      };
    }
    // Each status is bound on its first event: a series that never happened takes no room
    // under the series guard's limit.
    let okCount: { inc(): void } | undefined;
    let okTime: { observe(value: number): void } | undefined;
    let failedCount: { inc(): void } | undefined;
    let failedTime: { observe(value: number): void } | undefined;
    const outcome: HandlerOutcome = {
      success(seconds) {
        (okCount ??= counter.bind(ok)).inc();
        (okTime ??= histogram.bind(okDuration)).observe(seconds);
      },
      error(seconds) {
        (failedCount ??= counter.bind(failed)).inc();
        (failedTime ??= histogram.bind(failedDuration)).observe(seconds);
      },
    };
    this.bound.set(key, outcome);
    return outcome;
  }
}

/**
 * The RED metrics of the non-HTTP entry points of one monitoring instance:
 * `rpc_requests_total`/`rpc_request_duration_seconds{pattern,status}`,
 * `ws_messages_total`/`ws_message_duration_seconds{gateway,event,status}`,
 * `graphql_requests_total`/`graphql_request_duration_seconds{operation_type,operation_name,status}`,
 * `scheduled_job_runs_total{job,status}` and `scheduled_job_duration_seconds{job}`. Each family
 * is registered on first use. Label values are bounded by the series guard.
 *
 * @internal Fed by the Nest module's contexts interceptor and scheduled-job wrappers.
 */
export class ContextMetrics {
  private readonly rpcFamily: Family;
  private readonly wsFamily: Family;
  private readonly graphqlFamily: Family;
  private readonly scheduledFamily: Family;

  constructor(
    registry: MetricsRegistry,
    private readonly enabled: boolean,
  ) {
    const c = MetricCatalog;
    this.rpcFamily = new Family(registry, c.rpcRequests, c.rpcRequestDuration, true);
    this.wsFamily = new Family(registry, c.wsMessages, c.wsMessageDuration, true);
    this.graphqlFamily = new Family(registry, c.graphqlRequests, c.graphqlRequestDuration, true);
    this.scheduledFamily = new Family(registry, c.scheduledJobRuns, c.scheduledJobDuration, false);
  }

  /** The series of a microservice handler of `pattern`. */
  rpc(pattern: string): HandlerOutcome {
    return this.enabled ? this.rpcFamily.outcome({ pattern }) : NOOP;
  }

  /** The series of the `event` handler of `gateway`. */
  ws(gateway: string, event: string): HandlerOutcome {
    return this.enabled ? this.wsFamily.outcome({ gateway, event }) : NOOP;
  }

  /** The series of a GraphQL operation (`anonymous` when it has no name). */
  graphql(operationType: string, operationName: string): HandlerOutcome {
    return this.enabled
      ? this.graphqlFamily.outcome({
          operation_type: operationType,
          operation_name: operationName,
        })
      : NOOP;
  }

  /** The series of the scheduled job `job`. */
  scheduled(job: string): HandlerOutcome {
    return this.enabled ? this.scheduledFamily.outcome({ job }) : NOOP;
  }
}
