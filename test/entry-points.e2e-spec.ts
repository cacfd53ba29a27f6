import { execFile } from 'node:child_process';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..');
const run = promisify(execFile);

/**
 * What loading an entry point loads, in a fresh Node process (the TypeScript sources through
 * ts-node; test/package.e2e-spec.ts checks the built package the same way). The "load first"
 * entries run before the application is imported, so Sentry instruments modules loaded after
 * them: they must load no package at all, and only the few files that resolve the options.
 */
async function loadedBy(entry: string): Promise<{ packages: string[]; files: string[] }> {
  const script = `
    const before = new Set(Object.keys(require.cache));
    require(${JSON.stringify(join(ROOT, entry))});
    console.log(JSON.stringify(Object.keys(require.cache).filter((file) => !before.has(file))));
  `;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SENTRY_')),
  );
  const { stdout } = await run(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-e', script],
    { cwd: ROOT, env: { ...env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') } },
  );
  const loaded: string[] = JSON.parse(stdout);
  const packages = new Set<string>();
  const files: string[] = [];
  for (const file of loaded) {
    const inModules = file.lastIndexOf('/node_modules/');
    if (inModules < 0) {
      files.push(relative(ROOT, file));
      continue;
    }
    const [scope, name] = file.slice(inModules + '/node_modules/'.length).split('/');
    packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
  }
  return { packages: [...packages], files: files.sort() };
}

const OPTION_FILES = [
  'lib/config/option-reader.ts',
  'lib/config/optional-module.ts',
  'lib/config/problems.ts',
  'lib/config/resolve-identity.ts',
  'lib/errors/init-sentry.ts',
  'lib/errors/resolve-errors-options.ts',
  'lib/errors/sentry-sdk.ts',
  'lib/logging/redaction.ts',
  'lib/logging/resolve-logging-options.ts',
  'lib/observability.messages.ts',
];

describe('the "load first" entry points', () => {
  it('nestjs-observability/sentry loads no package, only the files that read the options', async () => {
    const { packages, files } = await loadedBy('lib/sentry.ts');
    expect(packages).toEqual([]);
    expect(files).toEqual([...OPTION_FILES, 'lib/sentry.ts'].sort());
  }, 60_000);

  // These two also start tracing: they load the OpenTelemetry API (which registers the global
  // tracer provider the instrumentations report to, and instruments nothing itself) and the
  // option resolvers of every capability (tracing reads the service, error and HTTP options),
  // but no package that is instrumented and no running part of the library.
  it.each([
    ['nestjs-observability/instrument', 'lib/instrument.ts'],
    ['nestjs-observability/tracing', 'lib/tracing.ts'],
  ])(
    '%s loads only the OpenTelemetry API, and only option and tracing files',
    async (_name, entry) => {
      const { packages, files } = await loadedBy(entry);
      expect(packages).toEqual(['@opentelemetry/api']);
      expect(files).toEqual(expect.arrayContaining([entry, 'lib/tracing/start-tracing.ts']));
      const running = files.filter(
        (file) =>
          /\.(service|module|controller|hook|interceptor|filter)\.ts$/.test(file) ||
          /^lib\/(core|metrics\/(?!resolve-metrics-options|pushgateway)|alerting\/(?!resolve-alerting-options|alert\.types))/.test(
            file,
          ),
      );
      expect(running).toEqual([]);
    },
    60_000,
  );

  it('the package root, by contrast, loads Nest, pino and prom-client', async () => {
    const { packages } = await loadedBy('lib/index.ts');
    expect(packages).toEqual(
      expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'pino', 'prom-client']),
    );
  }, 60_000);
});
