import { AlertDeliveryError } from './alert-channel.interface';
import type { SecretScrubber } from './secret-scrubber';

// The masks live with the scrubber; channels and specs import them from here.
export { maskSecret, maskUrl } from './secret-scrubber';

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends one HTTP request with the global fetch and turns every failure into an
 * {@link AlertDeliveryError}: network errors, timeouts, 5xx and 429 are retryable (429 with its
 * `Retry-After`), other 4xx are not. Messages never contain the URL, which often holds a secret,
 * nor the receiver's answer as it is: only its status and an excerpt `secrets` scrubbed (some
 * receivers echo the request, credentials included).
 */
export async function httpDeliver(
  url: string,
  init: { method?: string; headers: Record<string, string>; body: string },
  signal: AbortSignal,
  secrets: SecretScrubber,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw new AlertDeliveryError('timed out', { retryable: true });
    const cause = (error as { cause?: { code?: string } })?.cause?.code;
    throw new AlertDeliveryError(`network error${cause ? ` (${cause})` : ''}`, { retryable: true });
  }
  // Drain the body so the connection returns to the pool.
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  const status = response.status;
  const message = `HTTP ${status} ${secrets.excerpt(text)}`.trim();
  if (status === 429) {
    throw new AlertDeliveryError(message, {
      retryable: true,
      status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
  throw new AlertDeliveryError(message, {
    retryable: status >= 500 || status === 408,
    status,
  });
}
