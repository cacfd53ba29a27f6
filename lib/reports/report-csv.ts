import type { Report } from './report.types';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A
 * text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
 * leading `'`: label values such as routes and plans come from users.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'number' ? String(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header of {@link reportCsvRows}. */
export const CSV_HEADER = ['report', 'field', 'labels', 'value'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A report as rows `[report, field, labels, value]`: nested fields joined with `.`; in a list of
 * rows (routes, plans), the text fields of each row become its labels (`method=POST;route=/pay`)
 * and each number a value. Notes are rows of field `notes`.
 */
export function reportCsvRows(report: Report): unknown[][] {
  const rows: unknown[][] = [];
  const walk = (value: unknown, field: string): void => {
    if (Array.isArray(value)) {
      if (value.every((item) => !isRecord(item))) {
        for (const item of value) rows.push([report.report, field, '', item]);
        return;
      }
      for (const item of value as Record<string, unknown>[]) {
        const labels = Object.entries(item)
          .filter(([, v]) => typeof v === 'string')
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(';');
        for (const [key, v] of Object.entries(item)) {
          if (typeof v !== 'string') rows.push([report.report, `${field}.${key}`, labels, v]);
        }
      }
      return;
    }
    if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) walk(v, field ? `${field}.${key}` : key);
      return;
    }
    rows.push([report.report, field, '', value]);
  };
  const { report: _kind, ...rest } = report;
  walk(rest, '');
  return rows;
}

/** Reports as one CSV document (CRLF line ends, a header row), ready to send or save. */
export function reportsToCsv(reports: readonly Report[]): string {
  const lines = [CSV_HEADER, ...reports.flatMap(reportCsvRows)].map((row) =>
    row.map(csvField).join(','),
  );
  return `${lines.join('\r\n')}\r\n`;
}
