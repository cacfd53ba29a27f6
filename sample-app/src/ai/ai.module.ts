import { Module } from '@nestjs/common';
import { AiService } from './ai.service';
import { FakeOpenAiClient } from './fake-openai.client';

/** AI generation, shared by the bot and the image worker. */
@Module({
  providers: [FakeOpenAiClient, AiService],
  exports: [AiService],
})
export class AiModule {}
