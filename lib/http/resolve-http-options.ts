import type { Problems } from '../config/problems';
import { type Env, EnvReader, OptionReader, optionKeys } from '../config/option-reader';
import { readBuckets } from '../metrics/resolve-metrics-options';
import type {
  HttpMetricsOptions,
  ResolvedHttpMetricsOptions,
} from './http-metrics-options.interface';

const HTTP_KEYS = optionKeys({
  enabled: true,
  ignorePaths: true,
  buckets: true,
  requestSizeHistogram: true,
  responseSizeHistogram: true,
  slowRequestThreshold: true,
  slowRequestAlert: true,
} satisfies Record<keyof HttpMetricsOptions, true>);

const isIgnorePath = (path: unknown): path is string | RegExp =>
  path instanceof RegExp || (typeof path === 'string' && path.startsWith('/'));

/**
 * Applies defaults to the `http` options, recording every bad field. By default the paths
 * that are not traffic are ignored: the health endpoints (and anything below /health) and the
 * metrics path. `SLOW_REQUEST_THRESHOLD` (seconds) sets `slowRequestThreshold` when the option
 * is absent.
 */
export function resolveHttpOptions(
  raw: unknown,
  problems: Problems,
  {
    metricsPath,
    healthPaths,
    env = {},
  }: { metricsPath: string; healthPaths: readonly string[]; env?: Env },
): ResolvedHttpMetricsOptions {
  const http = OptionReader.of(raw, 'http', HTTP_KEYS, problems);
  let ignorePaths: Array<string | RegExp> = [
    ...new Set(['/health', ...healthPaths, metricsPath]),
    /^\/health\//,
  ];
  const list = http.get('ignorePaths');
  if (list !== undefined) {
    if (Array.isArray(list) && list.every(isIgnorePath)) ignorePaths = [...list];
    else problems.add('http.ignorePaths', 'an array of paths starting with "/" or RegExps', list);
  }
  const slow = { min: 0, above: true };
  const slowRequestThreshold = http.has('slowRequestThreshold')
    ? http.number('slowRequestThreshold', slow)
    : new EnvReader(env, problems).number('SLOW_REQUEST_THRESHOLD', slow);
  return {
    slowRequestThreshold,
    slowRequestAlert: http.boolean('slowRequestAlert') ?? false,
    enabled: http.boolean('enabled') ?? true,
    ignorePaths,
    defaultIgnorePaths: list === undefined,
    buckets: readBuckets(http.get('buckets'), http.at('buckets'), problems),
    requestSizeHistogram: http.boolean('requestSizeHistogram') ?? false,
    responseSizeHistogram: http.boolean('responseSizeHistogram') ?? false,
  };
}
