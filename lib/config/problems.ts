/** Collects every problem of the options so one boot error can name them all. */
export class Problems {
  readonly list: string[] = [];

  add(path: string, expected: string, got: unknown): void {
    this.list.push(`${path}: expected ${expected}, got ${describe(got)}`);
  }

  /** Flags keys of `value` that are not in `known` (almost always typos). */
  unknownKeys(value: Record<string, unknown>, scope: string, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.list.push(
          `${scope ? `${scope}.` : ''}${key}: unknown option; expected one of ${known.join(', ')}`,
        );
      }
    }
  }
}

/** A short, unambiguous rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Whether `value` is an object that is not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a boolean environment variable, recording a problem when it is neither. */
export function parseBooleanEnv(
  name: string,
  raw: string,
  problems: Problems,
): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  problems.add(`${name} (environment)`, 'true or false', raw);
  return undefined;
}
