import { BadRequestException } from '@nestjs/common';

/**
 * Hand-written checks for the sample's JSON bodies, so the sample needs no validation library.
 * Each check throws Nest's `BadRequestException`, which the client receives as a normal 400.
 */

/** `body` as an object of fields, or a 400 when it is not a JSON object. */
export function asFields(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The non-blank string `fields[name]` of at most `maxLength` characters. */
export function requireString(
  fields: Record<string, unknown>,
  name: string,
  maxLength = 200,
): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw new BadRequestException(
      `"${name}" must be a non-blank string of at most ${maxLength} characters.`,
    );
  }
  return value;
}

/** The finite number `fields[name]`. */
export function requireNumber(fields: Record<string, unknown>, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new BadRequestException(`"${name}" must be a finite number.`);
  }
  return value;
}

/**
 * `fields[name]` (or `fallback` when absent), which must be one of `allowed`.
 *
 * Values that become metric labels go through this check: a closed list keeps the number of
 * series bounded, whatever clients send.
 */
export function requireOneOf<T extends string>(
  fields: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  const value = fields[name] ?? fallback;
  if (!allowed.includes(value as T)) {
    throw new BadRequestException(`"${name}" must be one of: ${allowed.join(', ')}.`);
  }
  return value as T;
}
