import { errorNameFromStack, eventReaderConnection, withTimeout } from './bull-queue.watcher';

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

describe('eventReaderConnection', () => {
  type Client = Parameters<typeof eventReaderConnection>[0];
  const client = (extra: object = {}) => ({
    options: { host: '127.0.0.1', port: 6380, maxRetriesPerRequest: 20, db: 2 },
    duplicate: jest.fn((override?: object) => ({ duplicated: true, override })),
    disconnect: jest.fn(),
    on: jest.fn(),
    xrevrange: jest.fn(),
    ...extra,
  });

  it("gives the event reader the queue's options, not a client that would sit idle", () => {
    const queueClient = client();
    expect(eventReaderConnection(queueClient as unknown as Client)).toEqual({
      options: { host: '127.0.0.1', port: 6380, maxRetriesPerRequest: null, db: 2 },
    });
    expect(queueClient.duplicate).not.toHaveBeenCalled();
  });

  it('gives a Redis Cluster a client that never connects by itself', () => {
    const cluster = client({ isCluster: true });
    const connection = eventReaderConnection(cluster as unknown as Client);
    expect(cluster.duplicate).toHaveBeenCalledWith({
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    expect(connection).toEqual({
      client: { duplicated: true, override: { maxRetriesPerRequest: null, lazyConnect: true } },
    });
  });
});
