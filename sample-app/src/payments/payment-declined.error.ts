/** Why the gateway declined a payment; the `error_type` label of `payment_failures_total`. */
export type DeclineCode = 'card_declined' | 'insufficient_funds';

/** The gateway refused the payment `paymentId`. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';

  constructor(
    readonly paymentId: string,
    readonly code: DeclineCode,
  ) {
    super(`Payment ${paymentId} was declined (${code}).`);
  }
}
