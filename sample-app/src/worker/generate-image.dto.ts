import { asFields, requireString } from '../common/request-body.util';
import type { ImageJobData } from './image-job.types';

/** An image request (`POST /images`). */
export type GenerateImageDto = ImageJobData;

/** Validates the body of `POST /images`; throws a 400 on bad input. */
export function parseGenerateImage(body: unknown): GenerateImageDto {
  const fields = asFields(body);
  return {
    userId: requireString(fields, 'userId', 64),
    prompt: requireString(fields, 'prompt', 1000),
  };
}
