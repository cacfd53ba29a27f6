import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The one rule for suites that run a real server binary (Prometheus, promtool, Alertmanager,
 * Pushgateway, Redis, PostgreSQL, ...) when that binary is missing:
 *
 * - `CI` set to any non-empty value other than `false` or `0` (`CI=true`, `CI=1`, `CI=yes`):
 *   the suite **fails** with one test naming the binary and the Debian package. CI installs
 *   them (`.ci/run`), and a suite that skips there would prove nothing.
 * - `CI` unset, empty, `false` or `0` (a local run): the suite is **skipped loudly**, with a
 *   `!!! SKIPPED` warning naming the binary and how to install it.
 *
 * Every suite goes through {@link describeWithBinaries}; do not write the rule again.
 */
export function missingBinaryPolicy(env: NodeJS.ProcessEnv = process.env): 'fail' | 'skip' {
  const ci = (env.CI ?? '').trim().toLowerCase();
  return ci === '' || ci === 'false' || ci === '0' ? 'skip' : 'fail';
}

/**
 * The absolute path of `name` on `PATH`, else in /usr/bin or /usr/sbin (where Debian puts its
 * packages' binaries, whatever the PATH of the test run), else `undefined`.
 */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The Debian package of each binary the suites run, for the install hint. */
const DEBIAN_PACKAGES: Record<string, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-pushgateway': 'prometheus-pushgateway',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  'redis-server': 'redis-server',
  postgres: 'postgresql',
  initdb: 'postgresql',
  pg_ctl: 'postgresql',
};

/**
 * `describe(name, fn)` when every binary is found by {@link findBinary}; otherwise fails or
 * skips loudly by {@link missingBinaryPolicy}. Works nested inside another `describe`.
 */
export function describeWithBinaries(binaries: string[], name: string, fn: () => void): void {
  const missing = binaries.filter((binary) => !findBinary(binary));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const packages = [...new Set(missing.map((binary) => DEBIAN_PACKAGES[binary] ?? binary))];
  const message =
    `${missing.join(', ')} not found: "${name}" needs the Debian package(s) ` +
    `${packages.map((p) => `"${p}"`).join(', ')} (apt-get install -y ${packages.join(' ')}, as .ci/run does).`;
  describeWhenInstalled(false, message, name, fn);
}

/**
 * `describe(name, fn)` when `installed`; otherwise, by {@link missingBinaryPolicy}, one failing
 * test with `message` (CI) or a loud skip (a local run, the only place a suite is skipped). For
 * servers found by other means than {@link findBinary} (PostgreSQL's versioned directory, ...).
 */
export function describeWhenInstalled(
  installed: boolean,
  message: string,
  name: string,
  fn: () => void,
): void {
  if (installed) {
    describe(name, fn);
    return;
  }
  if (missingBinaryPolicy() === 'fail') {
    describe(name, () => {
      it('has its binaries installed', () => {
        throw new Error(`${message} CI is set (CI=${process.env.CI}), so this fails.`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  describe.skip(name, fn);
}
