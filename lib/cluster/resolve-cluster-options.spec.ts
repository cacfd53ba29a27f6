import { resolveClusterOptions, resolveClusterServerOptions } from './resolve-cluster-options';

describe('resolveClusterOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveClusterOptions()).toEqual({
      timeoutMs: 5000,
      maxSeriesPerMetric: 1000,
      aggregators: {},
      prefix: '',
      defaultLabels: {},
      logger: console,
    });
  });

  it('keeps valid options', () => {
    const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    expect(
      resolveClusterOptions({
        timeoutMs: 250,
        maxSeriesPerMetric: 10,
        aggregators: { my_gauge: 'max' },
        prefix: 'app_',
        defaultLabels: { service: 'api' },
        logger,
      }),
    ).toEqual({
      timeoutMs: 250,
      maxSeriesPerMetric: 10,
      aggregators: { my_gauge: 'max' },
      prefix: 'app_',
      defaultLabels: { service: 'api' },
      logger,
    });
  });

  it('names every bad field in one error', () => {
    let message = '';
    try {
      resolveClusterOptions({
        timeoutMs: 0,
        maxSeriesPerMetric: 1.5,
        aggregators: { g: 'median' },
        prefix: '1x',
        defaultLabels: { 'bad-name': 'x', ok: 3 },
        logger: {},
        timeout: 5,
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Invalid ClusterMetricsAggregator options:');
    for (const expected of [
      'timeout: unknown option',
      'timeoutMs: expected a positive integer <= 2147483647, got 0',
      'maxSeriesPerMetric: expected a positive integer, got 1.5',
      'aggregators.g: expected one of sum, max, min, average, first, omit, got "median"',
      'prefix: expected a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*, got "1x"',
      'defaultLabels.bad-name: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__", got "bad-name"',
      'defaultLabels.ok: expected a string, got 3',
      'logger: expected an object with log, warn and error methods',
    ]) {
      expect(message).toContain(expected);
    }
  });
});

describe('resolveClusterServerOptions', () => {
  it('defaults to the metrics server defaults', () => {
    expect(resolveClusterServerOptions()).toEqual({
      port: 9091,
      host: '0.0.0.0',
      path: '/metrics',
    });
  });

  it('names every bad field', () => {
    expect(() => resolveClusterServerOptions({ port: 70000, host: '', path: 'metrics' })).toThrow(
      /start\(\)\.port: expected an integer 0-65535, got 70000[\s\S]*start\(\)\.host[\s\S]*start\(\)\.path/,
    );
  });
});
