import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import {
  type Context,
  context as otelContext,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { Observable } from 'rxjs';
import { MonitoringCore } from '../core/monitoring-core';
import type { ContextMetrics, HandlerOutcome } from './context-metrics';
import { patternLabel } from './pattern-label';
import { failSpan, type SpanSpec, tracer } from './traced-call';

/** `@nestjs/microservices`' pattern metadata key (read without loading the package). */
const PATTERN_METADATA = 'microservices:pattern';

/** What the interceptor computes once per handler. */
interface HandlerInfo {
  readonly owner: unknown;
  readonly spec: SpanSpec;
  /** The series of the handler; `undefined` when it depends on the call (several patterns). */
  readonly outcome: HandlerOutcome | undefined;
}

/** The parts of graphql-js' `GraphQLResolveInfo` read here. */
interface ResolveInfoLike {
  fieldName?: string;
  path?: { prev?: unknown };
  operation?: { operation?: string; name?: { value?: string } };
}

const getMetadata = (key: string, target: object): unknown =>
  (Reflect as unknown as { getMetadata?(k: string, t: object): unknown }).getMetadata?.(
    key,
    target,
  );

/**
 * Starts a span and records RED metrics around every microservice handler
 * (`rpc_requests_total`) and GraphQL root resolver (`graphql_requests_total`, by operation).
 * (Nest applies no global interceptor to WebSocket gateways: `ContextsExplorer` instruments
 * their handlers.)
 * The handler runs with its span active, so what it starts (a BullMQ job enqueued with
 * `withTraceContext()`, a nested span) joins the same trace. HTTP calls pass through at once:
 * their metrics come from the adapter's request hook.
 *
 * Registered globally by the module when one of the packages of those contexts is installed.
 * A standalone microservice inherits it; a hybrid one needs
 * `app.connectMicroservice(options, { inheritAppConfig: true })`.
 */
@Injectable()
export class ContextsInterceptor implements NestInterceptor {
  private readonly handlers = new WeakMap<object, HandlerInfo>();
  private readonly metrics: ContextMetrics;
  private readonly enabled: boolean;

  constructor(core: MonitoringCore) {
    this.metrics = core.contexts;
    this.enabled = core.options.contexts.enabled;
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = ctx.getType<string>();
    if (type === 'http' || !this.enabled) return next.handle();
    let call: { spec: SpanSpec; outcome: HandlerOutcome } | undefined;
    try {
      call = this.describe(type, ctx);
    } catch {
      call = undefined;
    }
    return call ? this.observe(call.spec, call.outcome, next) : next.handle();
  }

  private describe(
    type: string,
    ctx: ExecutionContext,
  ): { spec: SpanSpec; outcome: HandlerOutcome } | undefined {
    if (type === 'graphql') return this.describeGraphql(ctx);
    if (type !== 'rpc') return undefined;
    const handler = ctx.getHandler();
    const owner = ctx.getClass();
    let info = this.handlers.get(handler);
    if (!info || info.owner !== owner) {
      info = this.rpcInfo(owner, handler);
      this.handlers.set(handler, info);
    }
    const outcome = info.outcome ?? this.metrics.rpc(patternLabel(this.runtimePattern(ctx)));
    return { spec: info.spec, outcome };
  }

  private rpcInfo(owner: { name: string }, handler: { name: string }): HandlerInfo {
    const declared = getMetadata(PATTERN_METADATA, handler);
    const patterns = Array.isArray(declared) ? declared : [declared];
    const attributes: Record<string, string> = {
      'rpc.system': 'nestjs',
      'rpc.service': owner.name,
      'rpc.method': handler.name,
    };
    if (patterns.length === 1) attributes['nestjs.pattern'] = patternLabel(patterns[0]);
    return {
      owner,
      spec: { name: `${owner.name}.${handler.name}`, kind: SpanKind.SERVER, attributes },
      outcome: patterns.length === 1 ? this.metrics.rpc(patternLabel(patterns[0])) : undefined,
    };
  }

  /** The pattern the transport matched (a handler may declare several). */
  private runtimePattern(ctx: ExecutionContext): unknown {
    const transport = ctx.switchToRpc().getContext() as { getPattern?(): unknown } | undefined;
    return typeof transport?.getPattern === 'function' ? transport.getPattern() : undefined;
  }

  /** Root fields only: field resolvers run inside their operation's span. */
  private describeGraphql(
    ctx: ExecutionContext,
  ): { spec: SpanSpec; outcome: HandlerOutcome } | undefined {
    const info = ctx.getArgByIndex(3) as ResolveInfoLike | undefined;
    if (!info || typeof info !== 'object' || info.path?.prev) return undefined;
    const operationType = info.operation?.operation ?? 'unknown';
    const name = info.operation?.name?.value;
    const operationName = typeof name === 'string' && name !== '' ? name : 'anonymous';
    const owner = ctx.getClass();
    const handler = ctx.getHandler();
    const attributes: Record<string, string> = {
      'graphql.operation.type': operationType,
      'graphql.operation.name': operationName,
    };
    if (typeof info.fieldName === 'string') attributes['graphql.field.name'] = info.fieldName;
    return {
      spec: { name: `${owner.name}.${handler.name}`, kind: SpanKind.INTERNAL, attributes },
      outcome: this.metrics.graphql(operationType, operationName),
    };
  }

  /**
   * Subscribes to the handler inside its span's context: Nest calls the handler at
   * subscription, so the handler and all it awaits see the span as active.
   */
  private observe(spec: SpanSpec, outcome: HandlerOutcome, next: CallHandler): Observable<unknown> {
    return new Observable((subscriber) => {
      let span: Span | undefined;
      let active: Context = otelContext.active();
      try {
        span = tracer().startSpan(
          spec.name,
          { kind: spec.kind, attributes: spec.attributes },
          active,
        );
        active = trace.setSpan(active, span);
      } catch {
        span = undefined;
      }
      const start = performance.now();
      let settled = false;
      const finish = (failed: boolean, error: unknown): void => {
        if (settled) return;
        settled = true;
        try {
          const seconds = (performance.now() - start) / 1000;
          if (failed) outcome.error(seconds);
          else outcome.success(seconds);
          if (span) {
            if (failed) failSpan(span, error);
            else span.end();
          }
        } catch {
          // Observability never fails the handler it observes.
        }
      };
      const subscription = otelContext.with(active, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            finish(true, error);
            subscriber.error(error);
          },
          complete: () => {
            finish(false, undefined);
            subscriber.complete();
          },
        }),
      );
      return () => {
        subscription.unsubscribe();
        // Unsubscribed before it settled (the client went away): the span ends, nothing counts.
        if (!settled) {
          settled = true;
          span?.end();
        }
      };
    });
  }
}
