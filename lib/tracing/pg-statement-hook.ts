import { summarizeSql } from '../database/sql-statement';

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
