/** A pattern as a label value: strings as they are, object patterns as JSON. */
export function patternLabel(pattern: unknown): string {
  if (typeof pattern === 'string') return pattern;
  if (pattern === undefined || pattern === null) return 'unknown';
  try {
    return JSON.stringify(pattern) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
