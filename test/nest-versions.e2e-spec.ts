import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, installedVersion, MINUTE, mustRun, packRepository, ROOT } from './utils/npm-package';
import { SentryReceiver } from './utils/sentry-receiver';

/**
 * The published package in fresh Nest 11 and Nest 12 applications (Nest 12 is ESM-only), each
 * compiled both to CommonJS and to ESM with `skipLibCheck: false`: `npm install` needs no flag,
 * the declarations type-check, and the application boots and serves every capability. The
 * whole suite also runs on Node 22 and 24 in CI (`npm run test:node22`, `test:node24`), so each
 * case runs on every supported Node.
 */

const FIXTURE = join(__dirname, 'fixtures', 'nest-app');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NEST_MAJORS = ['11', '12'] as const;
/** The Sentry SDK the README tells each major to install: `@sentry/nestjs` declares Nest <= 11. */
const SENTRY_SDK = { '11': ['@sentry/nestjs', '^10.0.0'], '12': ['@sentry/node', '^11.0.0'] };

interface AppResult {
  node: string;
  report: { status: number; body: { report: string; requestId: string }; id: string | null };
  boom: number;
  health: number;
  ready: number;
  detailed: number;
  checks: string[];
  scrape: number;
  metrics: string[];
}

describe.each(NEST_MAJORS)('the package in a fresh Nest %s application', (major) => {
  let workdir: string;
  let app: string;
  const sentry = new SentryReceiver();

  beforeAll(async () => {
    let tarball: string;
    ({ workdir, tarball } = await packRepository(`nestjs-observability-nest${major}-`));
    app = join(workdir, 'app');
    cpSync(FIXTURE, app, { recursive: true });
    // What `nest new` lists, at this major; no `--legacy-peer-deps`, no overrides.
    const dependencies: Record<string, string> = {
      '@nestjs/common': `^${major}.0.0`,
      '@nestjs/core': `^${major}.0.0`,
      '@nestjs/platform-express': `^${major}.0.0`,
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
      [SENTRY_SDK[major][0]]: SENTRY_SDK[major][1],
      'nestjs-observability': `file:${tarball}`,
    };
    const devDependencies = {
      '@types/node': installedVersion('@types/node'),
      typescript: installedVersion('typescript'),
    };
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: `nest${major}-app`,
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies,
        devDependencies,
      }),
    );
    await mustRun('npm', ['install', '--no-audit', '--no-fund'], app, 4 * MINUTE);
    await sentry.start();
  }, 8 * MINUTE);

  afterAll(async () => {
    await sentry.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it(`installs Nest ${major} without a flag`, async () => {
    const { stdout } = await mustRun('npm', ['ls', '@nestjs/core', '--json'], app, MINUTE);
    const tree = JSON.parse(stdout) as {
      dependencies: Record<string, { version: string }>;
    };
    expect(tree.dependencies['@nestjs/core'].version.split('.')[0]).toBe(major);
  });

  it.each(['cjs', 'esm'] as const)(
    'type-checks (skipLibCheck off), boots as %s and serves every capability',
    async (format) => {
      const compiled = await exec(
        process.execPath,
        [TSC, '-p', `tsconfig.${format}.json`],
        app,
        2 * MINUTE,
      );
      expect(compiled).toEqual({ code: 0, stdout: '', stderr: '' });
      // CommonJS output next to a `"type": "module"` package.json needs its own marker.
      if (format === 'cjs') {
        writeFileSync(join(app, 'out', 'cjs', 'package.json'), '{"type":"commonjs"}');
      }

      const env = {
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([key]) => !/^(METRICS_|SENTRY_|ALERT|LOG_LEVEL|NODE_ENV|SERVICE_NAME)/.test(key),
          ),
        ),
        SENTRY_DSN: sentry.dsn,
        // The instrument entry reads the service from the environment, as in production.
        SERVICE_NAME: 'consumer',
      };
      sentry.clear();
      const run = await mustRun(
        process.execPath,
        [join('out', format, 'main.js')],
        app,
        MINUTE,
        env,
      );
      const resultLine = run.stdout.split('\n').find((line) => line.startsWith('RESULT '));
      expect(resultLine).toBeDefined();
      const result = JSON.parse(resultLine!.slice('RESULT '.length)) as AppResult;
      expect(result.node).toBe(process.version);
      expect(result.report).toEqual({
        status: 200,
        body: { report: 'report:7', requestId: 'req-7' },
        id: 'req-7',
      });
      expect([result.boom, result.health, result.ready, result.detailed, result.scrape]).toEqual([
        500, 200, 200, 200, 200,
      ]);
      expect(result.checks).toEqual(
        expect.arrayContaining(['memory_heap', 'event_loop', 'metrics_registry', 'alerting']),
      );
      for (const line of [
        'token_spend_total{model="gpt-4",type="completion",service="consumer"} 1500',
        'http_requests_total{method="GET",route="/reports/:id",status_code="200",service="consumer"} 1',
        'http_requests_total{method="GET",route="/boom",status_code="500",service="consumer"} 1',
        'method_duration_seconds_count{service="consumer",class="ReportService",method="build",status="success"} 1',
        'method_calls_total{class="ReportService",method="count",status="success",service="consumer"} 1',
        'queue_jobs_completed_total{queue_name="reports",job_type="render",service="consumer"} 1',
        'active_jobs_total{queue_name="reports",service="consumer"} 2',
        'errors_total{error_type="TypeError",severity="error",service="consumer"} 1',
        'errors_total{error_type="RangeError",severity="error",service="consumer"} 1',
        'alerts_sent_total{channel="log",severity="warning",status="success",service="consumer"} 1',
      ]) {
        expect(result.metrics).toContain(line);
      }

      // Errors reached Sentry through the SDK this major installs: the route's and the handled one.
      const errors = sentry.events.map((event: any) => ({
        type: event.exception?.values?.[0]?.type,
        value: event.exception?.values?.[0]?.value,
        route: event.tags?.route,
        service: event.tags?.service,
      }));
      expect(errors).toEqual(
        expect.arrayContaining([
          { type: 'TypeError', value: 'kaboom', route: '/boom', service: 'consumer' },
          { type: 'RangeError', value: 'row 3', route: undefined, service: 'consumer' },
        ]),
      );
      expect((sentry.envelopes[0].header as { sdk?: { name?: string } }).sdk?.name).toBe(
        major === '11' ? 'sentry.javascript.nestjs' : 'sentry.javascript.node',
      );

      // Nest's own lines and the request lines are JSON, with the request fields.
      const logs = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logs).toContainEqual(
        expect.objectContaining({
          context: 'NestApplication',
          msg: 'Nest application successfully started',
        }),
      );
      expect(logs).toContainEqual(
        expect.objectContaining({
          msg: 'report built',
          request_id: 'req-7',
          tenant: 't-1',
          context: 'ReportService',
          service: 'consumer',
        }),
      );
      expect(logs).toContainEqual(
        expect.objectContaining({
          msg: 'request completed',
          request_id: 'req-7',
          tenant: 't-1',
          res: { statusCode: 200 },
        }),
      );
    },
    3 * MINUTE,
  );
});
