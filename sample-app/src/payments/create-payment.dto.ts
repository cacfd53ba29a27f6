import { asFields, requireNumber, requireOneOf, requireString } from '../common/request-body.util';

/** Accepted payment methods; `payment_method` is a metric label, so the list is closed. */
export const PAYMENT_METHODS = ['card', 'yookassa', 'paypal'] as const;

/**
 * Plans on sale; `plan` is a metric label, so the list is closed. `fail-me` is the sandbox
 * plan that the fake gateway always declines.
 */
export const PLANS = ['basic', 'premium', 'enterprise', 'fail-me'] as const;

/** Payment method of a payment. */
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Plan paid for. */
export type Plan = (typeof PLANS)[number];

/** A checkout request (`POST /payments`). */
export interface CreatePaymentDto {
  userId: string;
  plan: Plan;
  paymentMethod: PaymentMethod;
  /** Amount in the plan's currency. */
  amount: number;
}

/** Validates the body of `POST /payments`; throws a 400 on bad input. */
export function parseCreatePayment(body: unknown): CreatePaymentDto {
  const fields = asFields(body);
  return {
    userId: requireString(fields, 'userId', 64),
    plan: requireOneOf(fields, 'plan', PLANS),
    paymentMethod: requireOneOf(fields, 'paymentMethod', PAYMENT_METHODS),
    amount: requireNumber(fields, 'amount'),
  };
}
