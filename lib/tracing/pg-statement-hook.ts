import { summarizeSql } from '../database/sql-statement';
import type { Redactor } from '../logging/redaction';

/** What `@opentelemetry/instrumentation-pg` passes its `requestHook`. @internal */
interface PgRequestInfo {
  query?: { text?: unknown };
}

/**
 * `requestHook` of the `pg` instrumentation: its spans record the statement as sent, literals
 * included; this replaces it by the sanitised text that the library's own query spans carry
 * (literals as `?`, comments removed). Never throws.
 * @internal
 */
export function sanitizePgSpanStatement(
  span: { setAttribute(key: string, value: string): unknown; attributes?: Record<string, unknown> },
  info: PgRequestInfo,
): void {
  try {
    const text = info?.query?.text;
    if (typeof text !== 'string') return;
    const { statement } = summarizeSql(text);
    span.setAttribute('db.query.text', statement);
    if (span.attributes?.['db.statement'] !== undefined) {
      span.setAttribute('db.statement', statement);
    }
  } catch {
    // a statement that cannot be read keeps nothing more than the instrumentation wrote
  }
}

/**
 * `dbStatementSerializer` of the `ioredis` instrumentation: its default writes every argument of
 * most commands into the span (values, BullMQ job data, tokens kept in Redis), so the statement
 * is the command name alone, whatever the arguments hold. @internal
 */
export function redisSpanStatement(command: unknown): string {
  return typeof command === 'string' ? command : 'unknown';
}

/** The span attributes that carry a URL or its query string, in old and current conventions. */
const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target'] as const;

/**
 * `requestHook` of the HTTP and undici instrumentations: the URL attributes they set lose the
 * values of secret query parameters (`?token=[Redacted]`), by the rule the logs follow (the
 * `redact` option included). Never throws. @internal
 */
export function scrubSpanUrls(
  redactor: Redactor,
): (span: {
  setAttribute(key: string, value: string): unknown;
  attributes?: Record<string, unknown>;
}) => void {
  return (span) => {
    try {
      const attributes = span.attributes ?? {};
      for (const key of URL_ATTRIBUTES) {
        const value = attributes[key];
        if (typeof value === 'string' && value.includes('?')) {
          span.setAttribute(key, redactor.scrubUrl(value));
        }
      }
      const query = attributes['url.query'];
      if (typeof query === 'string' && query !== '') {
        span.setAttribute('url.query', redactor.scrubQuery(query.replace(/^\?/, '')));
      }
    } catch {
      // a span that cannot be read keeps what the instrumentation wrote
    }
  };
}
