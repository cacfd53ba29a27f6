import type { AlertNotification } from '../alert.types';
import { AlertDeliveryError } from './alert-channel.interface';

const retryableOf = (error: unknown): boolean =>
  !(error instanceof AlertDeliveryError) || error.retryable;

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Which recipients of each notification already got it (or refused it for good), so that the
 * dispatcher's retry of a notification reaches only the others: one failed SMS or mail must not
 * send it again to the recipients who got it. The dispatcher retries the same notification
 * object, which keys the record; a record is dropped once the notification is settled (or with
 * the notification, by the garbage collector).
 *
 * @internal
 */
export class RecipientProgress {
  private readonly settled = new WeakMap<AlertNotification, Map<string, unknown>>();

  /** The recipients of `notification` that neither got it nor refused it for good. */
  remaining(notification: AlertNotification, recipients: readonly string[]): string[] {
    const settled = this.settled.get(notification);
    return settled ? recipients.filter((to) => !settled.has(to)) : [...recipients];
  }

  /**
   * Records one attempt: every recipient in `attempted` got the notification unless `failures`
   * holds its error. Returns when every recipient got it. Otherwise throws: a retryable error
   * while some recipient failed for now, else (every recipient settled) a permanent one that
   * says how many refused it for good. With one recipient, its own error is thrown as it is.
   */
  record(
    notification: AlertNotification,
    recipients: readonly string[],
    attempted: readonly string[],
    failures: ReadonlyMap<string, unknown>,
  ): void {
    let settled = this.settled.get(notification);
    if (!settled) {
      settled = new Map();
      this.settled.set(notification, settled);
    }
    for (const to of attempted) {
      if (!failures.has(to)) settled.set(to, undefined);
      else if (!retryableOf(failures.get(to))) settled.set(to, failures.get(to));
    }
    const pending = recipients.filter((to) => !settled.has(to));
    if (pending.length > 0) {
      const errors = pending.map((to) => failures.get(to)).filter((e) => e !== undefined);
      const first = errors[0];
      if (recipients.length === 1 && first !== undefined) throw first;
      const waits = errors
        .map((e) => (e instanceof AlertDeliveryError ? e.retryAfterMs : undefined))
        .filter((wait): wait is number => wait !== undefined);
      throw new AlertDeliveryError(
        `${pending.length} of ${recipients.length} recipients failed: ${messageOf(first ?? 'not attempted')}`,
        {
          retryable: true,
          status: first instanceof AlertDeliveryError ? first.status : undefined,
          retryAfterMs: waits.length > 0 ? Math.max(...waits) : undefined,
        },
      );
    }
    this.settled.delete(notification);
    const refused = [...settled.values()].filter((error) => error !== undefined);
    if (refused.length === 0) return;
    if (recipients.length === 1) throw refused[0];
    const first = refused[0];
    throw new AlertDeliveryError(
      `${refused.length} of ${recipients.length} recipients refused: ${messageOf(first)}`,
      {
        retryable: false,
        status: first instanceof AlertDeliveryError ? first.status : undefined,
      },
    );
  }
}
