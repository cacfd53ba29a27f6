// The core subpath (`nestjs-observability/core`) must load nothing from Nest: this walks the
// import graph of lib/core.ts (type-only imports excluded, as they vanish from the build) and
// fails when any file of it imports @nestjs/*, nestjs-pino's Nest module, reflect-metadata or
// rxjs. `npm run lint` runs it; the package test checks the built entry at runtime as well.
import madge from 'madge';

const FORBIDDEN =
  /(^|\/)node_modules\/(@nestjs\/|reflect-metadata\/|rxjs\/|nestjs-pino\/(?!storage\.))/;

const result = await madge('lib/core.ts', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  includeNpm: true,
  detectiveOptions: { ts: { skipTypeImports: true }, es6: { skipTypeImports: true } },
});
const graph = result.obj();
const offenders = [];
for (const [file, deps] of Object.entries(graph)) {
  if (file.includes('node_modules/')) continue;
  for (const dep of deps) if (FORBIDDEN.test(dep)) offenders.push(`${file} -> ${dep}`);
}
const files = Object.keys(graph).filter((file) => !file.includes('node_modules/'));
if (offenders.length > 0) {
  console.error(`The core imports Nest-only modules:\n  ${offenders.join('\n  ')}`);
  process.exit(1);
}
if (files.length < 10) {
  console.error(`The core graph has only ${files.length} files: the check is not reading it.`);
  process.exit(1);
}
console.log(`core boundary: ${files.length} files reachable from lib/core.ts, none imports Nest.`);
