import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { BotController } from './bot.controller';
import { BotService } from './bot.service';

/** The chat bot. */
@Module({
  imports: [AiModule],
  controllers: [BotController],
  providers: [BotService],
})
export class BotModule {}
