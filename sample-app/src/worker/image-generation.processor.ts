import { Injectable, Logger } from '@nestjs/common';
import { CustomMetricsService, TrackJob } from 'nestjs-observability';
import { errorTypeOf } from '../ai/ai-provider.error';
import { AiService } from '../ai/ai.service';
import type { ImageJob, ImageJobResult } from './image-job.types';

/**
 * Generates the image of one job. `@TrackJob()` replaces hand-written
 * `startJobTimer()`/`setActiveJobs()`/`trackQueueFailure()` bookkeeping: the job's duration,
 * the jobs in progress, completions and failures (by error name) land in the queue metrics,
 * whichever way the job ends, and the error is rethrown to the queue.
 */
@Injectable()
export class ImageGenerationProcessor {
  private readonly logger = new Logger(ImageGenerationProcessor.name);

  constructor(
    private readonly ai: AiService,
    private readonly metrics: CustomMetricsService,
  ) {}

  /** Processes `job`; rejects when the generation fails, after tracking the failure. */
  @TrackJob('image-generation', 'dalle-3')
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
