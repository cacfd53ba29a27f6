/**
 * The problem collector of the option resolvers, and the one way a bad value is shown in a
 * message. Every capability records into one `Problems`, so one boot error names them all, in
 * two shapes only:
 *
 * - `path: expected <what>, got <value described>` for a bad value;
 * - `path: unknown option; expected one of a, b, c` for a key no option has.
 *
 * An environment variable's path is `NAME (environment)`. Framework-free: the core uses it too.
 */
export class Problems {
  readonly list: string[] = [];

  /** How many problems were recorded so far. */
  get count(): number {
    return this.list.length;
  }

  /** A bad value: `path: expected <expected>, got <got>`, `got` described by {@link describeValue}. */
  add(path: string, expected: string, got: unknown): void {
    this.list.push(`${path}: expected ${expected}, got ${describeValue(got, path)}`);
  }

  /**
   * A bad key of a map (a label, header or check name): `path: expected <expected>, got "name"`.
   * Names are shown as they are, since they are never the secret; the values under them may be.
   */
  addName(path: string, expected: string, name: string): void {
    this.list.push(`${path}: expected ${expected}, got ${JSON.stringify(name)}`);
  }

  /** A key no option has (almost always a typo): `path: unknown option; expected one of ...`. */
  unknownKey(path: string, known: readonly string[]): void {
    this.list.push(`${path}: unknown option; expected one of ${known.join(', ')}`);
  }

  /** Records {@link unknownKey} for every key of `value` not in `known`. */
  unknownKeys(value: Record<string, unknown>, path: string, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.unknownKey(joinPath(path, key), known);
    }
  }

  /** A problem already phrased in full (one that names a domain object, e.g. a metric). */
  push(message: string): void {
    this.list.push(message);
  }

  /** Throws `format(list)` when anything was recorded. */
  throwIfAny(format: (problems: string[]) => string): void {
    if (this.list.length > 0) throw new Error(format(this.list));
  }
}

/** `parent.key`, or `key` at the top level. */
export function joinPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

// Words that make a key's value secret when they end one of the path's segments: "token",
// "authToken", "routingKey", "SENTRY_DSN", "ALERT_WEBHOOK_SECRET", and every header value.
// "sid" is Twilio's "accountSid", the user half of its basic-auth credential.
const SECRET_WORDS = new Set([
  'token',
  'sid',
  'tokens',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'key',
  'keys',
  'apikey',
  'dsn',
  'credential',
  'credentials',
  'authorization',
  'cookie',
  'cookies',
  'headers',
]);
// Values at these keys may be URLs with credentials (a Redis connection string, a DSN).
const URL_WORDS = new Set(['url', 'uri', 'urls', 'dsn', 'connection']);

/** The last word of each segment of a path (`alerting.channels.sms.authToken` → ..., `token`). */
function segmentWords(path: string): string[][] {
  return path
    .replace(/ \(environment\)$/, '')
    .split('.')
    .map((segment) =>
      segment
        .replace(/\[[^\]]*\]|\(\)/g, '')
        .split(/[\s_-]+|(?<=[a-z0-9])(?=[A-Z])/)
        .filter(Boolean)
        .map((word) => word.toLowerCase()),
    );
}

/**
 * Whether the value at `path` is secret by the name of its key: a token, password, secret, key,
 * DSN, `authToken`, `routingKey`, `accountSid`, or anything under `headers`.
 */
export function isSecretPath(path: string): boolean {
  return segmentWords(path).some((segment) => SECRET_WORDS.has(segment[segment.length - 1] ?? ''));
}

/** Whether a URL at `path` is a webhook URL, whose path is its secret (Slack, Discord). */
export function isWebhookPath(path: string): boolean {
  return segmentWords(path).some((segment) => segment.includes('webhook'));
}

/**
 * `text` with the userinfo of a URL and its query and fragment replaced by `***`; with
 * `hidePath`, its path too (the secret part of Slack and Discord webhook URLs). Works on
 * strings that do not parse too, since those are the ones that end up in error messages.
 */
export function maskUrl(text: string, hidePath = false): string {
  const scheme = text.indexOf('//');
  const start = scheme === -1 ? 0 : scheme + 2;
  // The last "@" wins: an unencoded "@" or "/" inside a password must not leave part of it.
  const at = text.lastIndexOf('@');
  let masked = at >= start ? `${text.slice(0, start)}***${text.slice(at)}` : text;
  const query = masked.search(/[?#]/);
  if (query !== -1) masked = `${masked.slice(0, query + 1)}***`;
  if (hidePath) {
    const slash = masked.indexOf('/', start);
    if (slash !== -1 && slash < masked.length - 1) masked = `${masked.slice(0, slash + 1)}***`;
  }
  return masked;
}

/** What a secret value is, without any of it: `a string (not shown)`, `an object`, ... */
function kindOf(value: unknown): string {
  if (value === undefined || value === null || typeof value === 'boolean') return String(value);
  if (value === '') return 'an empty string';
  if (typeof value === 'string') return 'a string (not shown)';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number (not shown)';
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * A short, unambiguous rendering of a bad value for an error message. `path` says where the
 * value sits, and decides what may be shown: a value at a secret-looking key (token, password,
 * secret, key, dsn, authToken, routingKey, header values, ...) is described by its kind only; a
 * URL has its credentials, query and fragment masked (and its path, for webhook URLs); objects
 * and arrays apply the same rules to what they hold.
 */
export function describeValue(value: unknown, path = ''): string {
  return describeAt(value, path, new Set());
}

function describeAt(value: unknown, path: string, seen: Set<object>): string {
  const words = segmentWords(path);
  const last = words[words.length - 1] ?? [];
  const lastWord = last[last.length - 1] ?? '';
  const secret = isSecretPath(path);
  if (URL_WORDS.has(lastWord) && typeof value === 'string') {
    // A DSN carries its key in the userinfo; without a "://" it may be the bare key.
    if (secret && !value.includes('://')) return kindOf(value);
    return JSON.stringify(maskUrl(value, isWebhookPath(path)));
  }
  if (secret) return kindOf(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (value instanceof RegExp) return String(value);
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item, i) => describeAt(item, `${path}[${i}]`, seen)).join(', ')}]`;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === 'string' && name ? `an instance of ${name}` : 'an object';
    }
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined && typeof item !== 'function')
      .map(
        ([key, item]) => `${JSON.stringify(key)}:${describeAt(item, joinPath(path, key), seen)}`,
      );
    return `{${entries.join(',')}}`;
  } catch {
    // A getter that throws, a revoked proxy: the message must still be built.
    return 'an object';
  } finally {
    seen.delete(value);
  }
}
