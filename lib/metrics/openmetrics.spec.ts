import { toOpenMetrics, wantsOpenMetrics } from './openmetrics';

describe('toOpenMetrics', () => {
  it('renames counter families, keeps samples suffixed and ends with # EOF', () => {
    const prometheus = [
      '# HELP jobs_total Jobs done.',
      '# TYPE jobs_total counter',
      'jobs_total{queue="a"} 3',
      '',
      '# HELP legacy Counter without suffix.',
      '# TYPE legacy counter',
      'legacy 1',
      '',
      '# HELP temp Temperature.',
      '# TYPE temp gauge',
      'temp 21.5',
      '',
      '# HELP d_seconds Duration.',
      '# TYPE d_seconds histogram',
      'd_seconds_bucket{le="+Inf"} 1',
      'd_seconds_sum 0.2',
      'd_seconds_count 1',
      '',
    ].join('\n');
    expect(toOpenMetrics(prometheus)).toBe(
      [
        '# HELP jobs Jobs done.',
        '# TYPE jobs counter',
        'jobs_total{queue="a"} 3',
        '# HELP legacy Counter without suffix.',
        '# TYPE legacy counter',
        'legacy_total 1',
        '# HELP temp Temperature.',
        '# TYPE temp gauge',
        'temp 21.5',
        '# HELP d_seconds Duration.',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{le="+Inf"} 1',
        'd_seconds_sum 0.2',
        'd_seconds_count 1',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('recognises the OpenMetrics Accept header', () => {
    expect(wantsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;q=0.5')).toBe(
      true,
    );
    expect(wantsOpenMetrics('text/plain')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});
