import { Problems } from '../config/problems';
import { resolveReportsOptions } from './resolve-reports-options';

describe('resolveReportsOptions', () => {
  it('is off by default, on with REPORTS_ENABLED, with PROMETHEUS_URL when no option is given', () => {
    const problems = new Problems();
    expect(resolveReportsOptions(undefined, {}, problems)).toEqual({
      enabled: false,
      prometheusUrl: undefined,
      path: '/reports',
      timeoutMs: 10_000,
    });
    expect(
      resolveReportsOptions(
        undefined,
        { REPORTS_ENABLED: 'true', PROMETHEUS_URL: 'http://prometheus:9090/' },
        problems,
      ),
    ).toMatchObject({ enabled: true, prometheusUrl: 'http://prometheus:9090' });
    expect(
      resolveReportsOptions(
        { prometheusUrl: 'https://prom.internal/prom', path: '/api/v1/metrics' },
        { PROMETHEUS_URL: 'http://other:9090' },
        problems,
      ),
    ).toMatchObject({ prometheusUrl: 'https://prom.internal/prom', path: '/api/v1/metrics' });
    expect(problems.list).toEqual([]);
  });

  it('names every bad field, never printing the credentials of a URL', () => {
    const problems = new Problems();
    resolveReportsOptions(
      { enabled: 'yes', path: 'reports', timeoutMs: 0, extra: 1 },
      { PROMETHEUS_URL: 'ftp://user:hunter2@prom' },
      problems,
    );
    resolveReportsOptions(undefined, { PROMETHEUS_URL: 'ftp://user:hunter2@prom' }, problems);
    expect(problems.list.join('\n')).not.toContain('hunter2');
    expect(problems.list.map((p) => p.split(':')[0])).toEqual([
      'reports.extra',
      'PROMETHEUS_URL (environment)',
      'reports.enabled',
      'reports.path',
      'reports.timeoutMs',
      'PROMETHEUS_URL (environment)',
    ]);
  });
});
