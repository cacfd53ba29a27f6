import { Injectable, type OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ImageGenerationProcessor } from './image-generation.processor';
import type { ImageJob, ImageJobData } from './image-job.types';

/**
 * A minimal in-process job queue, standing in for BullMQ so the sample needs no Redis. Jobs
 * run one at a time, in order, after the request that enqueued them has been answered.
 */
@Injectable()
export class ImageGenerationQueue implements OnModuleDestroy {
  private readonly jobs = new Map<string, ImageJob>();
  /** Settles when every job enqueued so far has finished. */
  private drained: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(private readonly processor: ImageGenerationProcessor) {}

  /** Queues a job and returns it at once, with status `queued`. */
  enqueue(data: ImageJobData): ImageJob {
    if (this.closing) throw new ServiceUnavailableException('The image queue is shutting down.');
    const job: ImageJob = { id: randomUUID(), data, status: 'queued' };
    this.jobs.set(job.id, job);
    this.drained = this.drained
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.run(job));
    return job;
  }

  /** The job `id`, or `undefined` when there is none. */
  find(id: string): ImageJob | undefined {
    return this.jobs.get(id);
  }

  /**
   * Lets the queued jobs finish on shutdown. This runs in `onModuleDestroy` because Nest
   * destroys this module before the global `ObservabilityModule`: the jobs' last metrics are
   * still recorded.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.drained;
  }

  private async run(job: ImageJob): Promise<void> {
    job.status = 'active';
    try {
      job.result = await this.processor.process(job);
      job.status = 'completed';
    } catch (error) {
      job.status = 'failed';
      job.error = (error as Error)?.message ?? String(error);
    }
  }
}
