import { AlertDeliveryError } from './alert-channel.interface';

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
 * `Retry-After`), other 4xx are not. Messages never contain the URL, which often holds a secret.
 */
export async function httpDeliver(
  url: string,
  init: { method?: string; headers: Record<string, string>; body: string },
  signal: AbortSignal,
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
  const detail = text.slice(0, 200).replace(/\s+/g, ' ');
  if (status === 429) {
    throw new AlertDeliveryError(`HTTP 429 ${detail}`.trim(), {
      retryable: true,
      status,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
  throw new AlertDeliveryError(`HTTP ${status} ${detail}`.trim(), {
    retryable: status >= 500 || status === 408,
    status,
  });
}

/** `https://hooks.slack.com/***`: the origin only; paths and queries often carry tokens. */
export function maskUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname.length > 1 || parsed.search ? '/***' : '';
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return '***';
  }
}

/** `ab***yz` for a secret of 8 characters or more, `***` otherwise. */
export function maskSecret(secret: string | undefined): string | undefined {
  if (!secret) return secret;
  return secret.length >= 8 ? `${secret.slice(0, 2)}***${secret.slice(-2)}` : '***';
}
