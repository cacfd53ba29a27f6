import type { TrackDurationOptions } from './method-metric.types';
import { wrapMethod } from './wrap-method';

/**
 * Records the duration of every call of the decorated method in a histogram, by default
 * `method_duration_seconds{service,class,method,status}` with `status` `success` or `error`.
 *
 * Works on sync methods, async methods and methods returning an Observable (timed until it
 * completes or errors), in any provider or controller. Return values, errors and `this` pass
 * through unchanged, and metadata of other decorators on the method is kept. Outside an
 * application that imports `ObservabilityModule`, the method runs unmeasured.
 *
 * @param name histogram name (without the configured prefix)
 * @param options help text, constant labels and buckets
 *
 * @example
 * ```ts
 * @Injectable()
 * export class ImageService {
 *   @TrackDuration()
 *   async generate(prompt: string) { ... }
 *
 *   @TrackDuration('image_upscale_duration_seconds', { labels: { provider: 'replicate' }, buckets: [1, 5, 15, 60] })
 *   async upscale(id: string) { ... }
 * }
 * ```
 */
export function TrackDuration(name?: string, options: TrackDurationOptions = {}): MethodDecorator {
  return (target, key, descriptor) =>
    wrapMethod('TrackDuration', target, key, descriptor, {
      kind: 'duration',
      metricName: name,
      help: options.help,
      labels: { ...options.labels },
      buckets: options.buckets ? [...options.buckets] : undefined,
    }) as typeof descriptor;
}
