import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvReader, OptionReader } from './option-reader';

/** What names the running service in metrics, logs, alerts and error reports. */
export interface ResolvedIdentity {
  service: string;
  environment: string;
  version: string | undefined;
}

function readPackageJson(): { name?: unknown; version?: unknown } {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * The service name an application reports when none is configured: `SERVICE_NAME`, else the
 * `name` in ./package.json, else `app`. The generated scrape configuration uses it too.
 */
export function defaultServiceName(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.SERVICE_NAME?.trim();
  if (fromEnv) return fromEnv;
  const { name } = readPackageJson();
  return typeof name === 'string' && name ? name : 'app';
}

/**
 * `service`, `environment` and `version` from the options, else the environment
 * (`SERVICE_NAME`, `APP_ENV`/`NODE_ENV`, `APP_VERSION`), else ./package.json. Shared by the
 * module's resolver and the side-effect-free Sentry entry, which must not load the rest.
 */
export function resolveIdentity(options: OptionReader, vars: EnvReader): ResolvedIdentity {
  const pkg = vars.string('SERVICE_NAME') && vars.string('APP_VERSION') ? {} : readPackageJson();
  const service =
    options.string('service') ??
    vars.string('SERVICE_NAME') ??
    (typeof pkg.name === 'string' && pkg.name ? pkg.name : 'app');
  const environment =
    options.string('environment') ??
    vars.string('APP_ENV') ??
    vars.string('NODE_ENV') ??
    'development';
  const version =
    options.string('version') ??
    vars.string('APP_VERSION') ??
    (typeof pkg.version === 'string' ? pkg.version : undefined);
  return { service, environment, version };
}
