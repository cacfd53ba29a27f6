import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_DEFINITIONS } from '../lib/metrics/metric-catalog';

const START = '<!-- metrics-reference:start -->';
const END = '<!-- metrics-reference:end -->';
export const README_PATH = join(__dirname, '..', 'README.md');

/** The README's metrics reference table, rendered from the metric catalog. */
export function renderMetricsReference(): string {
  const rows = METRIC_DEFINITIONS.map((m) => {
    const labels = ['service', ...m.labelNames].map((l) => `\`${l}\``).join(', ');
    const buckets = m.buckets ? ` Buckets: ${m.buckets.join(', ')}.` : '';
    return `| \`${m.name}\` | ${m.type} | ${labels} | ${m.help}${buckets} |`;
  });
  return ['| Metric | Type | Labels | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README with its metrics reference section replaced by the rendered table. */
export function withMetricsReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} ... ${END} markers.`);
  return `${readme.slice(0, start + START.length)}\n${renderMetricsReference()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(README_PATH, withMetricsReference(readFileSync(README_PATH, 'utf8')));
}
