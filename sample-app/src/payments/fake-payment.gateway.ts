import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CreatePaymentDto, PaymentMethod } from './create-payment.dto';
import { PaymentDeclinedError } from './payment-declined.error';

/** A payment the gateway accepted. */
export interface GatewayPayment {
  id: string;
  status: 'succeeded';
  paymentMethod: PaymentMethod;
  amount: number;
}

const LATENCY_MS = 5;

/**
 * An in-process stand-in for a payment provider's sandbox. Like real sandboxes it declines
 * on fixed rules, so failures are reproducible: the plan `fail-me`, or an amount <= 0, is
 * declined with `card_declined`.
 */
@Injectable()
export class FakePaymentGateway {
  private sequence = 0;

  /** Charges the payment; rejects with `PaymentDeclinedError` when the gateway declines it. */
  async charge({ plan, paymentMethod, amount }: CreatePaymentDto): Promise<GatewayPayment> {
    const id = `pay_${String(++this.sequence).padStart(6, '0')}`;
    await sleep(LATENCY_MS);
    if (plan === 'fail-me' || amount <= 0) throw new PaymentDeclinedError(id, 'card_declined');
    return { id, status: 'succeeded', paymentMethod, amount };
  }
}
