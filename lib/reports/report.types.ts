/** The reports, by the name of their route. */
export const REPORT_KINDS = ['dashboard', 'business-intelligence', 'performance'] as const;

/** One of {@link REPORT_KINDS}: `dashboard` is the overview. */
export type ReportKind = (typeof REPORT_KINDS)[number];

/** Marks a field whose metric has no series in the range. */
export const NO_DATA = 'no data';

/** A report field's value: a number, `null` (undefined ratio), or {@link NO_DATA}. */
export type ReportNumber = number | null | typeof NO_DATA;

/** What every report starts with. */
export interface ReportHeader {
  report: ReportKind;
  /** `prometheus` (any range, every instance) or `process` (this process since it started). */
  source: 'prometheus' | 'process';
  /** The `service` the numbers are of; `null` for every service. */
  service: string | null;
  period: { start: string; end: string; seconds: number };
  /** What the report could not answer, and why. */
  notes: string[];
}

/** A JSON report: the header and its sections. */
export type Report = ReportHeader & Record<string, unknown>;
