/**
 * A queue worker monitored without Nest: image generation jobs, then a thumbnail for each image.
 *
 * Two ways to measure jobs, side by side:
 * - `ImageJobProcessor` does the bookkeeping by hand (`startJobTimer`, `setActiveJobs`,
 *   `trackQueueFailure`, `alerts.alertQueueFailure`, generation KPIs), which works with any
 *   queue library and lets you add your own labels and log lines;
 * - `ThumbnailProcessor` gets the same metrics from `@TrackJob()` on its method, and times its
 *   storage calls with `@TrackDuration()`, once bound with `monitoring.bind(...)`.
 *
 * The queue is a small in-memory one so the example runs anywhere; with BullMQ, call the same
 * functions from your `Worker`'s processor (or let `monitoring.metrics.watchBullQueue(queue)`
 * read the backlog too).
 *
 *   npx ts-node -P examples/tsconfig.json examples/queue-worker/worker.ts
 *   curl -s localhost:9091/metrics | grep -E '^(queue_|active_jobs|generation_|method_duration)'
 */
import {
  Monitoring,
  type MonitoringOptions,
  TrackDuration,
  TrackJob,
} from 'nestjs-observability/core';

/** One job, shaped like a BullMQ `Job` (its `name` is the `job_type` `@TrackJob` records). */
export interface Job<T> {
  id: string;
  name: string;
  data: T;
  attemptsMade: number;
}

/** A first-in first-out queue in memory, worked by one processor at a given concurrency. */
export class MemoryQueue<T> {
  private readonly waiting: Job<T>[] = [];
  private running = 0;
  private nextId = 1;
  private handler: ((job: Job<T>) => Promise<unknown>) | undefined;
  private concurrency = 1;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly name: string) {}

  /** Adds a job; it runs as soon as a processor slot is free. */
  add(name: string, data: T): Job<T> {
    const job: Job<T> = { id: String(this.nextId++), name, data, attemptsMade: 0 };
    this.waiting.push(job);
    this.pump();
    return job;
  }

  /** Starts working the queue. A job whose handler rejects is failed (no retries here). */
  process(handler: (job: Job<T>) => Promise<unknown>, concurrency = 1): void {
    this.handler = handler;
    this.concurrency = concurrency;
    this.pump();
  }

  /** Resolves once no job waits or runs. */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const handler = this.handler;
    while (handler && this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job<T>;
      this.running++;
      job.attemptsMade++;
      void handler(job)
        .catch(() => undefined) // the processor has reported it; a real queue would retry
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) {
            this.idleWaiters.splice(0).forEach((resolve) => resolve());
          }
        });
    }
  }
}

export interface ImageJobData {
  userId: string;
  prompt: string;
}

export interface ThumbnailJobData {
  imageUrl: string;
  width: number;
}

/** The image model's client (OpenAI's `images.generate`, reduced to what the worker uses). */
export interface ImageClient {
  generate(prompt: string): Promise<{ url: string }>;
}

/** Where thumbnails are resized and stored (S3, a CDN, ...). */
export interface ImageStorage {
  resize(imageUrl: string, width: number): Promise<Buffer>;
  upload(bytes: Buffer): Promise<string>;
}

export const IMAGE_QUEUE = 'image-generation';
export const THUMBNAIL_QUEUE = 'thumbnails';

/**
 * Generates images, measuring each job by hand. One instance per worker process: it counts the
 * jobs it is running, so `active_jobs_total` stays exact under any concurrency.
 */
export class ImageJobProcessor {
  private active = 0;

  constructor(
    private readonly monitoring: Monitoring,
    private readonly images: ImageClient,
    /** Receives each generated image, e.g. to enqueue its thumbnail. */
    private readonly onGenerated: (imageUrl: string, job: Job<ImageJobData>) => void = () => {},
  ) {}

  /** Processes one job; rethrows failures so the queue can retry them. */
  async process(job: Job<ImageJobData>): Promise<{ imageUrl: string }> {
    const monitoring = this.monitoring;
    const jobType = 'dalle-3';

    monitoring.logger.info(
      { jobId: job.id, userId: job.data.userId, prompt: job.data.prompt },
      'Processing image generation job',
    );

    // Records `queue_job_duration_seconds{queue_name,job_type}` when called.
    const endTimer = monitoring.metrics.startJobTimer(IMAGE_QUEUE, jobType);
    monitoring.metrics.setActiveJobs(IMAGE_QUEUE, ++this.active);

    let status: 'completed' | 'failed' = 'failed';
    try {
      const image = await this.images.generate(job.data.prompt);

      // Image models bill per image: one image counts as one "token".
      monitoring.trackKpi({
        type: 'token_spend',
        data: { tokens: 1, model: 'dall-e-3', type: 'image' },
      });
      monitoring.trackKpi({ type: 'generation_success', data: { type: 'image' } });
      monitoring.logger.info(
        { jobId: job.id, userId: job.data.userId, imageUrl: image.url },
        'Image generated successfully',
      );
      status = 'completed';
      this.onGenerated(image.url, job);
      return { imageUrl: image.url };
    } catch (error) {
      const errorType = error instanceof Error ? error.name : 'UnknownError';
      monitoring.metrics.trackQueueFailure(IMAGE_QUEUE, errorType);
      monitoring.trackKpi({ type: 'generation_failure', data: { type: 'image', errorType } });
      // A `warning` alert, deduplicated per queue and error type (one message per incident).
      monitoring.alerts.alertQueueFailure(IMAGE_QUEUE, error, {
        jobId: job.id,
        userId: job.data.userId,
        attempts: job.attemptsMade,
      });
      monitoring.logger.error(
        { err: error, jobId: job.id, userId: job.data.userId },
        'Image generation failed',
      );
      throw error;
    } finally {
      // 'completed' also counts `queue_jobs_completed_total`.
      endTimer(status);
      monitoring.metrics.setActiveJobs(IMAGE_QUEUE, --this.active);
    }
  }
}

/**
 * The thumbnail processor, measured by decorators: `@TrackJob` records the job's duration,
 * completion or failure (with an alert), the active jobs gauge and, with `kpi: 'generation'`,
 * `generation_success_total{type="resize"}` or `generation_failure_total`. The error still
 * reaches the queue. The decorators record nothing until the instance is bound to a
 * `Monitoring`, so the class stays usable (and testable) without one.
 */
export class ThumbnailProcessor {
  constructor(private readonly storage: ImageStorage) {}

  @TrackJob(THUMBNAIL_QUEUE, undefined, { kpi: 'generation' })
  async process(job: Job<ThumbnailJobData>): Promise<string> {
    const bytes = await this.resize(job.data.imageUrl, job.data.width);
    return this.upload(bytes);
  }

  // `method_duration_seconds{class="ThumbnailProcessor",method="resize",status}`.
  @TrackDuration()
  private resize(imageUrl: string, width: number): Promise<Buffer> {
    return this.storage.resize(imageUrl, width);
  }

  @TrackDuration()
  private upload(bytes: Buffer): Promise<string> {
    return this.storage.upload(bytes);
  }
}

/** A running worker: its monitoring and queues. */
export interface Worker {
  monitoring: Monitoring;
  images: MemoryQueue<ImageJobData>;
  thumbnails: MemoryQueue<ThumbnailJobData>;
  /** Starts the metrics server (`GET /metrics` on `metrics.port`, or `METRICS_PORT`). */
  start(): Promise<void>;
  /** Resolves once both queues are empty and idle. */
  drain(): Promise<void>;
  /** Delivers pending alerts, flushes the log and closes the metrics server. */
  close(): Promise<void>;
}

/**
 * Creates the worker's monitoring (service `worker`; `options` override it) and starts working
 * both queues: every generated image gets a 200px thumbnail.
 */
export function createWorker(
  deps: { images: ImageClient; storage: ImageStorage },
  options: MonitoringOptions = {},
): Worker {
  const monitoring = new Monitoring({ service: 'worker', ...options });
  const images = new MemoryQueue<ImageJobData>(IMAGE_QUEUE);
  const thumbnails = new MemoryQueue<ThumbnailJobData>(THUMBNAIL_QUEUE);

  const imageProcessor = new ImageJobProcessor(monitoring, deps.images, (imageUrl) =>
    thumbnails.add('resize', { imageUrl, width: 200 }),
  );
  images.process((job) => imageProcessor.process(job), 2);

  // `bind` makes the decorators of this instance record into `monitoring`.
  const thumbnailProcessor = monitoring.bind(new ThumbnailProcessor(deps.storage));
  thumbnails.process((job) => thumbnailProcessor.process(job), 2);

  return {
    monitoring,
    images,
    thumbnails,
    start: () => monitoring.startMetricsServer(),
    // Thumbnails are enqueued by image jobs, so wait for images first.
    drain: async () => {
      await images.onIdle();
      await thumbnails.onIdle();
    },
    close: () => monitoring.close(),
  };
}

/** Enqueues a few prompts (one fails), waits for them, then serves the metrics until Ctrl+C. */
async function main(): Promise<void> {
  class ContentPolicyError extends Error {
    override readonly name = 'ContentPolicyError';
  }
  const worker = createWorker({
    images: {
      async generate(prompt) {
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
        if (prompt.includes('forbidden')) throw new ContentPolicyError('Prompt rejected.');
        return { url: `https://cdn.example.com/${encodeURIComponent(prompt)}.png` };
      },
    },
    storage: {
      resize: async (url) => Buffer.from(url),
      upload: async (bytes) => `https://cdn.example.com/thumbs/${bytes.length}.png`,
    },
  });
  await worker.start();
  for (const prompt of ['a red fox', 'a lighthouse at dusk', 'something forbidden', 'a teapot']) {
    worker.images.add('dalle-3', { userId: 'user-1', prompt });
  }
  await worker.drain();
  console.log(`Done. Metrics on http://localhost:${worker.monitoring.metricsPort}/metrics`);

  await new Promise((resolve) => process.once('SIGINT', resolve));
  await worker.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
