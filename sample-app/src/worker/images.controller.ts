import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { parseGenerateImage } from './generate-image.dto';
import { ImageGenerationQueue } from './image-generation.queue';
import type { ImageJob, ImageJobView } from './image-job.types';

const view = (job: ImageJob): ImageJobView => ({
  jobId: job.id,
  status: job.status,
  imageUrl: job.result?.imageUrl,
  error: job.error,
});

/** Image generation: requests are queued, then polled. */
@Controller('images')
export class ImagesController {
  constructor(private readonly queue: ImageGenerationQueue) {}

  /** `POST /images` `{ userId, prompt }` -> 202 `{ jobId, status }`; then poll `GET /images/:id`. */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  enqueue(@Body() body: unknown): ImageJobView {
    return view(this.queue.enqueue(parseGenerateImage(body)));
  }

  /** `GET /images/:id` -> 200 with the job's status, and its image or error once finished. */
  @Get(':id')
  find(@Param('id') id: string): ImageJobView {
    const job = this.queue.find(id);
    if (!job) throw new NotFoundException(`There is no image job "${id}".`);
    return view(job);
  }
}
