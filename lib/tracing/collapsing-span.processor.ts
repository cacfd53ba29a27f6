import type { Context, Span } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The attribute prefix of collapsed siblings on their parent: `<prefix>.<name>.count`. */
export const COLLAPSED_ATTRIBUTE_PREFIX = 'collapsed';

/** Siblings of one name under one parent. */
interface Siblings {
  seen: number;
  collapsed: number;
  durationMs: number;
}

const hrToMs = (hr: readonly [number, number]): number => hr[0] * 1e3 + hr[1] / 1e6;

/**
 * Forwards spans to `next`, except that under one parent only the first `threshold` spans
 * of a name are kept: the rest are not exported, and the parent gets
 * `collapsed.<name>.count` and `collapsed.<name>.duration_ms` (their number and summed
 * duration) when it ends. A loop of a thousand queries stays a readable trace, and the queue
 * to the collector does not fill with it.
 *
 * Siblings are counted per parent span object in a `WeakMap`, so a parent that never ends
 * (or is remote) holds no memory once it is unreachable.
 */
export class CollapsingSpanProcessor implements SpanProcessor {
  private readonly children = new WeakMap<object, Map<string, Siblings>>();
  private readonly collapsed = new WeakMap<object, Siblings>();

  constructor(
    private readonly next: SpanProcessor,
    private readonly threshold: number,
  ) {}

  onStart(span: Span & ReadableSpan, parentContext: Context): void {
    if (this.threshold > 0) {
      const parent = trace.getSpan(parentContext);
      if (parent && parent.isRecording()) {
        let byName = this.children.get(parent);
        if (!byName) this.children.set(parent, (byName = new Map()));
        let siblings = byName.get(span.name);
        if (!siblings) byName.set(span.name, (siblings = { seen: 0, collapsed: 0, durationMs: 0 }));
        siblings.seen++;
        if (siblings.seen > this.threshold) {
          this.collapsed.set(span, siblings);
          return;
        }
      }
    }
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const siblings = this.collapsed.get(span);
    if (siblings) {
      siblings.collapsed++;
      siblings.durationMs += hrToMs(span.duration);
      return;
    }
    const byName = this.children.get(span);
    if (byName) {
      // The span has ended (its setters are closed); its attributes object is what is exported.
      const attributes = span.attributes as Record<string, unknown>;
      for (const [name, { collapsed, durationMs }] of byName) {
        if (collapsed === 0) continue;
        attributes[`${COLLAPSED_ATTRIBUTE_PREFIX}.${name}.count`] = collapsed;
        attributes[`${COLLAPSED_ATTRIBUTE_PREFIX}.${name}.duration_ms`] =
          Math.round(durationMs * 1000) / 1000;
      }
      this.children.delete(span);
    }
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
