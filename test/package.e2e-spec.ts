import { spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './utils/free-port';
import { send } from './utils/http-client';
import {
  exec,
  installedVersion,
  MINUTE,
  mustRun,
  type Outcome,
  packRepository,
  ROOT,
} from './utils/npm-package';

/**
 * Proves the published artifact, not the sources: `npm pack` the repository, install the
 * tarball into a separate Nest application in a temp folder, boot it with plain `node`, and
 * type-check user code against the installed `.d.ts` files. Nothing here resolves through the
 * repository's `paths` mapping or Jest's `moduleNameMapper`.
 */

const FIXTURE = join(__dirname, 'fixtures', 'consumer-app');
const WORKER_FIXTURE = join(__dirname, 'fixtures', 'worker-app');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The consumer pins the versions the repository is tested with (and has in the npm cache). */
const PINNED = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
  '@types/node',
];

const tsc = (consumer: string, project: string, ...flags: string[]): Promise<Outcome> =>
  exec(
    process.execPath,
    [TSC, '-p', join(consumer, project), '--noEmit', ...flags],
    consumer,
    2 * MINUTE,
  );

describe('the npm package', () => {
  let workdir: string;
  let consumer: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    ({ workdir, tarball } = await packRepository('nestjs-observability-pack-'));
    const listing = await mustRun('tar', ['-tzf', tarball], workdir, MINUTE);
    files = listing.stdout.split('\n').filter(Boolean);

    consumer = join(workdir, 'consumer-app');
    cpSync(FIXTURE, consumer, { recursive: true });
    const dependencies: Record<string, string> = { 'nestjs-observability': `file:${tarball}` };
    for (const name of PINNED) dependencies[name] = installedVersion(name);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer-app', version: '0.0.0', private: true, dependencies }),
    );
    await mustRun(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund'],
      consumer,
      3 * MINUTE,
    );
  }, 4 * MINUTE);

  afterAll(() => {
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('ships the build, its declarations and the README, and nothing else of the repository', () => {
    const required = [
      'package/package.json',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/instrument.js',
      'package/dist/instrument.d.ts',
      'package/README.md',
      'package/LICENSE',
    ];
    expect(required.filter((file) => !files.includes(file))).toEqual([]);
    const forbidden = files.filter(
      (file) =>
        /\.spec\./.test(file) ||
        /^package\/(lib|sample-app|dist-sample|test|bench|node_modules|coverage)\//.test(file) ||
        /\.tsbuildinfo$/.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')),
    );
    expect(forbidden).toEqual([]);
  });

  it('resolves Nest from the application, so library and app share one copy', () => {
    const fromApp = (request: string): string => require.resolve(request, { paths: [consumer] });
    const library = join(consumer, 'node_modules', 'nestjs-observability');
    const willsoto = join(consumer, 'node_modules', '@willsoto', 'nestjs-prometheus');
    for (const name of ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs']) {
      expect(fromApp(name).startsWith(join(consumer, 'node_modules', name))).toBe(true);
      expect(require.resolve(name, { paths: [library] })).toBe(fromApp(name));
      expect(require.resolve(name, { paths: [willsoto] })).toBe(fromApp(name));
    }
  });

  it(
    'boots in a plain Node application and serves the KPI and @TrackDuration() metrics',
    async () => {
      // Only the options passed in main.js may configure the module.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => key !== 'ENABLE_METRICS' && !key.startsWith('METRICS_'),
        ),
      );
      const { stdout } = await mustRun(process.execPath, ['main.js'], consumer, MINUTE, env);
      const lines = stdout.split('\n');
      expect(lines).toContain('RESULT report:1500');
      expect(lines).toContain('STATUS 200');
      expect(lines).toContain(
        'token_spend_total{model="gpt-4",type="completion",service="consumer"} 1500',
      );
      expect(lines).toContain(
        'method_duration_seconds_count{service="consumer",class="ReportService",method="build",status="success"} 1',
      );
    },
    MINUTE,
  );

  it(
    'ships the Sentry instrument entry: a no-op without a DSN, an "install @sentry/nestjs" error with one',
    async () => {
      // The consumer does not install the optional peer @sentry/nestjs.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('SENTRY_')),
      );
      const script = "require('nestjs-observability/instrument'); console.log('INSTRUMENTED');";
      const without = await exec(process.execPath, ['-e', script], consumer, MINUTE, env);
      expect(without).toMatchObject({ code: 0, stdout: 'INSTRUMENTED\n' });

      const withDsn = await exec(process.execPath, ['-e', script], consumer, MINUTE, {
        ...env,
        SENTRY_DSN: 'https://key@sentry.example.com/1',
      });
      expect(withDsn.code).not.toBe(0);
      expect(withDsn.stderr).toContain('Run "npm install @sentry/nestjs"');
    },
    MINUTE,
  );

  it(
    'installs the nestjs-observability binary, which generates the monitoring files and refuses bad input',
    async () => {
      const bin = join(consumer, 'node_modules', '.bin', 'nestjs-observability');
      const generated = await mustRun(
        bin,
        ['generate', '--out', 'monitoring', '--prefix', 'luneo_', '--service', 'api'],
        consumer,
        MINUTE,
      );
      expect(generated.stdout).toContain('Wrote 8 files into monitoring:');
      const alerts = readFileSync(join(consumer, 'monitoring', 'alerts.yml'), 'utf8');
      expect(alerts).toContain('luneo_errors_total{service="api"}');
      expect(
        JSON.parse(readFileSync(join(consumer, 'monitoring', 'grafana', 'ai-cost.json'), 'utf8'))
          .title,
      ).toBe('AI Cost');

      writeFileSync(
        join(consumer, 'bad-options.json'),
        JSON.stringify({ alerts: { HighErrorRate: { threshold: -1 } } }),
      );
      const bad = await exec(
        bin,
        ['generate', '--out', 'monitoring', '--config', 'bad-options.json'],
        consumer,
        MINUTE,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(
        'alerts.HighErrorRate.threshold: expected a finite number >= 0, got -1',
      );
      const unknownFlag = await exec(bin, ['generate', '--outdir', 'x'], consumer, MINUTE);
      expect(unknownFlag.code).toBe(2);
      expect(unknownFlag.stderr).toContain('Unknown flag "--outdir"');
    },
    MINUTE,
  );

  it(
    'loads nothing but its own files (and the OpenTelemetry API) from the "load first" entries',
    async () => {
      const env = Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => !key.startsWith('SENTRY_') && !key.startsWith('OTEL_'),
        ),
      );
      const library = join(consumer, 'node_modules', 'nestjs-observability');
      const otelApi = join(consumer, 'node_modules', '@opentelemetry', 'api');
      // `/sentry` loads nothing else; `/instrument` and `/tracing` also start tracing, which
      // needs the OpenTelemetry API (it instruments nothing itself), and read every option.
      for (const [entry, others, most] of [
        ['nestjs-observability/sentry', [], 12],
        ['nestjs-observability/instrument', ['@opentelemetry/api'], 60],
        ['nestjs-observability/tracing', ['@opentelemetry/api'], 60],
      ] as const) {
        const script = `
          const before = new Set(Object.keys(require.cache));
          require(${JSON.stringify(entry)});
          console.log(JSON.stringify(Object.keys(require.cache).filter((f) => !before.has(f))));
        `;
        const { stdout } = await mustRun(process.execPath, ['-e', script], consumer, MINUTE, env);
        const loaded: string[] = JSON.parse(stdout);
        const outside = loaded.filter((file) => !file.startsWith(library));
        expect({
          entry,
          packages: [
            ...new Set(
              outside.map((file) => (file.startsWith(otelApi) ? '@opentelemetry/api' : file)),
            ),
          ],
        }).toEqual({ entry, packages: [...others] });
        expect(loaded.filter((file) => file.startsWith(library)).length).toBeLessThanOrEqual(most);
      }
    },
    MINUTE,
  );

  it('ships declarations without "any" and without @internal members', () => {
    const dist = join(consumer, 'node_modules', 'nestjs-observability', 'dist');
    const offending: string[] = [];
    for (const file of readdirSync(dist, { recursive: true }) as string[]) {
      if (!file.endsWith('.d.ts')) continue;
      const text = readFileSync(join(dist, file), 'utf8');
      text.split('\n').forEach((line, index) => {
        const code = line
          .replace(/\/\/.*$|\/\*.*?\*\/|^\s*\*.*$/g, '')
          .replace(/'[^']*'|"[^"]*"/g, '');
        if (/\bany\b/.test(code)) offending.push(`${file}:${index + 1}: ${line.trim()}`);
      });
      if (text.includes('@internal')) offending.push(`${file}: keeps an @internal declaration`);
    }
    expect(offending).toEqual([]);
  });

  it(
    'leaves the CLI executable after `npm run build`, so `npx nestjs-observability` runs in the repository',
    async () => {
      // packRepository ran `prepack`, which is `npm run build`, in the repository.
      const cli = join(ROOT, 'dist', 'monitoring-artifacts', 'cli.js');
      expect((statSync(cli).mode & 0o111).toString(8)).toBe('111');
      const help = await exec(
        'npx',
        ['--no-install', 'nestjs-observability', '--help'],
        ROOT,
        MINUTE,
      );
      expect(help.stderr).not.toContain('Permission denied');
      expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('generate') });
    },
    MINUTE,
  );

  it(
    "type-checks user code against the package's declarations and rejects a wrong KPI",
    async () => {
      writeFileSync(
        join(consumer, 'src', 'bad.ts'),
        [
          "import { CustomMetricsService } from 'nestjs-observability';",
          '',
          'export function track(metrics: CustomMetricsService): void {',
          "  metrics.trackKPI({ type: 'token_spend', data: { tokens: '1500', model: 'gpt-4', type: 'completion' } });",
          '}',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(consumer, 'tsconfig.bad.json'),
        JSON.stringify({ extends: './tsconfig.json', files: ['src/bad.ts'] }),
      );

      const [node10, nodenext, bad] = await Promise.all([
        // The full check, declarations of the package and of Nest included (skipLibCheck: false).
        tsc(consumer, 'tsconfig.json'),
        // These two only look at resolution and user code; the declarations were checked above.
        tsc(consumer, 'tsconfig.nodenext.json', '--skipLibCheck'),
        tsc(consumer, 'tsconfig.bad.json', '--skipLibCheck'),
      ]);

      // `moduleResolution: node` reads `types`; `nodenext` reads the `exports` map.
      expect(node10).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(nodenext).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toMatch(
        /src\/bad\.ts\(4,\d+\): error TS2322: Type 'string' is not assignable to type 'number'\./,
      );
    },
    2 * MINUTE,
  );

  describe('its framework-free core, in a project that lists no Nest package', () => {
    let worker: string;

    beforeAll(async () => {
      worker = join(workdir, 'worker-app');
      cpSync(WORKER_FIXTURE, worker, { recursive: true });
      const dependencies = {
        'nestjs-observability': `file:${tarball}`,
        '@types/node': installedVersion('@types/node'),
      };
      writeFileSync(
        join(worker, 'package.json'),
        JSON.stringify({ name: 'worker-app', version: '0.0.0', private: true, dependencies }),
      );
      await mustRun(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund'],
        worker,
        3 * MINUTE,
      );
    }, 4 * MINUTE);

    it(
      'loads no Nest module, serves exact metrics on METRICS_PORT, alerts, and exits cleanly on SIGTERM',
      async () => {
        const port = await freePort();
        const env: NodeJS.ProcessEnv = {
          ...Object.fromEntries(
            Object.entries(process.env).filter(
              ([key]) =>
                !key.startsWith('METRICS_') &&
                !key.startsWith('SENTRY_') &&
                !key.startsWith('ALERT'),
            ),
          ),
          METRICS_PORT: String(port),
          METRICS_HOST: '127.0.0.1',
          NODE_ENV: 'production',
        };
        const child = spawn(process.execPath, ['worker.js'], { cwd: worker, env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        try {
          const deadline = Date.now() + 30_000;
          while (!/^READY \d+$/m.test(stdout)) {
            if (Date.now() > deadline || child.exitCode !== null) {
              throw new Error(`the worker did not start:\n${stdout}\n${stderr}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          expect(stdout).toContain('LOADED []');
          expect(stdout).toContain(`READY ${port}`);

          const scrape = await send(`http://127.0.0.1:${port}`, 'GET', '/metrics');
          expect(scrape.status).toBe(200);
          const lines = scrape.body.split('\n');
          for (const line of [
            'active_users_total{service="worker"} 2',
            'token_spend_total{model="gpt-4",type="completion",service="worker"} 1200',
            'generation_success_total{type="image",service="worker"} 1',
            'queue_job_duration_seconds_count{service="worker",queue_name="image-generation",job_type="dalle-3"} 1',
            'queue_jobs_completed_total{queue_name="image-generation",job_type="dalle-3",service="worker"} 1',
            'active_jobs_total{queue_name="image-generation",service="worker"} 0',
            'queue_failures_total{queue_name="image-generation",error_type="RateLimitError",service="worker"} 1',
            'observability_dropped_events_total{reason="invalid_value",service="worker"} 1',
          ]) {
            expect(lines).toContain(line);
          }
          expect(lines.some((line) => line.startsWith('process_cpu'))).toBe(false);

          child.kill('SIGTERM');
          expect(await exited).toBe(0);
          expect(stdout).toContain('CLOSED');
          // JSON log lines: the app's own line, and the alert through the default log channel.
          const logs = stdout
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as Record<string, unknown>);
          expect(logs).toContainEqual(
            expect.objectContaining({
              msg: 'Job failed and alerted',
              jobId: '42',
              service: 'worker',
            }),
          );
          expect(logs).toContainEqual(
            expect.objectContaining({
              context: 'Alerting',
              level: 'warn',
              msg: '[FIRING:1] QueueJobFailed: WARNING: Job failed in queue "image-generation": model overloaded | Labels: queue=image-generation, error_type=RateLimitError',
            }),
          );
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      },
      MINUTE,
    );

    it(
      'type-checks worker code against the core declarations (skipLibCheck off, node10 and nodenext)',
      async () => {
        const [node10, nodenext] = await Promise.all([
          tsc(worker, 'tsconfig.json'),
          tsc(worker, 'tsconfig.nodenext.json'),
        ]);
        expect(node10).toEqual({ code: 0, stdout: '', stderr: '' });
        expect(nodenext).toEqual({ code: 0, stdout: '', stderr: '' });
      },
      2 * MINUTE,
    );
  });
});
