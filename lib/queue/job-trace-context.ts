import { type Context, context, propagation, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { runTraced } from '../contexts/traced-call';

/** The parts of a BullMQ job the trace continuation reads. */
export interface TracedJobLike {
  id?: string | number | null;
  name?: string;
  queueName?: string;
  attemptsMade?: number;
  opts?: { telemetry?: { metadata?: string } };
}

/** BullMQ job options with the trace context of the enqueuing code. */
export type WithTraceContext<T> = T & { telemetry?: { metadata?: string; omitContext?: boolean } };

/**
 * Returns BullMQ job options carrying the active trace context (W3C `traceparent`/`tracestate`
 * through the registered OpenTelemetry propagator), in BullMQ's own `telemetry.metadata` field,
 * so that the job's processing span continues the trace of the request that enqueued it.
 * The options are returned unchanged when no trace is active.
 *
 * @example
 * ```ts
 * await this.queue.add('render', { videoId }, withTraceContext({ attempts: 3 }));
 * ```
 */
export function withTraceContext<T extends object = Record<never, never>>(
  options?: T,
): WithTraceContext<T> {
  const base = (options ?? {}) as WithTraceContext<T>;
  try {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    if (Object.keys(carrier).length === 0) return base;
    return { ...base, telemetry: { ...base.telemetry, metadata: JSON.stringify(carrier) } };
  } catch {
    return base;
  }
}

/**
 * The trace context a job was enqueued in (see {@link withTraceContext}), or `fallback` when it
 * carries none.
 */
export function jobTraceContext(job: TracedJobLike | undefined, fallback: Context): Context {
  const metadata = job?.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string' || metadata === '') return fallback;
  try {
    const carrier = JSON.parse(metadata) as unknown;
    if (typeof carrier !== 'object' || carrier === null) return fallback;
    return propagation.extract(ROOT_CONTEXT, carrier);
  } catch {
    return fallback;
  }
}

/** The span attributes of processing `job`. @internal */
export function jobSpanAttributes(job: TracedJobLike | undefined): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'messaging.system': 'bullmq',
    'messaging.operation.type': 'process',
  };
  if (typeof job?.queueName === 'string') attributes['messaging.destination.name'] = job.queueName;
  if (job?.id !== undefined && job.id !== null) attributes['messaging.message.id'] = String(job.id);
  if (typeof job?.name === 'string') attributes['bullmq.job.name'] = job.name;
  if (typeof job?.attemptsMade === 'number') attributes['bullmq.job.attempts'] = job.attemptsMade;
  return attributes;
}

/**
 * Wraps a BullMQ processor function so each job runs in a consumer span named
 * `process <queue>`, child of the trace the job was enqueued in (see {@link withTraceContext}).
 * The processor's result and errors are returned and rethrown untouched. `@nestjs/bullmq`
 * processors are wrapped by the Nest module; this is for plain `Worker`s.
 *
 * @example
 * ```ts
 * new Worker('emails', traceJob(async (job) => send(job.data)), { connection });
 * ```
 */
export function traceJob<J extends TracedJobLike, A extends unknown[], R>(
  processor: (job: J, ...rest: A) => R,
): (job: J, ...rest: A) => R {
  return function tracedProcessor(this: unknown, job: J, ...rest: A): R {
    return runTraced(
      {
        name: `process ${job?.queueName ?? 'unknown'}`,
        kind: SpanKind.CONSUMER,
        attributes: jobSpanAttributes(job),
      },
      jobTraceContext(job, context.active()),
      undefined,
      () => processor.call(this, job, ...rest),
    );
  };
}
