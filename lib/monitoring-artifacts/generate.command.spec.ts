import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './generate.command';

describe('nestjs-observability generate', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const run = (...argv: string[]) =>
    main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'generate-command-'));
    out = [];
    err = [];
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the files with the prefix and service of the flags', async () => {
    const target = join(dir, 'monitoring');
    expect(await run('generate', '--out', target, '--prefix', 'luneo_', '--service=api')).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe(`Wrote 8 files into ${target}:`);
    expect(out.slice(1)).toContain(`  ${join(target, 'grafana', 'ai-cost.json')}`);
    const alerts = readFileSync(join(target, 'alerts.yml'), 'utf8');
    expect(alerts).toContain(
      `expr: 'sum by (service) (rate(luneo_errors_total{service="api"}[5m])) > 10'`,
    );
  });

  it('reads options from --config, and flags win over it', async () => {
    const config = join(dir, 'options.json');
    writeFileSync(
      config,
      JSON.stringify({
        prefix: 'ignored_',
        alerts: { HighErrorRate: { threshold: 25 } },
        metrics: { payment_failures_total: { enabled: false } },
      }),
    );
    expect(await run('generate', '--config', config, '--out', dir, '--prefix', 'app_')).toBe(0);
    const alerts = readFileSync(join(dir, 'alerts.yml'), 'utf8');
    expect(alerts).toContain("expr: 'sum by (service) (rate(app_errors_total[5m])) > 25'");
    expect(alerts).not.toContain('PaymentFailures');
  });

  it('exits 1 naming an unknown metric of an override', async () => {
    const config = join(dir, 'options.json');
    writeFileSync(config, JSON.stringify({ metrics: { luneo_errors_total: { enabled: false } } }));
    expect(await run('generate', '--out', join(dir, 'x'), '--config', config)).toBe(1);
    expect(err.join('\n')).toContain(
      'metrics.luneo_errors_total: unknown metric "luneo_errors_total"; name a built-in metric without the prefix',
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('exits 1 naming a negative threshold', async () => {
    const config = join(dir, 'options.json');
    writeFileSync(config, JSON.stringify({ alerts: { PaymentFailures: { threshold: -3 } } }));
    expect(await run('generate', '--out', dir, '--config', config)).toBe(1);
    expect(err).toEqual([
      [
        'Invalid monitoring artifacts options:',
        '  - alerts.PaymentFailures.threshold: expected a finite number >= 0, got -3',
        'Fix the options of generateMonitoringArtifacts() or the flags of `nestjs-observability generate`.',
      ].join('\n'),
    ]);
  });

  it('exits 1 naming an invalid prefix flag', async () => {
    expect(await run('generate', '--out', dir, '--prefix', 'luneo-')).toBe(1);
    expect(err[0]).toContain('prefix: expected a metric name prefix matching');
  });

  it('exits 2 with the usage on an unknown flag, command, missing value or missing --out', async () => {
    expect(await run('generate', '--out', dir, '--prefx', 'a_')).toBe(2);
    expect(err[0]).toBe(
      'Unknown flag "--prefx"; expected --out, --prefix, --service, --runbook-url, --config or --help.',
    );
    expect(err.join('\n')).toContain('Usage: nestjs-observability generate --out <dir>');
    err = [];
    expect(await run('generat', '--out', dir)).toBe(2);
    expect(err[0]).toBe('Unknown command "generat"; expected "generate" or "report".');
    err = [];
    expect(await run('generate', '--out')).toBe(2);
    expect(err[0]).toBe('The flag "--out" needs a value.');
    err = [];
    expect(await run('generate', '--prefix', 'a_')).toBe(2);
    expect(err[0]).toBe('The flag "--out" is required: the folder to write the files into.');
    err = [];
    expect(await run('generate', '--config', join(dir, 'missing.json'), '--out', dir)).toBe(2);
    expect(err[0]).toMatch(/^Cannot read the options file ".*missing\.json": ENOENT/);
  });

  it('prints the usage on --help', async () => {
    expect(await run('generate', '--help')).toBe(0);
    expect(await run('--help')).toBe(0);
    expect(await run()).toBe(2);
    expect(out).toHaveLength(3);
    expect(out[0]).toContain('Usage: nestjs-observability generate');
  });
});
