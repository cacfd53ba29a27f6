import type { Problems } from '../config/problems';
import { isPlainObject, OptionReader, optionKeys, TIMER } from '../config/option-reader';
import type {
  BullMqQueuesOptions,
  QueueMetricsOptions,
  ResolvedQueueMetricsOptions,
} from './queue-options.interface';

const QUEUES_KEYS = optionKeys({
  scrapeTimeoutMs: true,
  bullmq: true,
} satisfies Record<keyof QueueMetricsOptions, true>);

const BULLMQ_KEYS = optionKeys({
  connection: true,
  queues: true,
  prefix: true,
} satisfies Record<keyof BullMqQueuesOptions, true>);

/** The default `queues.scrapeTimeoutMs`. */
export const DEFAULT_QUEUE_SCRAPE_TIMEOUT_MS = 1000;

function resolveBullMq(bullmq: OptionReader): Required<BullMqQueuesOptions> | undefined {
  const { problems } = bullmq;
  const before = problems.count;
  const connection = bullmq.get('connection');
  if (!isPlainObject(connection)) {
    problems.add(
      bullmq.at('connection'),
      'ioredis options ({ host, port, ... }) or an ioredis instance',
      connection,
    );
  }
  const names: string[] = [];
  const queues = bullmq.get('queues');
  if (!Array.isArray(queues) || queues.length === 0) {
    problems.add(bullmq.at('queues'), 'a non-empty array of queue names', queues);
  } else {
    queues.forEach((name, index) => {
      if (typeof name !== 'string' || name === '') {
        problems.add(`${bullmq.at('queues')}[${index}]`, 'a non-empty string', name);
      } else if (!names.includes(name)) {
        names.push(name);
      }
    });
  }
  const prefix = bullmq.string('prefix') ?? 'bull';
  if (problems.count > before) return undefined;
  return { connection: connection as object, queues: names, prefix };
}

/** Validates the `queues` options, recording every problem. */
export function resolveQueueOptions(raw: unknown, problems: Problems): ResolvedQueueMetricsOptions {
  const queues = OptionReader.of(raw, 'queues', QUEUES_KEYS, problems);
  const scrapeTimeoutMs = queues.integer('scrapeTimeoutMs', TIMER);
  const bullmq = queues.object('bullmq', BULLMQ_KEYS, 'an object { connection, queues }');
  return {
    scrapeTimeoutMs: scrapeTimeoutMs ?? DEFAULT_QUEUE_SCRAPE_TIMEOUT_MS,
    bullmq: isPlainObject(queues.get('bullmq')) ? resolveBullMq(bullmq) : undefined,
  };
}
