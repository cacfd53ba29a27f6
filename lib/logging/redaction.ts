/** The value that replaces every secret in logs and Sentry events. */
export const REDACTED = '[Redacted]';

/**
 * Key fragments that mark a field as secret wherever they appear in its name, compared
 * case-insensitively after removing `-` and `_`: `Authorization`, `x-api-key`,
 * `refresh_token`, `cardNumber`, `set-cookie`, `db_pwd`, `id_jwt`, ...
 */
export const DEFAULT_SENSITIVE_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'apikey',
  'cardnumber',
  'creditcard',
  'cvv',
  'cvc',
  'privatekey',
  'jwt',
];

/**
 * Key names that mark a field as secret only as the whole name, compared the same way (`PIN`,
 * `Auth`, `SSN`). As fragments they would hide `spinner`, `author` or `classname`.
 */
export const DEFAULT_SENSITIVE_NAMES: readonly string[] = ['auth', 'pin', 'ssn'];

/**
 * Query parameter names that carry secrets in URLs (API keys, signed-URL signatures, OAuth
 * codes, sessions), matched as whole names like {@link DEFAULT_SENSITIVE_NAMES} but in query
 * strings only: as fields of log objects, `code` and `key` are mostly error codes and cache
 * keys.
 */
export const DEFAULT_SENSITIVE_PARAMS: readonly string[] = [
  'key',
  'sig',
  'signature',
  'x-amz-signature',
  'x-goog-signature',
  'code',
  'session',
  'sessionid',
];

const MAX_DEPTH = 10;

/** Key names are few and repeat on every line: their verdicts are cached, up to this many. */
const MAX_CACHED_KEYS = 2000;

const normalise = (key: string): string => key.toLowerCase().replace(/[-_\s]/g, '');

/**
 * Objects whose own fields are walked: plain records, including objects whose prototype is
 * not a class (Node's header objects, pino's serialized `req`/`res`). Class instances are left
 * alone: they may be sockets, streams or requests with huge graphs behind them.
 */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  // By name, not identity: objects may come from another realm (Node's core, a VM, Jest).
  const ctor = (value as { constructor?: unknown }).constructor;
  return typeof ctor !== 'function' || ctor.name === 'Object';
}

/**
 * Removes secrets by key name from any value, at any depth, without mutating it: objects
 * and arrays that hold a secret are copied, everything else is returned as is. Logs and
 * Sentry events share one instance, so both follow the same rules.
 */
export class Redactor {
  private readonly fragments: string[];
  private readonly names: ReadonlySet<string> = new Set(DEFAULT_SENSITIVE_NAMES.map(normalise));
  private readonly params: ReadonlySet<string> = new Set(DEFAULT_SENSITIVE_PARAMS.map(normalise));
  private readonly verdicts = new Map<string, boolean>();

  /**
   * @param extraKeys key fragments added to {@link DEFAULT_SENSITIVE_KEYS} (the top-level
   * `redact` option).
   */
  constructor(extraKeys: readonly string[] = []) {
    this.fragments = [...new Set([...DEFAULT_SENSITIVE_KEYS, ...extraKeys].map(normalise))];
  }

  /** Whether a field named `key` holds a secret. */
  isSensitive(key: string): boolean {
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      const name = normalise(key);
      verdict = this.names.has(name) || this.fragments.some((fragment) => name.includes(fragment));
      if (this.verdicts.size < MAX_CACHED_KEYS) this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** Whether a query parameter named `name` holds a secret (`?key=`, `?sig=`, `?token=`). */
  isSensitiveParam(name: string): boolean {
    return this.params.has(normalise(name)) || this.isSensitive(name);
  }

  /**
   * `value` with every secret field replaced by `[Redacted]`. An object or array holding a
   * secret is copied (as a plain object); the original is never modified.
   */
  scrub<T>(value: T): T {
    return this.walk(value, 0, new WeakSet()) as T;
  }

  /** `url` with the values of secret query parameters replaced (`?token=[Redacted]`). */
  scrubUrl(url: string): string {
    const at = url.indexOf('?');
    if (at < 0) return url;
    return url.slice(0, at + 1) + this.scrubQuery(url.slice(at + 1));
  }

  /** A query string (without `?`) with the values of secret parameters replaced. */
  scrubQuery(query: string): string {
    return query
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const key = eq < 0 ? pair : pair.slice(0, eq);
        let name = key;
        try {
          name = decodeURIComponent(key.replace(/\+/g, ' '));
        } catch {
          // keep the raw key
        }
        return eq >= 0 && this.isSensitiveParam(name)
          ? `${key}=${encodeURIComponent(REDACTED)}`
          : pair;
      })
      .join('&');
  }

  /**
   * Query parameters given as a record or as `[name, value]` pairs (the structured forms of a
   * Sentry event's `query_string`), copied with the values of secret parameters replaced.
   */
  scrubParams<T>(params: T): T {
    if (Array.isArray(params)) {
      return params.map((pair: unknown) =>
        Array.isArray(pair) && typeof pair[0] === 'string' && this.isSensitiveParam(pair[0])
          ? [pair[0], REDACTED]
          : pair,
      ) as T;
    }
    if (!isRecord(params)) return params;
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(params)) {
      copy[name] = this.isSensitiveParam(name) ? REDACTED : this.scrub(value);
    }
    return copy as T;
  }

  private walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
    if (seen.has(value)) return value;
    if (Array.isArray(value)) {
      seen.add(value);
      let copy: unknown[] | undefined;
      value.forEach((item, i) => {
        const next = this.walk(item, depth + 1, seen);
        if (next !== item) (copy ??= [...value])[i] = next;
      });
      return copy ?? value;
    }
    if (!isRecord(value)) return value;
    seen.add(value);
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = value[key];
      const next =
        this.isSensitive(key) && item !== undefined && item !== null
          ? REDACTED
          : this.walk(item, depth + 1, seen);
      if (next !== item) (copy ??= { ...value })[key] = next;
    }
    return copy ?? value;
  }
}
