import { HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { CustomMetricsService } from 'nestjs-observability';
import type { CreatePaymentDto, Plan } from './create-payment.dto';
import { FakePaymentGateway } from './fake-payment.gateway';
import { PaymentDeclinedError } from './payment-declined.error';

/** A successful checkout. */
export interface PaymentReceipt {
  paymentId: string;
  status: 'succeeded';
  plan: Plan;
  amount: number;
}

/** Payment processing: conversions, failures, revenue and subscriptions. */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);
  /** Active subscriptions by plan (a real app counts them in its database). */
  private readonly active = new Map<string, number>();

  constructor(
    private readonly gateway: FakePaymentGateway,
    private readonly metrics: CustomMetricsService,
  ) {}

  /**
   * Charges `payment`. A decline answers 402 with the decline code; any other gateway failure
   * answers 503. Both count in `payment_failures_total` and `errors_total`; a success adds its
   * amount to `revenue_total`.
   */
  async checkout(payment: CreatePaymentDto): Promise<PaymentReceipt> {
    const { userId, plan, paymentMethod, amount } = payment;
    try {
      const charged = await this.gateway.charge(payment);
      this.metrics.trackKpi({
        type: 'payment_conversion',
        data: { paymentMethod: charged.paymentMethod, plan },
      });
      // Summed exactly in cents: 19.99 + 19.99 is 39.98 in revenue_total, never 39.980000000000004.
      this.metrics.trackRevenue({ amount, currency: 'USD', planType: plan });
      this.metrics.trackSubscriptionStarted(plan);
      this.active.set(plan, (this.active.get(plan) ?? 0) + 1);
      this.metrics.setActiveSubscriptions(plan, this.active.get(plan) ?? 0);
      this.logger.log(`Payment ${charged.id} of user ${userId} succeeded (${plan}, ${amount})`);
      return { paymentId: charged.id, status: charged.status, plan, amount };
    } catch (error) {
      const declined = error instanceof PaymentDeclinedError;
      const errorType = declined ? error.code : ((error as Error)?.name ?? 'unknown');
      const paymentId = declined ? error.paymentId : 'unknown';
      // The payment id goes to the library's log line, never to a label.
      this.metrics.trackKpi({
        type: 'payment_failure',
        data: { paymentId, paymentMethod, errorType },
      });
      // A declined renewal ends the subscription.
      if (declined) this.metrics.trackSubscriptionCancelled(plan);
      // A decline is the customer's problem; a broken gateway loses revenue for everyone.
      this.metrics.trackError(errorType, declined ? 'warning' : 'critical');
      if (declined) {
        throw new HttpException(
          { statusCode: HttpStatus.PAYMENT_REQUIRED, message: error.message, errorType, paymentId },
          HttpStatus.PAYMENT_REQUIRED,
        );
      }
      this.logger.error(`Payment gateway failed for user ${userId}`, (error as Error)?.stack);
      throw new HttpException(
        'The payment gateway is unavailable; try again later.',
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
  }
}
