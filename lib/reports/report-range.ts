/** What a caller may ask for: a window ending now (or at `end`), or `start` to `end`. */
export interface ReportRangeInput {
  /** A duration such as `90m`, `24h`, `7d`, `2w`. */
  since?: string;
  /** Whole days (the `?days=` of the dashboard and business routes). */
  days?: string;
  /** Whole hours (the `?hours=` of the performance route). */
  hours?: string;
  /** RFC 3339 time or Unix seconds; with `end`, or with a duration ending at `end`. */
  start?: string;
  /** RFC 3339 time or Unix seconds. @default now */
  end?: string;
}

/** A resolved time range, in Unix seconds. */
export interface ReportRange {
  start: number;
  end: number;
}

/** A bad range parameter; its message names the parameter and what it accepts. */
export class ReportRangeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReportRangeError';
  }
}

/** The longest range a report covers: Prometheus rarely keeps more. */
export const MAX_RANGE_SECONDS = 400 * 86_400;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Seconds of a duration such as `24h`, or `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})(s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2]];
  return seconds > 0 ? seconds : undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseTime(field: string, text: string): number {
  const trimmed = text.trim();
  const seconds = /^\d+(\.\d+)?$/.test(trimmed)
    ? Number(trimmed)
    : RFC3339.test(trimmed)
      ? Date.parse(trimmed) / 1000
      : NaN;
  if (!Number.isFinite(seconds)) {
    throw new ReportRangeError(
      field,
      `"${field}" must be an RFC 3339 time (2026-01-31T00:00:00Z) or Unix seconds, got ${JSON.stringify(text)}.`,
    );
  }
  return seconds;
}

function wholeNumber(field: string, text: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > max) {
    throw new ReportRangeError(
      field,
      `"${field}" must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}.`,
    );
  }
  return value;
}

/**
 * Resolves `input` into a range ending at `end` (default `now`, Unix seconds): exactly one of
 * `since`, `days`, `hours` or `start`; `defaultSeconds` when none is given. Throws a
 * {@link ReportRangeError} naming the parameter for anything it cannot read, for a range that
 * ends in the future or before it starts, or one longer than 400 days.
 */
export function resolveReportRange(
  input: ReportRangeInput,
  now: number,
  defaultSeconds: number,
): ReportRange {
  const given = (['since', 'days', 'hours', 'start'] as const).filter(
    (field) => input[field] !== undefined && input[field] !== '',
  );
  if (given.length > 1) {
    throw new ReportRangeError(
      given[1],
      `Give one of "since", "days", "hours" or "start", not ${given.map((g) => `"${g}"`).join(' and ')}.`,
    );
  }
  const end = input.end !== undefined && input.end !== '' ? parseTime('end', input.end) : now;
  if (end > now + 60) {
    throw new ReportRangeError('end', `"end" must not be in the future (${input.end}).`);
  }
  let start: number;
  switch (given[0]) {
    case 'since': {
      const seconds = parseDuration(input.since!);
      if (seconds === undefined) {
        throw new ReportRangeError(
          'since',
          `"since" must be a duration such as 90m, 24h, 7d or 2w, got ${JSON.stringify(input.since)}.`,
        );
      }
      start = end - seconds;
      break;
    }
    case 'days':
      start = end - wholeNumber('days', input.days!, 400) * 86_400;
      break;
    case 'hours':
      start = end - wholeNumber('hours', input.hours!, 9_600) * 3_600;
      break;
    case 'start':
      start = parseTime('start', input.start!);
      break;
    default:
      start = end - defaultSeconds;
  }
  if (start >= end) {
    throw new ReportRangeError('start', `The range must start before it ends.`);
  }
  if (end - start > MAX_RANGE_SECONDS) {
    throw new ReportRangeError(
      given[0] ?? 'start',
      `The range must not exceed 400 days (${Math.round((end - start) / 86_400)} days asked).`,
    );
  }
  return { start, end };
}
