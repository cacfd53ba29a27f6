import { Module } from '@nestjs/common';
import { AiModule } from '../ai/ai.module';
import { ImageGenerationProcessor } from './image-generation.processor';
import { ImageGenerationQueue } from './image-generation.queue';
import { ImagesController } from './images.controller';

/** The image generation worker, with its in-process queue. */
@Module({
  imports: [AiModule],
  controllers: [ImagesController],
  providers: [ImageGenerationProcessor, ImageGenerationQueue],
})
export class WorkerModule {}
