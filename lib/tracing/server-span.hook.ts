import { Logger } from '@nestjs/common';
import { installAround } from '../http/adapter-request-hook';
import { tracingState } from './tracing-state';

interface AdapterLike {
  getType?(): string;
  getInstance?(): unknown;
  getHttpServer?(): unknown;
}

/** The adapters whose requests already go through the server spans. */
const INSTALLED = new WeakSet<object>();

/**
 * Hands the requests of a Nest HTTP adapter (Express or Fastify) to the tracing's server
 * spans, in the adapter's first request hook and outside every other hook of this library, so
 * the request context, the request log, the metrics' exemplars, Nest's middleware, guards,
 * pipes and handler all run inside the request's span. From then on, the `request` event of
 * the adapter's server adds no span of its own (except with `frameworkSpans`, see below). Does nothing unless this library's tracing
 * owns the tracer provider (with Sentry, Sentry's instrumentation makes the server spans).
 * Called when the adapter is known (`HttpAdapterHost.init$`), by `tracingInstrument()` and by
 * `ObservabilityModule`; once per adapter.
 * @internal
 */
export function installServerSpans(adapter: unknown): void {
  const spans = tracingState()?.serverSpans;
  if (!spans || typeof adapter !== 'object' || adapter === null || INSTALLED.has(adapter)) return;
  const target = adapter as AdapterLike;
  const type = target.getType?.();
  if (type !== 'express' && type !== 'fastify') return;
  try {
    if (!installAround(adapter, spans.around, new Logger('Observability'), true)) return;
    INSTALLED.add(adapter);
    // With `frameworkSpans`, Express's and Fastify's instrumentations start their spans
    // before the adapter's first hook: the span must exist by then, so the server's `request`
    // event starts it, and this hook only adds the route.
    if (tracingState()?.options.frameworkSpans) return;
    const instance = target.getInstance?.();
    // Express serves through its app (the server's `request` listener), Fastify through its
    // own server; a server created later by the adapter is found through either.
    spans.own(
      instance,
      (instance as { server?: unknown } | undefined)?.server,
      target.getHttpServer?.(),
    );
  } catch {
    // tracing never fails the bootstrap: the server's `request` event still makes its span
  }
}
