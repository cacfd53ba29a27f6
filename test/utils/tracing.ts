import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** An OpenTelemetry SDK registered globally for a test, keeping finished spans in memory. */
export interface TestTracing {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans named `name`. */
  spans(name: string): ReadableSpan[];
  /** The one finished span named `name`; throws when there is not exactly one. */
  span(name: string): ReadableSpan;
  /** Unregisters the SDK. */
  stop(): Promise<void>;
}

/**
 * Registers a `BasicTracerProvider` with an in-memory exporter, the `AsyncLocalStorage` context
 * manager and the W3C trace-context propagator as the global OpenTelemetry API's, as an
 * application's tracing setup does.
 */
export function startTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const spans = (name: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((span) => span.name === name);
  return {
    exporter,
    spans,
    span(name) {
      const found = spans(name);
      if (found.length !== 1) {
        const names = exporter.getFinishedSpans().map((s) => s.name);
        throw new Error(
          `Expected one span "${name}", found ${found.length}; finished: ${names.join(', ')}`,
        );
      }
      return found[0];
    },
    async stop() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The id of the parent span of `span` (SDK 2 keeps it in `parentSpanContext`). */
export function parentSpanId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Polls `condition` every 20 ms, at most 250 times. */
export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Timed out waiting until ${what}.`);
}
