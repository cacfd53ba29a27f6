import type * as BullMq from 'bullmq';
import { Messages } from '../observability.messages';

/** The `bullmq` module. @internal */
export type BullMqModule = typeof BullMq;

/**
 * Imports the optional peer dependency `bullmq` on first use, with an actionable error naming
 * `feature` when it is not installed.
 */
export async function loadBullMq(feature: string): Promise<BullMqModule> {
  try {
    return await import('bullmq');
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && String(message).includes("'bullmq'")) {
      throw new Error(Messages.optionalPeerMissing('bullmq', feature));
    }
    throw error;
  }
}
