import type { ResolvedQueueMetricsOptions } from './queue-options.interface';

const QUEUES_KEYS = ['scrapeTimeoutMs', 'bullmq'] as const;
const BULLMQ_KEYS = ['connection', 'queues', 'prefix'] as const;

/** The default `queues.scrapeTimeoutMs`. */
export const DEFAULT_QUEUE_SCRAPE_TIMEOUT_MS = 1000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function unknownKeys(
  value: Record<string, unknown>,
  scope: string,
  known: readonly string[],
  problems: string[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      problems.push(`${scope}.${key}: unknown option; expected one of ${known.join(', ')}`);
    }
  }
}

/**
 * Validates the `queues` options. Every problem is pushed to `problems` (in the format of the
 * module's boot error), so one error names them all.
 */
export function resolveQueueOptions(raw: unknown, problems: string[]): ResolvedQueueMetricsOptions {
  const resolved: ResolvedQueueMetricsOptions = {
    scrapeTimeoutMs: DEFAULT_QUEUE_SCRAPE_TIMEOUT_MS,
    bullmq: undefined,
  };
  if (raw === undefined) return resolved;
  if (!isPlainObject(raw)) {
    problems.push(`queues: expected an object, got ${show(raw)}`);
    return resolved;
  }
  unknownKeys(raw, 'queues', QUEUES_KEYS, problems);

  const timeout = raw.scrapeTimeoutMs;
  if (timeout !== undefined) {
    if (typeof timeout === 'number' && Number.isInteger(timeout) && timeout > 0) {
      resolved.scrapeTimeoutMs = timeout;
    } else {
      problems.push(`queues.scrapeTimeoutMs: expected a positive integer, got ${show(timeout)}`);
    }
  }

  const bullmq = raw.bullmq;
  if (bullmq === undefined) return resolved;
  if (!isPlainObject(bullmq)) {
    problems.push(`queues.bullmq: expected an object { connection, queues }, got ${show(bullmq)}`);
    return resolved;
  }
  unknownKeys(bullmq, 'queues.bullmq', BULLMQ_KEYS, problems);
  const before = problems.length;
  const { connection, queues, prefix } = bullmq;
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    problems.push(
      `queues.bullmq.connection: expected ioredis options ({ host, port, ... }) or an ioredis instance, got ${show(connection)}`,
    );
  }
  const names: string[] = [];
  if (!Array.isArray(queues) || queues.length === 0) {
    problems.push(
      `queues.bullmq.queues: expected a non-empty array of queue names, got ${show(queues)}`,
    );
  } else {
    queues.forEach((name, index) => {
      if (typeof name === 'string' && name.length > 0) {
        if (!names.includes(name)) names.push(name);
      } else {
        problems.push(
          `queues.bullmq.queues[${index}]: expected a non-empty string, got ${show(name)}`,
        );
      }
    });
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length === 0)) {
    problems.push(`queues.bullmq.prefix: expected a non-empty string, got ${show(prefix)}`);
  }
  if (problems.length === before) {
    resolved.bullmq = {
      connection: connection as object,
      queues: names,
      prefix: (prefix as string | undefined) ?? 'bull',
    };
  }
  return resolved;
}
