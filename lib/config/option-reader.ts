import { joinPath, type Problems } from './problems';

/**
 * The validation toolkit every capability's option resolver is written with: readers for the
 * common shapes, each of which returns the value when it is valid, `undefined` when it is absent,
 * and `undefined` plus one recorded problem when it is invalid. Framework-free.
 *
 * @example
 * const problems = new Problems();
 * const metrics = OptionReader.of(raw.metrics, 'metrics', METRICS_KEYS, problems);
 * const port = metrics.integer('port', PORT) ?? 9091;
 * problems.throwIfAny(Messages.invalidOptions);
 */

/** Environment variables, as the resolvers read them (`process.env` by default). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The longest delay `setTimeout` honours: a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A delay in milliseconds that must be positive. */
export const TIMER: IntegerRange = { min: 1, max: MAX_TIMER_MS };
/** A delay in milliseconds that may be 0. */
export const TIMER_OR_ZERO: IntegerRange = { min: 0, max: MAX_TIMER_MS };
/** A TCP port; 0 picks a free one. */
export const PORT: IntegerRange = { min: 0, max: 65535 };
/** An integer > 0. */
export const POSITIVE: IntegerRange = { min: 1 };
/** An integer >= 0. */
export const NON_NEGATIVE: IntegerRange = { min: 0 };

/** A Prometheus label name. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A Prometheus metric name, or the start of one (a prefix). */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Bounds of an integer; both inclusive. */
export interface IntegerRange {
  min?: number;
  max?: number;
}

/** Bounds of a finite number; `min` is exclusive when `above` is set. */
export interface NumberRange {
  min?: number;
  max?: number;
  /** Whether the value must be strictly greater than `min`. */
  above?: boolean;
}

/** Constraints of a string. */
export interface StringRule {
  /** Accept `''`. @default false */
  allowEmpty?: boolean;
  /** A pattern or predicate the string must pass. */
  test?: RegExp | ((value: string) => boolean);
  /** What the message says was expected. @default 'a non-empty string' */
  expected?: string;
}

/** Whether `value` is an object that is not an array (class instances included). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an absolute `http:` or `https:` URL with a host. */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Whether `name` is a label name a user may set (not reserved with `__`). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/**
 * The keys of an options interface, as a list for unknown-key checks. Write the argument as
 * `{ ... } satisfies Record<keyof XOptions, true>`: the type checker then fails on a missing
 * or extra key, so the list cannot drift from the interface.
 */
export function optionKeys<K extends string>(keys: Record<K, true>): readonly K[] {
  return Object.keys(keys) as K[];
}

/** `a positive integer`, `an integer 0-65535`, `a positive integer <= 2147483647`, ... */
export function describeInteger({ min, max }: IntegerRange): string {
  if (max === undefined) {
    if (min === undefined) return 'an integer';
    return min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  }
  if (min === 1) return `a positive integer <= ${max}`;
  return min === undefined ? `an integer <= ${max}` : `an integer ${min}-${max}`;
}

/** `a positive number`, `a finite number >= 0`, `a number between 0 and 1`, ... */
export function describeNumber({ min, max, above }: NumberRange): string {
  if (min !== undefined && max !== undefined) {
    return above ? `a number > ${min} and <= ${max}` : `a number between ${min} and ${max}`;
  }
  if (min !== undefined) {
    if (above) return min === 0 ? 'a positive number' : `a number > ${min}`;
    return `a finite number >= ${min}`;
  }
  return max === undefined ? 'a finite number' : `a finite number <= ${max}`;
}

function inIntegerRange(value: unknown, { min, max }: IntegerRange): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max)
  );
}

function inNumberRange(value: unknown, { min, max, above }: NumberRange): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || (above ? value > min : value >= min)) &&
    (max === undefined || value <= max)
  );
}

function passes(value: string, test: StringRule['test']): boolean {
  if (test === undefined) return true;
  return typeof test === 'function' ? test(value) : test.test(value);
}

/** A boolean. */
export function readBoolean(value: unknown, path: string, problems: Problems): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  problems.add(path, 'a boolean', value);
  return undefined;
}

/** An integer in `range`; `expected` replaces the generated description. */
export function readInteger(
  value: unknown,
  path: string,
  problems: Problems,
  range: IntegerRange = {},
  expected = describeInteger(range),
): number | undefined {
  if (value === undefined) return undefined;
  if (inIntegerRange(value, range)) return value;
  problems.add(path, expected, value);
  return undefined;
}

/** A finite number in `range`; `expected` replaces the generated description. */
export function readNumber(
  value: unknown,
  path: string,
  problems: Problems,
  range: NumberRange = {},
  expected = describeNumber(range),
): number | undefined {
  if (value === undefined) return undefined;
  if (inNumberRange(value, range)) return value;
  problems.add(path, expected, value);
  return undefined;
}

/** A string, non-empty unless `rule.allowEmpty`, passing `rule.test`. */
export function readString(
  value: unknown,
  path: string,
  problems: Problems,
  rule: StringRule = {},
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (rule.allowEmpty || value !== '') && passes(value, rule.test)) {
    return value;
  }
  problems.add(path, rule.expected ?? (rule.allowEmpty ? 'a string' : 'a non-empty string'), value);
  return undefined;
}

/** A URL path starting with "/". */
export function readPath(value: unknown, path: string, problems: Problems): string | undefined {
  return readString(value, path, problems, {
    test: (s) => s.startsWith('/'),
    expected: 'a path starting with "/"',
  });
}

/** An absolute http(s) URL. Its credentials, query and fragment are masked in the message. */
export function readHttpUrl(
  value: unknown,
  path: string,
  problems: Problems,
  expected = 'an http(s) URL',
): string | undefined {
  if (value === undefined) return undefined;
  if (isHttpUrl(value)) return value;
  problems.add(path, expected, value);
  return undefined;
}

/** A metric name prefix (`''` for none). */
export function readMetricPrefix(
  value: unknown,
  path: string,
  problems: Problems,
): string | undefined {
  return readString(value, path, problems, {
    allowEmpty: true,
    test: (s) => s === '' || METRIC_NAME.test(s),
    expected: 'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*',
  });
}

/** An array of strings, each passing `rule` (non-empty by default). */
export function readStrings(
  value: unknown,
  path: string,
  problems: Problems,
  rule: StringRule & { nonEmptyList?: boolean } = {},
): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    Array.isArray(value) &&
    (!rule.nonEmptyList || value.length > 0) &&
    value.every(
      (item) =>
        typeof item === 'string' && (rule.allowEmpty || item !== '') && passes(item, rule.test),
    )
  ) {
    return [...(value as string[])];
  }
  problems.add(path, rule.expected ?? 'an array of non-empty strings', value);
  return undefined;
}

/** One of `values`; `caseInsensitive` accepts any case and returns the listed spelling. */
export function readOneOf<T extends string>(
  value: unknown,
  path: string,
  problems: Problems,
  values: readonly T[],
  { caseInsensitive = false, expected = `one of ${values.join(', ')}` } = {},
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const found = values.find((v) => v === (caseInsensitive ? value.toLowerCase() : value));
    if (found !== undefined) return found;
  }
  problems.add(path, expected, value);
  return undefined;
}

/** A function. */
export function readFunction<T>(
  value: unknown,
  path: string,
  problems: Problems,
  expected = 'a function',
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as T;
  problems.add(path, expected, value);
  return undefined;
}

/** An object whose named methods are all functions (a logger, a stream, a clock). */
export function readMethods<T>(
  value: unknown,
  path: string,
  problems: Problems,
  methods: readonly string[],
  expected: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (isPlainObject(value) && methods.every((m) => typeof value[m] === 'function')) {
    return value as T;
  }
  problems.add(path, expected, value);
  return undefined;
}

/**
 * An object of label name to string value. Each bad name, and each name in `reserved` (mapped
 * to what to do instead), is one problem; the valid pairs are returned.
 */
export function readLabels(
  value: unknown,
  path: string,
  problems: Problems,
  reserved: Readonly<Record<string, string>> = {},
): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    problems.add(path, 'an object of label name to string value', value);
    return undefined;
  }
  const labels: Record<string, string> = {};
  for (const [name, labelValue] of Object.entries(value)) {
    const at = joinPath(path, name);
    if (!isLabelName(name)) {
      problems.addName(
        at,
        'a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__"',
        name,
      );
    } else if (Object.hasOwn(reserved, name)) {
      problems.add(at, `no "${name}" label (${reserved[name]})`, labelValue);
    } else if (typeof labelValue !== 'string') {
      problems.add(at, 'a string', labelValue);
    } else {
      labels[name] = labelValue;
    }
  }
  return labels;
}

/**
 * The fields of one options object at `path`. It is made with {@link OptionReader.of}, which
 * records a non-object and every unknown key, and reads each field with the readers above,
 * naming it `path.key`.
 */
export class OptionReader {
  private constructor(
    readonly problems: Problems,
    /** Where the object sits (`''` at the top level). */
    readonly path: string,
    /** The object's fields; empty when it was absent or not an object. */
    readonly values: Readonly<Record<string, unknown>>,
    /** Whether anything was given at all (even something that is not an object). */
    readonly given: boolean,
  ) {}

  /**
   * Reads `raw` as an object with `keys`. `undefined` reads as an empty object; anything else
   * that is not an object is recorded as `path: expected <expected>, got ...` and reads as empty.
   */
  static of(
    raw: unknown,
    path: string,
    keys: readonly string[],
    problems: Problems,
    expected = 'an object',
  ): OptionReader {
    if (raw === undefined) return new OptionReader(problems, path, {}, false);
    if (!isPlainObject(raw)) {
      problems.add(path || 'options', expected, raw);
      return new OptionReader(problems, path, {}, true);
    }
    problems.unknownKeys(raw, path, keys);
    return new OptionReader(problems, path, raw, true);
  }

  /** The path of a field: `path.key`. */
  at(key: string): string {
    return joinPath(this.path, key);
  }

  /** A field's raw value. */
  get(key: string): unknown {
    return this.values[key];
  }

  /** Whether a field is given (not `undefined`). */
  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  /** Records `path.key: expected <expected>, got undefined` when a required field is absent. */
  require(key: string, expected: string): void {
    if (!this.has(key)) this.problems.add(this.at(key), expected, undefined);
  }

  /** A nested options object (see {@link OptionReader.of}). */
  object(key: string, keys: readonly string[], expected?: string): OptionReader {
    return OptionReader.of(this.get(key), this.at(key), keys, this.problems, expected);
  }

  boolean(key: string): boolean | undefined {
    return readBoolean(this.get(key), this.at(key), this.problems);
  }

  integer(key: string, range?: IntegerRange, expected?: string): number | undefined {
    return readInteger(this.get(key), this.at(key), this.problems, range, expected);
  }

  number(key: string, range?: NumberRange, expected?: string): number | undefined {
    return readNumber(this.get(key), this.at(key), this.problems, range, expected);
  }

  string(key: string, rule?: StringRule): string | undefined {
    return readString(this.get(key), this.at(key), this.problems, rule);
  }

  urlPath(key: string): string | undefined {
    return readPath(this.get(key), this.at(key), this.problems);
  }

  url(key: string): string | undefined {
    return readHttpUrl(this.get(key), this.at(key), this.problems);
  }

  strings(key: string, rule?: StringRule & { nonEmptyList?: boolean }): string[] | undefined {
    return readStrings(this.get(key), this.at(key), this.problems, rule);
  }

  oneOf<T extends string>(
    key: string,
    values: readonly T[],
    options?: { caseInsensitive?: boolean; expected?: string },
  ): T | undefined {
    return readOneOf(this.get(key), this.at(key), this.problems, values, options);
  }

  function<T>(key: string, expected?: string): T | undefined {
    return readFunction<T>(this.get(key), this.at(key), this.problems, expected);
  }

  labels(
    key: string,
    reserved?: Readonly<Record<string, string>>,
  ): Record<string, string> | undefined {
    return readLabels(this.get(key), this.at(key), this.problems, reserved);
  }
}

/**
 * Environment variables, read with the same rules and named `NAME (environment)` in messages.
 * An unset or blank variable reads as `undefined`; values are trimmed.
 */
export class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: Problems,
  ) {}

  /** The path of a variable in messages. */
  static path(name: string): string {
    return `${name} (environment)`;
  }

  /** A variable's trimmed value, or `undefined` when unset or blank. */
  string(name: string, rule?: StringRule): string | undefined {
    const raw = this.env[name]?.trim();
    if (!raw) return undefined;
    return rule ? readString(raw, EnvReader.path(name), this.problems, rule) : raw;
  }

  /** `true/1/yes/on` or `false/0/no/off`, in any case. */
  boolean(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = raw.toLowerCase();
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value)) return false;
    this.problems.add(EnvReader.path(name), 'true or false', raw);
    return undefined;
  }

  /** A decimal integer in `range`. */
  integer(name: string, range: IntegerRange = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (inIntegerRange(value, range)) return value;
    this.problems.add(EnvReader.path(name), describeInteger(range), raw);
    return undefined;
  }

  /** A finite number in `range`. */
  number(name: string, range: NumberRange = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (inNumberRange(value, range)) return value;
    this.problems.add(EnvReader.path(name), describeNumber(range), raw);
    return undefined;
  }

  /** An absolute http(s) URL. */
  url(name: string): string | undefined {
    const raw = this.string(name);
    return raw === undefined ? undefined : readHttpUrl(raw, EnvReader.path(name), this.problems);
  }

  /** A comma-separated list; `undefined` when it holds no item. */
  list(name: string): string[] | undefined {
    const items = this.string(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    return items?.length ? items : undefined;
  }

  /** One of `values`, in any case. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return readOneOf(raw, EnvReader.path(name), this.problems, values, { caseInsensitive: true });
  }
}
