import { isPlainObject, type OptionReader, optionKeys, POSITIVE } from '../config/option-reader';
import type {
  AiKpiOptions,
  CostWindow,
  ResolvedAiKpiOptions,
  ResolvedTenantLabel,
  TenantLabelOptions,
} from './business-kpi-options.interface';

const TENANT_KEYS = optionKeys({
  label: true,
  maxValues: true,
} satisfies Record<keyof TenantLabelOptions, true>);

const AI_KEYS = optionKeys({
  naming: true,
  costWindows: true,
  baselineWindows: true,
  costSpike: true,
} satisfies Record<keyof AiKpiOptions, true>);

const SPIKE_KEYS = optionKeys({
  threshold: true,
  forSeconds: true,
  severity: true,
} satisfies Record<keyof Exclude<AiKpiOptions['costSpike'], false | undefined>, true>);

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([1-9]\d*)(s|m|h|d)$/;

/** `'1h'` as milliseconds, or `undefined` when it is not a duration of the form `<n>s|m|h|d`. */
export function parseWindow(value: unknown): number | undefined {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  return match ? Number(match[1]) * UNIT_MS[match[2]] : undefined;
}

/** `kpi.tenant`: `undefined` (no tenant label) unless given. */
export function resolveTenantLabel(kpi: OptionReader): ResolvedTenantLabel | undefined {
  if (!kpi.has('tenant')) return undefined;
  const tenant = kpi.object('tenant', TENANT_KEYS);
  return {
    label: tenant.oneOf('label', ['tenant_id', 'workspace_id'] as const) ?? 'tenant_id',
    maxValues: tenant.integer('maxValues', POSITIVE) ?? 100,
  };
}

/** `kpi.ai`, with its defaults. */
export function resolveAiKpi(kpi: OptionReader): ResolvedAiKpiOptions {
  const ai = kpi.object('ai', AI_KEYS);
  const costWindows: CostWindow[] = [];
  const windows = ai.get('costWindows');
  if (windows !== undefined) {
    const list = Array.isArray(windows) ? windows : [windows];
    const valid = Array.isArray(windows) && list.every((w) => parseWindow(w) !== undefined);
    if (valid && new Set(list).size === list.length) {
      for (const label of list as string[]) costWindows.push({ label, ms: parseWindow(label)! });
    } else {
      ai.problems.add(
        ai.at('costWindows'),
        'an array of distinct durations such as ["1h", "24h"] (a positive integer and s, m, h or d)',
        windows,
      );
    }
  }
  let costSpike: ResolvedAiKpiOptions['costSpike'] = {
    threshold: 2,
    forMs: 300_000,
    severity: 'critical',
  };
  const spike = ai.get('costSpike');
  if (spike === false) costSpike = undefined;
  else if (spike !== undefined && !isPlainObject(spike)) {
    ai.problems.add(ai.at('costSpike'), 'false or { threshold, forSeconds, severity }', spike);
  } else if (spike !== undefined) {
    const reader = ai.object('costSpike', SPIKE_KEYS);
    costSpike = {
      threshold: reader.number('threshold', { min: 0, above: true }) ?? 2,
      forMs: (reader.number('forSeconds', { min: 0 }) ?? 300) * 1000,
      severity: reader.oneOf('severity', ['warning', 'critical'] as const) ?? 'critical',
    };
  }
  return {
    naming: ai.oneOf('naming', ['default', 'openai'] as const) ?? 'default',
    costWindows,
    baselineWindows: ai.integer('baselineWindows', POSITIVE) ?? 24,
    costSpike,
  };
}
