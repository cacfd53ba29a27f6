import { resolveOptions } from '../config/resolve-options';

const noEnv = { SERVICE_NAME: 'svc', APP_VERSION: '1.2.3' };

describe('queues options', () => {
  it('defaults to no watched queue and a 1 s scrape timeout', () => {
    expect(resolveOptions({}, noEnv).queues).toEqual({ scrapeTimeoutMs: 1000, bullmq: undefined });
  });

  it('accepts BullMQ queues to watch, deduplicated, with the default prefix', () => {
    const connection = { host: 'redis', port: 6379 };
    expect(
      resolveOptions(
        {
          queues: {
            scrapeTimeoutMs: 250,
            bullmq: { connection, queues: ['image-generation', 'emails', 'emails'] },
          },
        },
        noEnv,
      ).queues,
    ).toEqual({
      scrapeTimeoutMs: 250,
      bullmq: { connection, queues: ['image-generation', 'emails'], prefix: 'bull' },
    });
  });

  it('names every bad field in one boot error', () => {
    expect(() =>
      resolveOptions(
        {
          queues: {
            scrapeTimeoutMs: 0,
            bullmq: { connection: 'redis://localhost', queues: ['ok', ''], prefix: '', db: 1 },
            redis: true,
          },
        } as never,
        noEnv,
      ),
    ).toThrow(
      [
        'Invalid nestjs-observability options:',
        '  - queues.redis: unknown option; expected one of scrapeTimeoutMs, bullmq',
        '  - queues.scrapeTimeoutMs: expected a positive integer <= 2147483647, got 0',
        '  - queues.bullmq.db: unknown option; expected one of connection, queues, prefix',
        '  - queues.bullmq.connection: expected ioredis options ({ host, port, ... }) or an ioredis instance, got "redis://localhost"',
        '  - queues.bullmq.queues[1]: expected a non-empty string, got ""',
        '  - queues.bullmq.prefix: expected a non-empty string, got ""',
      ].join('\n'),
    );
  });

  it('refuses an empty queue list and a non-object', () => {
    expect(() =>
      resolveOptions({ queues: { bullmq: { connection: {}, queues: [] } } }, noEnv),
    ).toThrow('queues.bullmq.queues: expected a non-empty array of queue names, got []');
    expect(() => resolveOptions({ queues: 'bullmq' } as never, noEnv)).toThrow(
      'queues: expected an object, got "bullmq"',
    );
  });
});
