import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '../config/resolve-options';
import { BufferedDestination } from './buffered.destination';

describe('BufferedDestination', () => {
  let dir: string;
  let file: string;
  let fd: number;
  const written = (): string => readFileSync(file, 'utf8');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'buffered-'));
    file = join(dir, 'out.log');
    fd = openSync(file, 'w');
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds lines until flushSync(), then writes them in order', () => {
    const destination = new BufferedDestination(fd);
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    expect(written()).toBe('');
    destination.flushSync();
    expect(written()).toBe('{"n":1}\n{"n":2}\n');
  });

  it('writes a batch once 8 KB are buffered', () => {
    const destination = new BufferedDestination(fd);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 7; i++) destination.write(line);
    expect(written()).toBe('');
    destination.write(line);
    expect(written()).toBe(line.repeat(8));
  });

  it('writes what waits 100 ms after its first line', () => {
    const destination = new BufferedDestination(fd);
    destination.write('a\n');
    jest.advanceTimersByTime(99);
    destination.write('b\n');
    expect(written()).toBe('');
    jest.advanceTimersByTime(1);
    expect(written()).toBe('a\nb\n');
  });

  it('after close(), writes each line at once', () => {
    const destination = new BufferedDestination(fd);
    destination.write('before\n');
    destination.close();
    expect(written()).toBe('before\n');
    destination.write('after\n');
    expect(written()).toBe('before\nafter\n');
  });

  it('keeps multi-byte characters whole', () => {
    const destination = new BufferedDestination(fd);
    destination.write('{"msg":"héllo ✓"}\n');
    destination.flush();
    expect(written()).toBe('{"msg":"héllo ✓"}\n');
  });

  it('never throws when the descriptor cannot be written', () => {
    const destination = new BufferedDestination(-1);
    destination.write('lost\n');
    expect(() => destination.flushSync()).not.toThrow();
  });
});

describe('logging.sync', () => {
  const env = { NODE_ENV: 'production' };

  it('is off by default, read from LOG_SYNC, the option winning', () => {
    expect(resolveOptions({}, env).logging.sync).toBe(false);
    expect(resolveOptions({}, { ...env, LOG_SYNC: 'true' }).logging.sync).toBe(true);
    expect(
      resolveOptions({ logging: { sync: false } }, { ...env, LOG_SYNC: '1' }).logging.sync,
    ).toBe(false);
  });

  it('names the bad field', () => {
    expect(() => resolveOptions({}, { ...env, LOG_SYNC: 'sometimes' })).toThrow(
      'LOG_SYNC (environment): expected true or false, got "sometimes"',
    );
    expect(() => resolveOptions({ logging: { sync: 'yes' as never } }, env)).toThrow(
      'logging.sync: expected',
    );
  });
});
