/** Why an AI provider call failed. Each code is an `error_type` label value, so the list stays short. */
export type AiErrorCode = 'timeout' | 'rate_limit' | 'content_policy';

/** Error of the AI client, with a bounded `code` fit for metric labels. */
export class AiProviderError extends Error {
  override readonly name = 'AiProviderError';

  constructor(
    readonly code: AiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The `error_type` label for `error`: the provider's code when there is one, else the error's
 * class name (`TypeError`, ...). Never the message, which is unbounded.
 */
export function errorTypeOf(error: unknown): string {
  if (error instanceof AiProviderError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}
