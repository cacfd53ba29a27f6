import { Injectable, Logger } from '@nestjs/common';
import { CountCalls, CustomMetricsService, TrackDuration } from 'nestjs-observability';
import { errorTypeOf } from '../ai/ai-provider.error';
import { AiService } from '../ai/ai.service';
import type { ImageJob, ImageJobResult } from './image-job.types';

/**
 * Generates the image of one job (seed 001, example 3). The decorators replace the seed's
 * `startJobTimer()`/`endTimer()` pair: the job's duration lands in its own histogram and every
 * job counts once in `method_calls_total`, by outcome, whichever way it ends.
 */
@Injectable()
export class ImageGenerationProcessor {
  private readonly logger = new Logger(ImageGenerationProcessor.name);

  constructor(
    private readonly ai: AiService,
    private readonly metrics: CustomMetricsService,
  ) {}

  /** Processes `job`; rejects when the generation fails, after tracking the failure. */
  @CountCalls()
  @TrackDuration('image_generation_duration_seconds', {
    help: 'Duration of image generation jobs in seconds.',
    labels: { queue: 'image-generation' },
    // Image jobs take seconds to a minute with a real provider.
    buckets: [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
  })
  async process(job: ImageJob): Promise<ImageJobResult> {
    try {
      const image = await this.ai.generateImage(job.data.prompt);
      // DALL-E bills per image: one image is tracked as one token, priced in the pricing table.
      this.metrics.trackTokenSpend(1, image.model, 'image');
      this.metrics.trackGenerationSuccess('image');
      return { imageUrl: image.url };
    } catch (error) {
      const errorType = errorTypeOf(error);
      this.metrics.trackGenerationFailure('image', errorType);
      // An error, unlike the bot's failures: this job is lost, with no fallback for the user.
      this.metrics.trackError(errorType, 'error');
      this.logger.error(`Image job ${job.id} failed: ${(error as Error).message}`);
      throw error;
    }
  }
}
