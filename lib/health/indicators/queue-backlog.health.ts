import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Messages } from '../../observability.messages';

/** The backlog of one queue at one moment. */
export interface QueueBacklogEntry {
  /** Queue name. */
  queueName: string;
  /** Jobs waiting to be processed. */
  waiting: number;
  /** Age in seconds of the oldest waiting job (0 when none waits). */
  oldestWaitSeconds: number;
}

/** What the `queues` indicator needs from a queue metrics service (the module's own). */
export interface QueueBacklogSource {
  /** The current backlog of every monitored queue. */
  getBacklogSnapshot(): Promise<QueueBacklogEntry[]> | QueueBacklogEntry[];
}

/**
 * Queue backlog (`queues`): down when a queue has more than `maxWaiting` waiting jobs or its
 * oldest job has waited longer than `maxOldestWaitSeconds`; the message names each such queue.
 * The detail lists every queue: `{ queues: { email: { waiting, oldestWaitSeconds } } }`.
 */
export class QueueBacklogHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly source: QueueBacklogSource,
    private readonly options: { maxWaiting: number; maxOldestWaitSeconds: number },
  ) {}

  /** Reads one snapshot and compares it with the thresholds. */
  async check<const Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    const snapshot = await this.source.getBacklogSnapshot();
    const { maxWaiting, maxOldestWaitSeconds } = this.options;
    const queues: Record<string, { waiting: number; oldestWaitSeconds: number }> = {};
    const problems: string[] = [];
    for (const { queueName, waiting, oldestWaitSeconds } of Array.isArray(snapshot)
      ? snapshot
      : []) {
      queues[queueName] = { waiting, oldestWaitSeconds };
      if (waiting > maxWaiting) {
        problems.push(Messages.queueBacklogTooHigh(queueName, waiting, maxWaiting));
      }
      if (oldestWaitSeconds > maxOldestWaitSeconds) {
        problems.push(
          Messages.queueWaitTooLong(queueName, oldestWaitSeconds, maxOldestWaitSeconds),
        );
      }
    }
    return problems.length > 0
      ? session.down({ queues, message: problems.join(' ') })
      : session.up({ queues });
  }
}
