// Adds the platform-specific optional packages that this npm leaves out of package-lock.json.
//
// npm 11 on Linux records only the optional packages of its own platform (for example
// @unrs/resolver-binding-linux-x64-gnu), while `npm ci` insists on an entry for every one
// (npm/cli#8320, #4828): "Missing: @unrs/resolver-binding-darwin-arm64@ from lock file".
// This script adds the missing entries from the registry's metadata, so `npm ci` installs from
// the lock file on any platform. Run it after every dependency change: `npm run lock:complete`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;

/** The registry's manifest of `spec`, or undefined when it has no such version. */
function view(spec) {
  try {
    const meta = JSON.parse(
      execFileSync('npm', ['view', spec, '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    return Array.isArray(meta) ? meta[meta.length - 1] : meta;
  } catch {
    return undefined;
  }
}

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const info = view(`${name}@${version}`) ?? view(name);
    if (!info) throw new Error(`${name} is not in the registry at all.`);
    // The mirror may lack this exact version of another platform's binary; its os/cpu/libc
    // (the same in every version) are then taken from the newest version it has. npm ci never
    // downloads a package whose os/cpu do not match, so no integrity is needed for it.
    const exact = info.version === version;
    packages[hoisted] = {
      version,
      ...(exact ? { integrity: info.dist.integrity } : {}),
      ...(info.cpu ? { cpu: info.cpu } : {}),
      ...(entry.dev ? { dev: true } : {}),
      ...(info.engines ? { engines: info.engines } : {}),
      ...(info.libc ? { libc: info.libc } : {}),
      ...(info.license ? { license: info.license } : {}),
      optional: true,
      ...(info.os ? { os: info.os } : {}),
    };
    added++;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform-specific optional package(s).`);
