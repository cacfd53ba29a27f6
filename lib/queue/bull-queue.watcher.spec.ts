import { errorNameFromStack, withTimeout } from './bull-queue.watcher';

describe('errorNameFromStack', () => {
  it('reads the error name from the first line of the last stack trace', () => {
    expect(
      errorNameFromStack(['Error: first attempt\n    at x', 'TimeoutError: took 30s\n    at y']),
    ).toBe('TimeoutError');
    expect(errorNameFromStack(['RangeError\n    at z'])).toBe('RangeError');
    expect(errorNameFromStack(['openai.RateLimitError: slow down'])).toBe('openai.RateLimitError');
  });

  it('falls back to "unknown" without a usable stack trace', () => {
    expect(errorNameFromStack([])).toBe('unknown');
    expect(errorNameFromStack(null)).toBe('unknown');
    expect(errorNameFromStack(undefined)).toBe('unknown');
    expect(errorNameFromStack(['   at nowhere'])).toBe('unknown');
  });
});

describe('withTimeout', () => {
  it('settles like the promise when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'reading')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('no')), 1000, 'reading')).rejects.toThrow(
      'no',
    );
  });

  it('rejects, naming what timed out, when the promise never settles', async () => {
    await expect(
      withTimeout(new Promise(() => undefined), 10, 'reading the backlog'),
    ).rejects.toThrow('reading the backlog timed out after 10 ms');
  });
});
