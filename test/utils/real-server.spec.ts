import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { missingBinaryPolicy } from './real-server';

const ROOT = join(__dirname, '..', '..');

/** Runs the fixture suite (a missing binary) in a child Jest with `CI` as given. */
function runFixture(ci: string | undefined): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--rootDir',
        ROOT,
        '--runInBand',
        '--testRegex',
        'missing-binary\\.fixture\\.ts$',
      ],
      { cwd: ROOT, env },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('missingBinaryPolicy', () => {
  it.each([
    ['true', 'fail'],
    ['1', 'fail'],
    ['yes', 'fail'],
    ['TRUE', 'fail'],
    ['false', 'skip'],
    ['0', 'skip'],
    ['', 'skip'],
    [undefined, 'skip'],
  ])('CI=%p: %s', (ci, expected) => {
    expect(missingBinaryPolicy(ci === undefined ? {} : { CI: ci })).toBe(expected);
  });
});

describe('describeWithBinaries on a missing binary, in a real Jest run', () => {
  it.each(['true', '1'])(
    'fails the suite under CI=%s, naming the binary',
    async (ci) => {
      const { code, output } = await runFixture(ci);
      expect(code).toBe(1);
      expect(output).toContain('has its binaries installed');
      expect(output).toContain('nestjs-observability-no-such-binary not found');
      expect(output).toContain(`CI is set (CI=${ci}), so this fails.`);
    },
    60_000,
  );

  it('skips loudly with CI unset', async () => {
    const { code, output } = await runFixture(undefined);
    expect(code).toBe(0);
    expect(output).toContain('!!! SKIPPED: nestjs-observability-no-such-binary not found');
    expect(output).toMatch(/Tests:\s+1 skipped, 1 total/);
  }, 60_000);
});
