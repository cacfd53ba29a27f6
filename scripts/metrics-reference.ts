import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '../lib/metrics/metric-catalog';

const START = '<!-- metrics-reference:start -->';
const END = '<!-- metrics-reference:end -->';
/** The page that holds the metrics reference. */
export const REFERENCE_PATH = join(__dirname, '..', 'docs', 'metrics.md');

/** The metrics reference table, rendered from the metric catalog. */
export function renderMetricsReference(): string {
  const rows = METRIC_DEFINITIONS.map((m) => {
    const labels = ['service', ...m.labelNames].map((l) => `\`${l}\``).join(', ');
    const buckets = m.buckets ? ` Buckets: ${m.buckets.join(', ')}.` : '';
    return `| \`${m.name}\` | ${m.type} | ${labels} | ${m.help}${buckets} |`;
  });
  return ['| Metric | Type | Labels | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The page with its metrics reference section replaced by the rendered table. */
export function withMetricsReference(page: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`docs/metrics.md lacks the ${START} ... ${END} markers.`);
  return `${page.slice(0, start + START.length)}\n${renderMetricsReference()}\n${page.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(REFERENCE_PATH, withMetricsReference(readFileSync(REFERENCE_PATH, 'utf8')));
}
