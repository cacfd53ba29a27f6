import { randomUUID } from 'node:crypto';

const REQUEST_ID = Symbol.for('nestjs-observability.request-id');

/** Accepted incoming ids: 1-128 characters, letters, digits and `. _ : -` (UUIDs, trace ids). */
export const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type RawRequest = {
  headers?: Record<string, unknown>;
  raw?: RawRequest;
  id?: unknown;
  [REQUEST_ID]?: string;
};
type RawResponse = { headersSent?: boolean; setHeader?: (name: string, value: string) => unknown };

/**
 * The id of `request`: the incoming `header` when it is valid, otherwise a new UUID. Computed
 * once per request (stored on the raw request), echoed in the response header.
 */
export function ensureRequestId(request: unknown, response: unknown, header: string): string {
  const raw = ((request as RawRequest)?.raw ?? request) as RawRequest;
  const existing = raw?.[REQUEST_ID];
  if (existing) return existing;
  const incoming = raw?.headers?.[header];
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  const id = typeof value === 'string' && VALID_REQUEST_ID.test(value) ? value : randomUUID();
  if (raw && typeof raw === 'object') {
    raw[REQUEST_ID] = id;
    // `req.id`, where pino-style code looks for the request id.
    raw.id = id;
  }
  const res = ((response as { raw?: RawResponse })?.raw ?? response) as RawResponse;
  if (res && !res.headersSent && typeof res.setHeader === 'function') res.setHeader(header, id);
  return id;
}

/** The id already assigned to `request`, if any. */
export function requestIdOf(request: unknown): string | undefined {
  const raw = ((request as RawRequest)?.raw ?? request) as RawRequest;
  return raw?.[REQUEST_ID];
}
