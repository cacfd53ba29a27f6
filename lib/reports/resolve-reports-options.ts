import {
  EnvReader,
  type Env,
  OptionReader,
  optionKeys,
  readHttpUrl,
  TIMER,
} from '../config/option-reader';
import type { Problems } from '../config/problems';
import type { ReportsOptions, ResolvedReportsOptions } from './reports-options.interface';

const KEYS = optionKeys({
  enabled: true,
  prometheusUrl: true,
  path: true,
  timeoutMs: true,
} satisfies Record<keyof ReportsOptions, true>);

/** Defaults of the report options. */
export const REPORTS_DEFAULTS = { path: '/reports', timeoutMs: 10_000 } as const;

/**
 * Resolves `reports` (and `REPORTS_ENABLED`, `PROMETHEUS_URL`) into {@link ResolvedReportsOptions},
 * recording every bad field in `problems` (a URL is shown with its credentials masked).
 */
export function resolveReportsOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedReportsOptions {
  const options = OptionReader.of(raw, 'reports', KEYS, problems);
  const vars = new EnvReader(env, problems);
  const prometheusUrl = options.has('prometheusUrl')
    ? options.url('prometheusUrl')
    : readHttpUrl(vars.string('PROMETHEUS_URL'), EnvReader.path('PROMETHEUS_URL'), problems);
  return {
    enabled: options.boolean('enabled') ?? vars.boolean('REPORTS_ENABLED') ?? false,
    prometheusUrl: prometheusUrl?.replace(/\/+$/, ''),
    path: options.urlPath('path') ?? REPORTS_DEFAULTS.path,
    timeoutMs: options.integer('timeoutMs', TIMER) ?? REPORTS_DEFAULTS.timeoutMs,
  };
}
