import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');
export const MINUTE = 60_000;

/** What a command printed, and how it exited. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and resolves with its exit code and output, also when it fails. */
export async function exec(
  file: string,
  args: string[],
  cwd: string,
  timeout: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd,
      env,
      timeout,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number') throw error;
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Like `exec`, but a non-zero exit fails the test with the command's output. */
export async function mustRun(
  file: string,
  args: string[],
  cwd: string,
  timeout: number,
  env?: NodeJS.ProcessEnv,
): Promise<Outcome> {
  const outcome = await exec(file, args, cwd, timeout, env);
  if (outcome.code !== 0) {
    throw new Error(
      `\`${[file, ...args].join(' ')}\` exited with ${outcome.code} in ${cwd}\n` +
        `--- stdout ---\n${outcome.stdout}\n--- stderr ---\n${outcome.stderr}`,
    );
  }
  return outcome;
}

/** The version of `name` installed in the repository. */
export const installedVersion = (name: string): string =>
  JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/**
 * `npm pack`s the repository into a new temp folder (`prepack` builds dist/ first, exactly as
 * `npm publish` would) and returns the folder and the tarball's path.
 */
export async function packRepository(
  prefix: string,
): Promise<{ workdir: string; tarball: string }> {
  const workdir = mkdtempSync(join(tmpdir(), prefix));
  await mustRun('npm', ['pack', '--pack-destination', workdir], ROOT, 3 * MINUTE);
  const tarballs = readdirSync(workdir).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack wrote ${tarballs.length} tarballs`);
  return { workdir, tarball: join(workdir, tarballs[0]) };
}
