import { Body, Controller, Post } from '@nestjs/common';
import { parseCreatePayment } from './create-payment.dto';
import { type PaymentReceipt, PaymentsService } from './payments.service';

/** Checkout. */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  /** `POST /payments` `{ userId, plan, paymentMethod, amount }` -> 201 receipt, or 402 declined. */
  @Post()
  checkout(@Body() body: unknown): Promise<PaymentReceipt> {
    return this.payments.checkout(parseCreatePayment(body));
  }
}
