import { Module } from '@nestjs/common';
import { ObservabilityModule } from 'nestjs-observability';
import { AiModule } from './ai/ai.module';
import { TOKEN_PRICING } from './ai/token-pricing.constants';
import { BotModule } from './bot/bot.module';
import { PaymentsModule } from './payments/payments.module';
import { WorkerModule } from './worker/worker.module';

/**
 * The sample API: a chat bot, AI generation, payments and an image worker, monitored by one
 * import. The environment fills what the options leave out: `METRICS_PORT` (9091) for the
 * metrics server, `APP_ENV`/`NODE_ENV` and `APP_VERSION` for the environment and release.
 */
@Module({
  imports: [
    ObservabilityModule.forRoot({
      service: 'sample-api',
      kpi: { tokenPricing: TOKEN_PRICING, ai: { costWindows: ['1h'] } },
      // A request slower than this logs a warning and counts in slow_requests_total
      // (this option wins over SLOW_REQUEST_THRESHOLD).
      http: { slowRequestThreshold: 0.5 },
    }),
    AiModule,
    BotModule,
    PaymentsModule,
    WorkerModule,
  ],
})
export class AppModule {}
