import { csvField, reportsToCsv } from './report-csv';
import type { Report } from './report.types';

describe('report CSV', () => {
  it('quotes fields with commas, quotes and line breaks, and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(null)).toBe('');
  });

  it('writes one row per number, rows of lists labelled by their text fields', () => {
    const report: Report = {
      report: 'performance',
      source: 'prometheus',
      service: 'api',
      period: {
        start: '2027-01-01T00:00:00.000Z',
        end: '2027-01-02T00:00:00.000Z',
        seconds: 86_400,
      },
      notes: ['uptime: no data, "up" missing'],
      summary: { requests: 7, error_rate: null },
      routes: [{ method: 'GET', route: '/a,b', requests: 3, p95_response_time: 0.05 }],
      revenue: 'no data',
    };
    expect(reportsToCsv([report]).split('\r\n')).toEqual([
      'report,field,labels,value',
      'performance,source,,prometheus',
      'performance,service,,api',
      'performance,period.start,,2027-01-01T00:00:00.000Z',
      'performance,period.end,,2027-01-02T00:00:00.000Z',
      'performance,period.seconds,,86400',
      'performance,notes,,"uptime: no data, ""up"" missing"',
      'performance,summary.requests,,7',
      'performance,summary.error_rate,,',
      'performance,routes.requests,"method=GET;route=/a,b",3',
      'performance,routes.p95_response_time,"method=GET;route=/a,b",0.05',
      'performance,revenue,,no data',
      '',
    ]);
  });
});
