import { Module } from '@nestjs/common';
import { FakePaymentGateway } from './fake-payment.gateway';
import { PaymentsController } from './payments.controller';
import { PaymentsService } from './payments.service';

/** Checkout through the (fake) payment gateway. */
@Module({
  controllers: [PaymentsController],
  providers: [FakePaymentGateway, PaymentsService],
})
export class PaymentsModule {}
