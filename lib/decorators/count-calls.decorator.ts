import type { CountCallsOptions } from './method-metric.types';
import { wrapMethod } from './wrap-method';

/**
 * Counts every call of the decorated method once it finishes, by default in
 * `method_calls_total{service,class,method,status}` with `status` `success` or `error`.
 * Same guarantees as `@TrackDuration()`; both can decorate one method.
 *
 * @param name counter name (without the configured prefix)
 * @param options help text and constant labels
 *
 * @example
 * ```ts
 * @CountCalls()
 * @Post('messages')
 * handle(@Body() message: IncomingMessageDto) { ... }
 * ```
 */
export function CountCalls(name?: string, options: CountCallsOptions = {}): MethodDecorator {
  return (target, key, descriptor) =>
    wrapMethod('CountCalls', target, key, descriptor, {
      kind: 'calls',
      metricName: name,
      help: options.help,
      labels: { ...options.labels },
      buckets: undefined,
    }) as typeof descriptor;
}
