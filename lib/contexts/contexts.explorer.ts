import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { context as otelContext, SpanKind } from '@opentelemetry/api';
import { loadOptional } from '../config/optional-module';
import { MonitoringCore } from '../core/monitoring-core';
import type { ErrorTrackingService } from '../errors/error-tracking.service';
import { jobSpanAttributes, jobTraceContext, type TracedJobLike } from '../queue/job-trace-context';
import type { ContextMetrics } from './context-metrics';
import { type GraphqlSchemaLike, instrumentGraphqlSchema } from './graphql-schema.instrumenter';
import { instrumentMethod, type MethodRunner } from './instrumented-method';
import { patternLabel } from './pattern-label';
import { type CallErrorSink, reportingErrors, runTraced, type SpanSpec } from './traced-call';

// The packages' metadata keys, read without loading the packages.
/** `@nestjs/microservices`: `@MessagePattern()`/`@EventPattern()` patterns of a method. */
const PATTERN_METADATA = 'microservices:pattern';
/** `@nestjs/websockets`: gateway class, `@SubscribeMessage()` method and its event. */
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';
/** `@nestjs/graphql`: root type (`Query`, `Mutation`) and field name of a resolver method. */
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const RESOLVER_NAME_METADATA = 'graphql:resolver_name';
/** `@nestjs/schedule`: kind and name of a scheduled method. */
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULER_KINDS: Record<number, string> = { 1: 'cron', 2: 'timeout', 3: 'interval' };
/** `@nestjs/bullmq`: `@Processor()` class. */
const PROCESSOR_METADATA = 'bullmq:processor_metadata';
/** `@nestjs/event-emitter`: the `@OnEvent()` listeners of a method. */
const EVENT_LISTENER_METADATA = 'EVENT_LISTENER_METADATA';

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

type ClassLike = { prototype: object; name: string };

/**
 * Instruments the application's handlers outside HTTP, without any interceptor (so HTTP
 * requests pay nothing): microservice handlers (`@MessagePattern()`, `@EventPattern()`),
 * WebSocket gateway handlers (`@SubscribeMessage()`), GraphQL root query and mutation fields,
 * scheduled methods (`@Cron()`, `@Interval()`, `@Timeout()`) and `@nestjs/bullmq` processors.
 * Each call gets a span (a new trace for a scheduled run; for a job, a child of the trace it
 * was enqueued in) and, except jobs (the queue metrics measure them), its RED metrics.
 * Errors of scheduled methods, processors and `@OnEvent()` handlers (which get no span or
 * metrics) go to error tracking when it reports them (Sentry on, its own `Nest` integration
 * off), and propagate untouched.
 *
 * Handler methods are wrapped while the application's providers are created, before
 * microservices, gateways, `@nestjs/schedule` and `@nestjs/bullmq` read them, whatever the order
 * of the modules; the instances are bound to this application in `onModuleInit`, before any
 * call, so two applications sharing a class record into their own registries. The GraphQL
 * schema is instrumented at bootstrap, once `@nestjs/graphql` has built it.
 */
@Injectable()
export class ContextsExplorer implements OnModuleInit, OnApplicationBootstrap {
  private readonly byClass = new Map<object, Instrumented[]>();
  /** `query:video` to `VideoResolver.video`, for the span names of GraphQL root fields. */
  private readonly graphqlHandlers = new Map<string, string>();
  private readonly metrics: ContextMetrics;
  private readonly errors: ErrorTrackingService;
  private readonly enabled: boolean;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    core: MonitoringCore,
  ) {
    this.metrics = core.contexts;
    this.errors = core.errors;
    this.enabled = core.options.contexts.enabled;
    if (!this.enabled) return;
    for (const wrapper of this.wrappers()) {
      const metatype = wrapper.metatype as ClassLike | null;
      if (!wrapper.inject && metatype?.prototype) this.instrumentClass(metatype);
    }
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    for (const wrapper of this.wrappers()) {
      const isStatic = wrapper.isDependencyTreeStatic() && !wrapper.isTransient;
      const metatype = wrapper.metatype as ClassLike | null;
      const instance = wrapper.instance as object | null | undefined;
      // Request-scoped and transient classes get a new instance per request or consumer, so
      // they are bound through their prototype.
      const target = isStatic ? instance : wrapper.inject ? undefined : metatype?.prototype;
      if (!target || typeof target !== 'object') continue;
      // Factory and value providers are known by their instance only.
      const type = (isStatic ? target.constructor : metatype) as ClassLike | undefined;
      if (!type?.prototype) continue;
      const instrumented = this.byClass.get(type) ?? this.instrumentClass(type);
      for (const { runners, runner } of instrumented) {
        if (!runners.has(target)) runners.set(target, runner);
      }
    }
  }

  /** Instruments the GraphQL schema `@nestjs/graphql` built in its `onModuleInit`. */
  onApplicationBootstrap(): void {
    if (!this.enabled || this.graphqlHandlers.size === 0) return;
    try {
      const graphql = loadOptional<{ GraphQLSchemaHost?: abstract new () => unknown }>(
        '@nestjs/graphql',
      );
      if (!graphql?.GraphQLSchemaHost) return;
      const host = this.moduleRef.get(graphql.GraphQLSchemaHost, { strict: false }) as {
        schema?: GraphqlSchemaLike;
      };
      if (host?.schema) instrumentGraphqlSchema(host.schema, this.metrics, this.graphqlHandlers);
    } catch {
      // No GraphQL module in this application (or no schema host): nothing to instrument.
    }
  }

  private wrappers(): InstanceWrapper[] {
    return [...this.discovery.getProviders(), ...this.discovery.getControllers()];
  }

  private instrumentClass(type: ClassLike): Instrumented[] {
    const known = this.byClass.get(type);
    if (known) return known;
    const found: Instrumented[] = [];
    try {
      const proto = type.prototype;
      const gateway = getMetadata(GATEWAY_METADATA, type) === true;
      for (const key of this.scanner.getAllMethodNames(proto)) {
        const method = (proto as Record<string, unknown>)[key];
        if (typeof method !== 'function') continue;
        const runner = this.runnerOf(type.name, key, method, gateway);
        if (!runner) continue;
        const runners = instrumentMethod(proto, key);
        if (runners) found.push({ runners, runner });
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

  /** The runner of a handler method, or `undefined` for any other method. */
  private runnerOf(
    className: string,
    methodName: string,
    method: object,
    gateway: boolean,
  ): MethodRunner | undefined {
    const name = `${className}.${methodName}`;
    if (gateway && getMetadata(MESSAGE_MAPPING_METADATA, method) === true) {
      const event = patternLabel(getMetadata(MESSAGE_METADATA, method));
      return this.runner(
        {
          name,
          kind: SpanKind.SERVER,
          attributes: {
            'messaging.system': 'websocket',
            'nestjs.gateway': className,
            'nestjs.event': event,
          },
        },
        this.metrics.ws(className, event),
      );
    }
    const patterns = getMetadata(PATTERN_METADATA, method);
    if (patterns !== undefined) {
      // One pattern as it is; several as their JSON list.
      const pattern = patternLabel(
        Array.isArray(patterns) && patterns.length === 1 ? patterns[0] : patterns,
      );
      return this.runner(
        {
          name,
          kind: SpanKind.SERVER,
          attributes: {
            'rpc.system': 'nestjs',
            'rpc.service': className,
            'rpc.method': methodName,
            'nestjs.pattern': pattern,
          },
        },
        this.metrics.rpc(pattern),
      );
    }
    const rootType = getMetadata(RESOLVER_TYPE_METADATA, method);
    const field = getMetadata(RESOLVER_NAME_METADATA, method);
    if (rootType === 'Query' || rootType === 'Mutation') {
      // Instrumented through the schema, which sees the operation. The field is named after
      // the method unless the decorator names it.
      const fieldName = typeof field === 'string' && field !== '' ? field : methodName;
      this.graphqlHandlers.set(`${rootType.toLowerCase()}:${fieldName}`, name);
      return undefined;
    }
    const kind = SCHEDULER_KINDS[getMetadata(SCHEDULER_TYPE, method) as number];
    if (kind) {
      const options = getMetadata(SCHEDULE_CRON_OPTIONS, method) as { name?: unknown } | undefined;
      const declared = options?.name ?? getMetadata(SCHEDULER_NAME, method);
      const job = typeof declared === 'string' && declared !== '' ? declared : name;
      return this.runner(
        {
          name,
          kind: SpanKind.INTERNAL,
          root: true,
          attributes: { 'nestjs.schedule.job': job, 'nestjs.schedule.type': kind },
        },
        this.metrics.scheduled(job),
        this.errorSink(`schedule:${name}`),
      );
    }
    if (getMetadata(EVENT_LISTENER_METADATA, method) !== undefined) {
      const errors = this.errors;
      const onError = this.errorSink(`event:${name}`);
      // No span or metrics: only errors are reported, and a listener pays nothing more when
      // they are not.
      return (fn, self, args) =>
        errors.reportsBackground
          ? reportingErrors(() => Reflect.apply(fn, self, args), onError)
          : Reflect.apply(fn, self, args);
    }
    return undefined;
  }

  private runner(
    spec: SpanSpec,
    outcome: ReturnType<ContextMetrics['rpc']>,
    onError?: CallErrorSink,
  ): MethodRunner {
    return (fn, self, args) =>
      runTraced(spec, otelContext.active(), outcome, () => Reflect.apply(fn, self, args), onError);
  }

  /** Reports the errors of handler `where` (`schedule:Class.method`) to error tracking. */
  private errorSink(where: string): CallErrorSink {
    const errors = this.errors;
    return (error) => errors.captureBackgroundException(error, where);
  }

  private processorRunner(className: string): MethodRunner {
    const name = `${className}.process`;
    const onError = this.errorSink(`queue:${className}`);
    return (fn, self, args) => {
      const job = args[0] as TracedJobLike | undefined;
      return runTraced(
        { name, kind: SpanKind.CONSUMER, attributes: jobSpanAttributes(job) },
        jobTraceContext(job, otelContext.active()),
        undefined,
        () => Reflect.apply(fn, self, args),
        onError,
      );
    };
  }
}
