import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { context as otelContext } from '@opentelemetry/api';
import { MonitoringCore } from '../core/monitoring-core';
import { jobSpanAttributes, jobTraceContext, type TracedJobLike } from '../queue/job-trace-context';
import type { ContextMetrics } from './context-metrics';
import { patternLabel } from './pattern-label';
import { instrumentMethod, type MethodRunner } from './instrumented-method';
import { runTraced, SpanKind } from './traced-call';

/** `@nestjs/schedule`'s metadata keys (read without loading the package). */
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULER_KINDS: Record<number, string> = { 1: 'cron', 2: 'timeout', 3: 'interval' };
/** `@nestjs/websockets`' metadata keys: gateway class, `@SubscribeMessage()` method and event. */
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';
/** `@nestjs/bullmq`'s `@Processor()` metadata key. */
const PROCESSOR_METADATA = 'bullmq:processor_metadata';

const getMetadata = (key: string, target: object): unknown =>
  (Reflect as unknown as { getMetadata?(k: string, t: object): unknown }).getMetadata?.(
    key,
    target,
  );

/** One instrumented method of a class, and how to run its calls. */
interface Instrumented {
  readonly runners: WeakMap<object, MethodRunner>;
  readonly runner: MethodRunner;
}

/**
 * Instruments the WebSocket gateway handlers (`@SubscribeMessage()`), the scheduled methods
 * (`@Cron()`, `@Interval()`, `@Timeout()`) and the `@nestjs/bullmq` processors of the
 * application: each call gets a span (a new trace for a scheduled job; for a job, a child of
 * the trace it was enqueued in), gateway messages their RED metrics (`ws_messages_total`,
 * `ws_message_duration_seconds`) and scheduled runs theirs (`scheduled_job_runs_total`,
 * `scheduled_job_duration_seconds`).
 *
 * The class methods are wrapped while the application's providers are created, before Nest's
 * gateways, `@nestjs/schedule` and `@nestjs/bullmq` read them, whatever the order of the
 * modules; the instances are bound to this application in `onModuleInit`, before any call.
 */
@Injectable()
export class ContextsExplorer implements OnModuleInit {
  private readonly byClass = new Map<object, Instrumented[]>();
  private readonly metrics: ContextMetrics;
  private readonly enabled: boolean;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    core: MonitoringCore,
  ) {
    this.metrics = core.contexts;
    this.enabled = core.options.contexts.enabled;
    if (!this.enabled) return;
    for (const wrapper of this.wrappers()) {
      const metatype = wrapper.metatype as { prototype?: object; name?: string } | null;
      if (!wrapper.inject && metatype?.prototype) this.instrumentClass(metatype as never);
    }
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    for (const wrapper of this.wrappers()) {
      const instance = wrapper.instance as object | null | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const type = instance.constructor as { prototype: object; name: string } | undefined;
      if (!type?.prototype) continue;
      // Factory and value providers are known by their instance only.
      const instrumented = this.byClass.get(type) ?? this.instrumentClass(type);
      for (const { runners, runner } of instrumented) {
        if (!runners.has(instance)) runners.set(instance, runner);
      }
    }
  }

  private wrappers(): InstanceWrapper[] {
    return [...this.discovery.getProviders(), ...this.discovery.getControllers()];
  }

  private instrumentClass(type: { prototype: object; name: string }): Instrumented[] {
    const known = this.byClass.get(type);
    if (known) return known;
    const found: Instrumented[] = [];
    try {
      const proto = type.prototype;
      const gateway = getMetadata(GATEWAY_METADATA, type) === true;
      for (const key of this.scanner.getAllMethodNames(proto)) {
        const method = (proto as Record<string, unknown>)[key];
        if (typeof method !== 'function') continue;
        if (gateway && getMetadata(MESSAGE_MAPPING_METADATA, method) === true) {
          const runners = instrumentMethod(proto, key);
          const event = getMetadata(MESSAGE_METADATA, method);
          if (runners) found.push({ runners, runner: this.gatewayRunner(type.name, key, event) });
          continue;
        }
        const kind = SCHEDULER_KINDS[getMetadata(SCHEDULER_TYPE, method) as number];
        if (!kind) continue;
        const runners = instrumentMethod(proto, key);
        if (runners)
          found.push({ runners, runner: this.scheduledRunner(type.name, key, kind, method) });
      }
      if (getMetadata(PROCESSOR_METADATA, type) !== undefined) {
        const runners = instrumentMethod(proto, 'process');
        if (runners) found.push({ runners, runner: this.processorRunner(type.name) });
      }
    } catch {
      // A class that cannot be inspected runs uninstrumented.
    }
    this.byClass.set(type, found);
    return found;
  }

  private scheduledRunner(
    className: string,
    methodName: string,
    kind: string,
    method: object,
  ): MethodRunner {
    const options = getMetadata(SCHEDULE_CRON_OPTIONS, method) as { name?: unknown } | undefined;
    const declared = options?.name ?? getMetadata(SCHEDULER_NAME, method);
    const job =
      typeof declared === 'string' && declared !== '' ? declared : `${className}.${methodName}`;
    const outcome = this.metrics.scheduled(job);
    const spec = {
      name: `${className}.${methodName}`,
      kind: SpanKind.INTERNAL,
      root: true,
      attributes: { 'nestjs.schedule.job': job, 'nestjs.schedule.type': kind },
    };
    return (fn, self, args) =>
      runTraced(spec, otelContext.active(), outcome, () => Reflect.apply(fn, self, args));
  }

  private gatewayRunner(className: string, methodName: string, declared: unknown): MethodRunner {
    const event = patternLabel(declared);
    const outcome = this.metrics.ws(className, event);
    const spec = {
      name: `${className}.${methodName}`,
      kind: SpanKind.SERVER,
      attributes: {
        'messaging.system': 'websocket',
        'nestjs.gateway': className,
        'nestjs.event': event,
      },
    };
    return (fn, self, args) =>
      runTraced(spec, otelContext.active(), outcome, () => Reflect.apply(fn, self, args));
  }

  private processorRunner(className: string): MethodRunner {
    const name = `${className}.process`;
    return (fn, self, args) => {
      const job = args[0] as TracedJobLike | undefined;
      return runTraced(
        { name, kind: SpanKind.CONSUMER, attributes: jobSpanAttributes(job) },
        jobTraceContext(job, otelContext.active()),
        undefined,
        () => Reflect.apply(fn, self, args),
      );
    };
  }
}
