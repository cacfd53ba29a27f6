// The public API report: what each entry point of the package exports, with every public
// member and its type, as the shipped declarations show it (`stripInternal`: members tagged
// `@internal` are not API). It also fails when a shipped declaration contains `any`.
//
//   node scripts/api-report.mjs          # check: fails when api/nestjs-observability.api.md differs
//   node scripts/api-report.mjs --update # rewrite the report (then review and commit the diff)
//
// `npm run api:check` (in `npm run lint`) and `npm run api:update` run it.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(ROOT, 'api', 'nestjs-observability.api.md');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Each subpath of `exports` with a `types` entry, mapped back to its source file. */
const ENTRIES = Object.entries(PACKAGE.exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([subpath, target]) => ({
    name: subpath === '.' ? PACKAGE.name : `${PACKAGE.name}/${subpath.slice(2)}`,
    file: join(ROOT, target.types.replace(/^\.\/dist\//, 'lib/').replace(/\.d\.ts$/, '.ts')),
  }));

const config = ts.getParsedCommandLineOfConfigFile(
  join(ROOT, 'tsconfig.build.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(format([d])) },
);
const program = ts.createProgram({
  rootNames: ENTRIES.map((entry) => entry.file),
  options: { ...config.options, noEmit: false, emitDeclarationOnly: true, declarationMap: false },
});
const checker = program.getTypeChecker();

function fail(message) {
  console.error(message);
  process.exit(1);
}

function format(diagnostics) {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n',
  });
}

// 1. The shipped declarations: emitted in memory, as `npm run build` would, and free of `any`.
const declarations = new Map();
const emitted = program.emit(undefined, (file, text) => {
  if (file.endsWith('.d.ts')) declarations.set(relative(config.options.outDir, file), text);
});
const errors = [...program.getSemanticDiagnostics(), ...emitted.diagnostics];
if (errors.length > 0) fail(format(errors));
const anys = [];
for (const [file, text] of declarations) {
  text.split('\n').forEach((line, index) => {
    const code = line.replace(/\/\/.*$|\/\*.*?\*\/|^\s*\*.*$/g, '').replace(/'[^']*'|"[^"]*"/g, '');
    if (/\bany\b/.test(code)) anys.push(`  dist/${file}:${index + 1}: ${line.trim()}`);
  });
}
if (anys.length > 0) fail(`The shipped declarations contain "any":\n${anys.join('\n')}`);

// The declarations alone must type-check, as a consumer with `skipLibCheck: false` and
// `noImplicitAny` compiles them: nothing they reference may have been stripped.
const outDir = config.options.outDir;
const host = ts.createCompilerHost({});
const readShipped = (file) => {
  const key = relative(outDir, file);
  return file.startsWith(outDir) ? declarations.get(key) : undefined;
};
const consumerHost = {
  ...host,
  fileExists: (file) => readShipped(file) !== undefined || host.fileExists(file),
  directoryExists: (dir) =>
    (dir.startsWith(outDir) &&
      [...declarations.keys()].some((key) => join(outDir, key).startsWith(`${dir}/`))) ||
    host.directoryExists(dir),
  readFile: (file) => readShipped(file) ?? host.readFile(file),
  getSourceFile: (file, language) => {
    const text = readShipped(file);
    return text !== undefined
      ? ts.createSourceFile(file, text, language)
      : host.getSourceFile(file, language);
  },
};
const consumer = ts.createProgram({
  rootNames: ENTRIES.map((entry) =>
    join(outDir, relative(join(ROOT, 'lib'), entry.file).replace(/\.ts$/, '.d.ts')),
  ),
  options: {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    strict: true,
    noImplicitAny: true,
    skipLibCheck: false,
    noEmit: true,
    experimentalDecorators: true,
    typeRoots: [join(ROOT, 'node_modules', '@types')],
  },
  host: consumerHost,
});
const consumerErrors = ts
  .getPreEmitDiagnostics(consumer)
  .filter((d) => d.file?.fileName.startsWith(outDir));
if (consumerErrors.length > 0) {
  fail(`The shipped declarations do not type-check on their own:\n${format(consumerErrors)}`);
}

// 2. The report: each entry's exports, with their public members.
const isInternal = (node) =>
  ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal') ||
  (ts.isVariableDeclaration(node) &&
    ts.getJSDocTags(node.parent.parent).some((tag) => tag.tagName.text === 'internal'));
const isDeprecated = (node) =>
  ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'deprecated');
const typeText = (type, node) =>
  checker.typeToString(
    type,
    node,
    ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope,
  );

function members(symbol, declaration, isStatic) {
  const lines = [];
  const table = isStatic ? symbol.exports : symbol.members;
  for (const [name, member] of table ?? []) {
    if (name === 'prototype' || (name === '__constructor' && isStatic)) continue;
    const node = member.valueDeclaration ?? member.declarations?.[0];
    if (!node) continue;
    const modifiers = ts.getCombinedModifierFlags(node);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
    if (node.name && ts.isPrivateIdentifier(node.name)) continue;
    if (isInternal(node)) continue;
    const flag = isDeprecated(node) ? ' (deprecated)' : '';
    const prefix = isStatic ? 'static ' : '';
    if (name === '__constructor') {
      for (const decl of member.declarations) {
        if (isInternal(decl)) continue;
        const signature = checker.getSignatureFromDeclaration(decl);
        lines.push(`  constructor${checker.signatureToString(signature, decl)}`);
      }
      continue;
    }
    const type = checker.getTypeOfSymbolAtLocation(member, node);
    const readonly = modifiers & ts.ModifierFlags.Readonly ? 'readonly ' : '';
    const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
    lines.push(`  ${prefix}${readonly}${name}${optional}: ${typeText(type, declaration)}${flag}`);
  }
  return lines.sort();
}

function describe(name, exported) {
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
  const deprecated = declaration && isDeprecated(declaration) ? ' (deprecated)' : '';
  if (declaration && isInternal(declaration)) {
    fail(`"${name}" is exported but tagged @internal: stripInternal would remove it.`);
  }
  const typeOnly = exported.declarations?.some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
  const tag = typeOnly ? 'type ' : '';
  if (symbol.flags & ts.SymbolFlags.Class) {
    return [
      `${tag}class ${name}${deprecated}`,
      ...members(symbol, declaration, true),
      ...members(symbol, declaration, false),
    ];
  }
  if (symbol.flags & ts.SymbolFlags.Interface) {
    return [`interface ${name}${deprecated}`, ...members(symbol, declaration, false)];
  }
  if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const text = ts.isTypeAliasDeclaration(declaration)
      ? declaration.type.getText()
      : typeText(type, declaration);
    return [`type ${name} = ${text.replace(/\s+/g, ' ')}${deprecated}`];
  }
  if (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    const kind = symbol.flags & ts.SymbolFlags.Function ? 'function' : 'const';
    return [`${tag}${kind} ${name}: ${typeText(type, declaration)}${deprecated}`];
  }
  return [`${name}: (${ts.SymbolFlags[symbol.flags] ?? symbol.flags})`];
}

const out = [
  '# API report of nestjs-observability',
  '',
  'Generated by `npm run api:update` (scripts/api-report.mjs) from the shipped declarations;',
  '`npm run api:check` fails when the public API differs from this file. Review the diff of this',
  'file like code: every line is a promise to users.',
  '',
];
for (const entry of ENTRIES) {
  const source = program.getSourceFile(entry.file);
  const module = source && checker.getSymbolAtLocation(source);
  const exports = module ? checker.getExportsOfModule(module) : [];
  const sorted = [...exports].sort((a, b) => a.name.localeCompare(b.name));
  out.push(`## ${entry.name}`, '', `${sorted.length} exports.`, '', '```ts');
  for (const exported of sorted) out.push(...describe(exported.name, exported));
  out.push('```', '');
}
const report = out.join('\n');

if (process.argv.includes('--update')) {
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, report);
  console.log(`Wrote ${relative(ROOT, REPORT)}.`);
} else {
  let committed = '';
  try {
    committed = readFileSync(REPORT, 'utf8');
  } catch {
    // no report yet
  }
  if (committed !== report) {
    const was = new Set(committed.split('\n'));
    const now = new Set(report.split('\n'));
    const removed = [...was].filter((line) => !now.has(line)).map((line) => `- ${line}`);
    const added = [...now].filter((line) => !was.has(line)).map((line) => `+ ${line}`);
    fail(
      `The public API changed (${relative(ROOT, REPORT)} is out of date):\n` +
        `${[...removed, ...added].join('\n')}\n` +
        'If the change is intended, run `npm run api:update` and commit the report.',
    );
  }
  console.log(
    `api: ${relative(ROOT, REPORT)} matches the public API; no "any" in the declarations.`,
  );
}
