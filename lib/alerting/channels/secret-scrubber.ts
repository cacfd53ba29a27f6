import { isSecretPath, isWebhookPath, joinPath } from '../../config/problems';
import { REDACTED } from '../../logging/redaction';

/** Longest excerpt of a receiver's answer kept in an error. */
const MAX_EXCERPT = 200;
/** Only this much of an answer is read for the excerpt. */
const MAX_SCANNED = 64 * 1024;
/**
 * Secrets shorter than this are not searched for in text (they would match everywhere); a
 * channel holding one gets no excerpt at all.
 */
const MIN_SEARCHED = 4;
/** Segments of a webhook URL's path at least this long are searched for on their own. */
const MIN_PATH_SEGMENT = 8;

/** `https://hooks.slack.com/***`: the origin only; paths and queries often carry tokens. */
export function maskUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname.length > 1 || parsed.search ? '/***' : '';
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return '***';
  }
}

/** `***6789`: the last 4 characters of a secret of 16 or more, `***` otherwise. */
export function maskSecret(secret: string | undefined): string | undefined {
  if (!secret) return secret;
  return secret.length >= 16 ? `***${secret.slice(-4)}` : '***';
}

// Secret-looking text, for what no known value covers (a receiver echoing another token).
const SECRET_PATTERNS: Array<[RegExp, string | ((match: string) => string)]> = [
  // URLs keep their scheme and host; paths, queries and userinfo often carry tokens.
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => maskUrl(url) ?? REDACTED],
  // Authorization values: `Bearer abc`, `Basic QUM6dG9r`.
  [/\b(Bearer|Basic|Digest|Token)(\s+)[^\s"',;]+/gi, `$1$2${REDACTED}`],
  // `token=...`, `"routing_key": "..."`, `password: ...`, `auth_token=...`.
  [
    /((?:token|secret|passw(?:or)?d|pwd|key|auth\w*|signature|sig|sid|credentials?|dsn|cookie)["']?\s*[:=]\s*["']?)(?!(?:Bearer|Basic|Digest|Token)\s)[^"'&\s,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // JSON Web Tokens and Slack tokens.
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, REDACTED],
  [/\bxox[a-z]-[\w-]+/gi, REDACTED],
  // Long opaque runs: API keys, account SIDs, routing keys, base64 credentials.
  [/[A-Za-z0-9+/_-]{32,}={0,2}/g, REDACTED],
];

/** `text` with secret-looking parts (URLs' paths, authorization values, tokens) redacted. */
export function redactSecretPatterns(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) {
    result = result.replace(pattern, replacement as never);
  }
  return result;
}

/**
 * The secret values of one channel, found by rule from its options, and the only way text a
 * receiver sent back reaches a log, an error or an API answer: {@link SecretScrubber.excerpt}.
 *
 * The rule: every string at a secret-looking key (`authToken`, `routingKey`, `secret`,
 * `accountSid`, every header value), the userinfo and query values of every URL, the path of
 * webhook URLs (Slack, Discord, generic webhooks carry their token there), and the forms these
 * travel in (URL-encoded, JSON-escaped, the token of an `Authorization` value, basic-auth base64).
 * Known values are replaced first, then secret-looking patterns.
 *
 * @internal
 */
export class SecretScrubber {
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;
  private hasShort = false;

  /** Adds the secrets of a channel's `options`, named as the option at `path` (for the rule). */
  addOptions(options: Record<string, unknown>, path: string): this {
    this.walk(options, path, 0);
    return this;
  }

  /** Adds one secret value and the forms it travels in. */
  add(value: string | undefined): this {
    if (!value) return this;
    if (value.length < MIN_SEARCHED) {
      this.hasShort = true;
      return this;
    }
    const forms = [
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
      JSON.stringify(value).slice(1, -1),
    ];
    for (const form of forms) this.values.add(form);
    // `Bearer abc`, `Basic QUM6dG9r`: the token alone travels too, and a basic-auth pair decoded.
    const scheme = /^(\w+)\s+(\S+)$/.exec(value.trim());
    if (scheme) {
      this.add(scheme[2]);
      if (scheme[1].toLowerCase() === 'basic') {
        const decoded = Buffer.from(scheme[2], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) this.addBasicAuth(decoded.slice(0, colon), decoded.slice(colon + 1));
      }
    }
    this.sorted = undefined;
    return this;
  }

  /** Adds a basic-auth pair: each half, `user:pass` and its base64. */
  addBasicAuth(user: string, password: string): this {
    const pair = `${user}:${password}`;
    return this.add(user).add(password).add(pair).add(Buffer.from(pair).toString('base64'));
  }

  /** Adds the secret parts of a URL: userinfo and query values, and the path of a webhook URL. */
  addUrl(url: string | undefined, webhook: boolean): this {
    if (!url) return this;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return this.add(url);
    }
    if (parsed.username || parsed.password) {
      this.addBasicAuth(decodeURIComponent(parsed.username), decodeURIComponent(parsed.password));
      this.add(parsed.username).add(parsed.password);
    }
    for (const [, value] of parsed.searchParams) this.add(value);
    if (parsed.search) this.add(parsed.search.slice(1));
    if (webhook && parsed.pathname.length > 1) {
      this.add(parsed.pathname);
      for (const segment of parsed.pathname.split('/')) {
        if (segment.length >= MIN_PATH_SEGMENT) this.add(segment).add(decodeURIComponent(segment));
      }
    }
    return this;
  }

  /** `text` with every known secret, then every secret-looking pattern, redacted. */
  scrub(text: string): string {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    let result = text;
    for (const secret of this.sorted) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return redactSecretPatterns(result);
  }

  /**
   * A receiver's answer, fit for an error message: scrubbed, on one line, at most 200
   * characters; empty when the channel holds a secret too short to search for.
   */
  excerpt(text: string): string {
    if (this.hasShort || !text) return '';
    const scrubbed = this.scrub(text.slice(0, MAX_SCANNED)).replace(/\s+/g, ' ').trim();
    return scrubbed.length > MAX_EXCERPT ? `${scrubbed.slice(0, MAX_EXCERPT - 1)}…` : scrubbed;
  }

  private walk(value: unknown, path: string, depth: number): void {
    if (depth > 5 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (isSecretPath(path)) this.add(value);
      if (/(?:url|uri)$/i.test(path)) this.addUrl(value, isWebhookPath(path));
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.walk(item, `${path}[${i}]`, depth + 1));
      return;
    }
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, item] of Object.entries(value)) {
        this.walk(item, joinPath(path, key), depth + 1);
      }
    }
  }
}
