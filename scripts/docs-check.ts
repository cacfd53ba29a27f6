/**
 * Checks the documentation the way a reader meets it:
 * - every TypeScript sample (```ts fence) in README.md and docs/**\/*.md type-checks against the
 *   library's sources, as a module of its own;
 * - every relative link points at a file that exists and, with a `#fragment`, at a heading in it.
 *
 * A sample that is a fragment of a larger program (it uses `app`, or a class the page defined
 * earlier) says so in an HTML comment right above its fence, which readers do not see:
 *
 *     <!-- sample-context
 *     import { INestApplication } from '@nestjs/common';
 *     declare const app: INestApplication;
 *     -->
 *
 * The context is compiled in front of the sample; `./app.module` resolves to an empty `AppModule`.
 * The context is compiled in front of the sample. External links are not fetched (CI has no
 * internet); they are listed by `npm run docs:check -- --external`.
 *
 * Run: `npm run docs:check` (also run by the test suite, test/docs.e2e-spec.ts).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

export const ROOT = resolve(__dirname, '..');

/** README.md and every Markdown page under docs/. */
export function documentationFiles(root = ROOT): string[] {
  const files = [join(root, 'README.md')];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  for (const extra of ['CHANGELOG.md']) {
    if (existsSync(join(root, extra))) files.push(join(root, extra));
  }
  return files;
}

/** One TypeScript sample of a page. */
export interface DocSample {
  /** The page, relative to the repository root. */
  file: string;
  /** 1-based line of the sample's first code line in the page. */
  line: number;
  /** Lines from the `sample-context` comment above the fence (compiled, not shown). */
  context: string[];
  /** The sample's code. */
  code: string[];
}

const CONTEXT_OPEN = '<!-- sample-context';

/** The TypeScript samples of one page, with the hidden context each one declares. */
export function extractSamples(path: string, root = ROOT): DocSample[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const samples: DocSample[] = [];
  let context: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === CONTEXT_OPEN) {
      const end = lines.indexOf('-->', i);
      if (end < 0) throw new Error(`${relative(root, path)}:${i + 1}: unclosed ${CONTEXT_OPEN}`);
      context = lines.slice(i + 1, end);
      i = end;
      continue;
    }
    const fence = /^(\s*)(`{3,})(\S*)/.exec(line);
    if (!fence) {
      if (line.trim() !== '') context = [];
      continue;
    }
    const [, indent, ticks, lang] = fence;
    let end = i + 1;
    const closing = new RegExp(`^\\s*\`{${ticks.length},}\\s*$`);
    while (end < lines.length && !closing.test(lines[end])) end++;
    if (end >= lines.length)
      throw new Error(`${relative(root, path)}:${i + 1}: unclosed code fence`);
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines.slice(i + 1, end).map((l) => l.slice(indent.length));
      samples.push({ file: relative(root, path), line: i + 2, context, code });
    }
    context = [];
    i = end;
  }
  return samples;
}

/** One problem the checks found, located in the page. */
export interface DocProblem {
  file: string;
  line: number;
  message: string;
}

/** Type-checks every sample; returns the problems located in the pages. */
export function compileSamples(samples: DocSample[], root = ROOT): DocProblem[] {
  const outDir = join(root, '.docs-samples');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // Samples of a `main.ts` import the application's root module, as every Nest app does.
  writeFileSync(
    join(outDir, 'app.module.ts'),
    "import { Module } from '@nestjs/common';\n@Module({})\nexport class AppModule {}\n",
  );
  const where = new Map<string, { sample: DocSample; offset: number }>();
  samples.forEach((sample, index) => {
    const body = [...sample.context, ...sample.code];
    const isModule = body.some((l) => /^\s*(import|export)\b/.test(l));
    const text = `${body.join('\n')}\n${isModule ? '' : 'export {};\n'}`;
    const name = join(outDir, `sample-${String(index).padStart(3, '0')}.ts`);
    writeFileSync(name, text);
    where.set(resolve(name), { sample, offset: sample.context.length });
  });
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    // Samples may use top-level await, as a `main.ts` or a script does.
    module: ts.ModuleKind.ES2022,
    noUnusedLocals: false,
    noUnusedParameters: false,
    types: ['node'],
  };
  const program = ts.createProgram([...where.keys()], options);
  const problems: DocProblem[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file && where.get(resolve(diagnostic.file.fileName));
    if (!diagnostic.file || !file) {
      problems.push({ file: diagnostic.file?.fileName ?? '(program)', line: 0, message });
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const inCode = line - file.offset;
    problems.push({
      file: file.sample.file,
      line: inCode >= 0 ? file.sample.line + inCode : file.sample.line - 1,
      message: inCode >= 0 ? message : `(in its sample-context) ${message}`,
    });
  }
  rmSync(outDir, { recursive: true, force: true });
  return problems;
}

/** GitHub's anchor for a heading. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links whose file or heading does not exist; external links are not fetched. */
export function checkLinks(files: string[], root = ROOT): DocProblem[] {
  const problems: DocProblem[] = [];
  for (const path of files) {
    let inFence = false;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (/^\s*```/.test(line)) inFence = !inFence;
        if (inFence) return;
        for (const match of line
          .replace(/`[^`]*`/g, '')
          .matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = match[1];
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
          const [file, fragment] = target.split('#', 2);
          const targetPath = file ? resolve(dirname(path), decodeURIComponent(file)) : path;
          const at = { file: relative(root, path), line: index + 1 };
          if (!existsSync(targetPath)) {
            problems.push({ ...at, message: `link to a missing file: ${target}` });
          } else if (
            fragment &&
            targetPath.endsWith('.md') &&
            !anchorsOf(targetPath).has(fragment)
          ) {
            problems.push({ ...at, message: `link to a missing heading: ${target}` });
          }
        }
      });
  }
  return problems;
}

if (require.main === module) {
  const files = documentationFiles();
  const samples = files.flatMap((f) => extractSamples(f));
  const problems = [...checkLinks(files), ...compileSamples(samples)];
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`);
  console.log(
    `${files.length} pages, ${samples.length} TypeScript samples, ${problems.length} problem(s).`,
  );
  if (process.argv.includes('--external')) {
    for (const path of files) {
      for (const m of readFileSync(path, 'utf8').matchAll(/\]\((https?:[^)\s]+)\)/g)) {
        console.log(`${relative(ROOT, path)}: ${m[1]}`);
      }
    }
  }
  process.exitCode = problems.length ? 1 : 0;
}
