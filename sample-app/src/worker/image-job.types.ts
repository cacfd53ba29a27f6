/** Lifecycle of an image job. */
export type ImageJobStatus = 'queued' | 'active' | 'completed' | 'failed';

/** What the client asked for. */
export interface ImageJobData {
  userId: string;
  prompt: string;
}

/** What a finished job produced. */
export interface ImageJobResult {
  imageUrl: string;
}

/** One image generation job, as held by the queue. */
export interface ImageJob {
  id: string;
  data: ImageJobData;
  status: ImageJobStatus;
  result?: ImageJobResult;
  /** Message of the failure, for the client; metrics only see its type. */
  error?: string;
}

/** A job as the API shows it (`POST /images`, `GET /images/:id`). */
export interface ImageJobView {
  jobId: string;
  status: ImageJobStatus;
  /** Set once the job completed. */
  imageUrl?: string;
  /** Set once the job failed. */
  error?: string;
}
