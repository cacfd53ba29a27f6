import type { HealthIndicatorResult, HealthIndicatorStatus } from '@nestjs/terminus';
import { Messages } from '../observability.messages';

/** The result of one check under its name: `{ status, ...data }`. */
export type HealthCheckDetail = { status: HealthIndicatorStatus } & Record<string, unknown>;

/** A check as the runner sees it: a name, a function and a timeout. */
export interface RunnableCheck {
  readonly name: string;
  readonly timeoutMs: number;
  run(): Promise<HealthIndicatorResult> | HealthIndicatorResult;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDetail(value: unknown): value is HealthCheckDetail {
  return isObject(value) && (value.status === 'up' || value.status === 'down');
}

/**
 * Turns what a check returned into one detail under its name: the entry itself when the result
 * has one key (whatever it is), else `{ status, [key]: entry, ... }`, down when any entry is.
 */
export function normalizeResult(name: string, result: unknown): HealthCheckDetail {
  const entries = isObject(result) ? Object.entries(result).filter(([, v]) => isDetail(v)) : [];
  if (entries.length === 0) return { status: 'down', message: Messages.healthCheckNoResult(name) };
  if (entries.length === 1) return { ...(entries[0][1] as HealthCheckDetail) };
  const down = entries.some(([, v]) => (v as HealthCheckDetail).status === 'down');
  return { status: down ? 'down' : 'up', ...Object.fromEntries(entries) };
}

/** A thrown error as a detail; Terminus' deprecated `HealthCheckError` carries its result. */
function fromError(name: string, error: unknown): HealthCheckDetail {
  const causes = isObject(error) ? error.causes : undefined;
  if (isObject(causes)) {
    const detail = normalizeResult(name, causes);
    if (detail.message !== Messages.healthCheckNoResult(name)) return { ...detail, status: 'down' };
  }
  const message =
    error instanceof Error
      ? error.message
      : isObject(error) && typeof error.message === 'string'
        ? error.message
        : String(error);
  return { status: 'down', message };
}

/**
 * Runs one check to completion or until its timeout, whichever comes first. Never rejects: a
 * throw, a rejection, a hang or a malformed result is a `down` detail. The timer is cleared as
 * soon as the check settles, and a late result of a timed-out check is ignored.
 */
export async function runHealthCheck(check: RunnableCheck): Promise<HealthCheckDetail> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthCheckDetail>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'down',
          message: Messages.healthCheckTimedOut(check.name, check.timeoutMs),
        }),
      check.timeoutMs,
    );
  });
  const attempt = (async () => {
    try {
      return normalizeResult(check.name, await check.run());
    } catch (error) {
      return fromError(check.name, error);
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
