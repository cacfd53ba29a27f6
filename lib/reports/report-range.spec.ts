import { parseDuration, ReportRangeError, resolveReportRange } from './report-range';

const NOW = 1_800_000_000;

function error(input: Parameters<typeof resolveReportRange>[0]): [string, string] {
  try {
    resolveReportRange(input, NOW, 3600);
  } catch (e) {
    if (e instanceof ReportRangeError) return [e.field, e.message];
    throw e;
  }
  throw new Error('no error');
}

describe('resolveReportRange', () => {
  it('reads durations, days, hours, start and end', () => {
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('2w')).toBe(1_209_600);
    expect(parseDuration('0h')).toBeUndefined();
    expect(resolveReportRange({}, NOW, 3600)).toEqual({ start: NOW - 3600, end: NOW });
    expect(resolveReportRange({ since: '24h' }, NOW, 3600)).toEqual({
      start: NOW - 86_400,
      end: NOW,
    });
    expect(resolveReportRange({ days: '7' }, NOW, 3600).start).toBe(NOW - 7 * 86_400);
    expect(resolveReportRange({ hours: '6', end: String(NOW - 60) }, NOW, 3600)).toEqual({
      start: NOW - 60 - 6 * 3600,
      end: NOW - 60,
    });
    expect(
      resolveReportRange(
        { start: '2027-01-01T00:00:00Z', end: '2027-01-02T00:00:00+00:00' },
        NOW,
        3600,
      ),
    ).toEqual({ start: 1_798_761_600, end: 1_798_848_000 });
  });

  it('names the parameter of every bad range', () => {
    expect(error({ since: '24' })).toEqual([
      'since',
      '"since" must be a duration such as 90m, 24h, 7d or 2w, got "24".',
    ]);
    expect(error({ days: '1.5' })).toEqual([
      'days',
      '"days" must be a whole number from 1 to 400, got "1.5".',
    ]);
    expect(error({ hours: '0' })[0]).toBe('hours');
    expect(error({ start: 'Tuesday' })[0]).toBe('start');
    expect(error({ since: '2h', end: 'soon' })[0]).toBe('end');
    expect(error({ end: String(NOW + 3600) })).toEqual([
      'end',
      `"end" must not be in the future (${NOW + 3600}).`,
    ]);
    expect(error({ start: String(NOW), end: String(NOW - 10) })[1]).toBe(
      'The range must start before it ends.',
    );
    expect(error({ since: '401d' })).toEqual([
      'since',
      'The range must not exceed 400 days (401 days asked).',
    ]);
    expect(error({ hours: '2', start: String(NOW - 10) })).toEqual([
      'start',
      'Give one of "since", "days", "hours" or "start", not "hours" and "start".',
    ]);
  });
});
