import type { IncomingMessage } from 'node:http';
import { Pushgateway, type Registry } from 'prom-client';
import { describe, isPlainObject, Problems } from '../config/problems';
import { Messages } from '../observability.messages';

/**
 * Where and as what a short-lived job (a batch job, a cron script) pushes its metrics. The
 * Pushgateway keeps the last push of each group (the job name plus `groupings`) until it is
 * replaced or deleted; Prometheus scrapes it from there with `honor_labels: true`.
 */
export interface PushgatewayOptions {
  /**
   * Base URL of the Pushgateway, e.g. `http://pushgateway:9091`. A path is kept as a prefix
   * (`http://proxy/pushgateway` pushes to `/pushgateway/metrics/...`). Basic-auth credentials
   * may sit in the userinfo (`https://user:password@host`); they are never printed.
   * Falls back to the `PUSHGATEWAY_URL` environment variable when not given.
   */
  url: string;
  /**
   * The `job` label of every pushed series and the first part of the group key. It must not
   * contain "/", which prom-client cannot encode in the job segment.
   */
  jobName: string;
  /**
   * Further labels of the group key, e.g. `{ instance: 'batch-1' }`. Each push replaces (or adds
   * to) only its own group, so give concurrent runs that must not overwrite each other distinct
   * groupings. Values with "/" and empty values are sent base64-encoded (`label@base64`).
   * @default {}
   */
  groupings?: Record<string, string>;
  /**
   * Whether the code running the job deletes its group once the job has succeeded, so only
   * failed runs stay on the Pushgateway (which never expires a group by itself). The client only
   * carries this flag; it deletes when `delete()` is called.
   * @default false
   */
  deleteOnSuccess?: boolean;
  /**
   * Push once more when the monitoring instance closes (`monitoring.close()`, or the Nest
   * application's shutdown): the final values of a batch job. With `deleteOnSuccess`, a run that
   * ends with `process.exitCode` 0 deletes its group instead, and a failed run pushes.
   * @default false
   */
  pushOnExit?: boolean;
  /**
   * How long, in milliseconds, a request may wait on the Pushgateway (connecting, or between
   * two packets of its answer) before it fails.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Extra HTTP headers of every request, e.g. `{ Authorization: 'Bearer ...' }`. Their values
   * are never printed. `Content-Encoding: gzip` compresses pushed bodies.
   * @default {}
   */
  headers?: Record<string, string>;
}

/** `PushgatewayOptions` once validated, with every default applied. */
export type ResolvedPushgatewayOptions = Required<PushgatewayOptions>;

type Env = Record<string, string | undefined>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_TIMEOUT_MS = 2_147_483_647;
const DEFAULTS = { deleteOnSuccess: false, pushOnExit: false, timeoutMs: 5000 } as const;

// Tied to the interface by the type checker: a new option that is not listed here fails to compile.
const KNOWN_KEYS = Object.keys({
  url: true,
  jobName: true,
  groupings: true,
  deleteOnSuccess: true,
  pushOnExit: true,
  timeoutMs: true,
  headers: true,
} satisfies Record<keyof PushgatewayOptions, true>);

/**
 * `text` with the userinfo of a URL and its query and fragment replaced by `***`. Works on
 * strings that do not parse too, since those are the ones that end up in error messages.
 */
function maskUrl(text: string): string {
  const scheme = text.indexOf('//');
  const start = scheme === -1 ? 0 : scheme + 2;
  // The last "@" wins: an unencoded "@" or "/" inside a password must not leave part of it.
  const at = text.lastIndexOf('@');
  let masked = at >= start ? `${text.slice(0, start)}***${text.slice(at)}` : text;
  const query = masked.search(/[?#]/);
  if (query !== -1) masked = `${masked.slice(0, query + 1)}***`;
  return masked;
}

/** A value's kind, for messages about fields whose values may be secret. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `decodeURIComponent`, or `text` itself when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function checkUrl(value: string, path: string, problems: Problems): string | undefined {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || !parsed.hostname) {
    problems.add(path, 'an http(s) URL', maskUrl(value));
    return undefined;
  }
  if (parsed.search || parsed.hash || /[?#]/.test(value)) {
    problems.add(
      path,
      'an http(s) URL without a query or fragment (prom-client drops them)',
      maskUrl(value),
    );
    return undefined;
  }
  return value;
}

function checkGroupings(value: unknown, problems: Problems): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    problems.add('pushgateway.groupings', 'an object of label names to string values', value);
    return {};
  }
  const groupings: Record<string, string> = {};
  for (const [name, labelValue] of Object.entries(value)) {
    const path = `pushgateway.groupings.${name}`;
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      problems.add(
        `pushgateway.groupings`,
        'label names matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__"',
        name,
      );
    } else if (name === 'job') {
      problems.add(path, 'no "job" grouping (the job label is "pushgateway.jobName")', labelValue);
    } else if (typeof labelValue !== 'string') {
      problems.add(path, 'a string', labelValue);
    } else {
      groupings[name] = labelValue;
    }
  }
  return groupings;
}

function checkHeaders(value: unknown, problems: Problems): Record<string, string> {
  if (value === undefined) return {};
  // Header values are often credentials: messages name their kind, never the value.
  if (!isPlainObject(value)) {
    problems.list.push(
      `pushgateway.headers: expected an object of header names to strings, got ${kindOf(value)}`,
    );
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) {
      problems.add('pushgateway.headers', 'HTTP header names (RFC 9110 tokens)', name);
    } else if (typeof headerValue !== 'string') {
      problems.list.push(
        `pushgateway.headers.${name}: expected a string, got ${kindOf(headerValue)}`,
      );
    } else if (/[\r\n\0]/.test(headerValue)) {
      problems.list.push(
        `pushgateway.headers.${name}: expected a string without line breaks or NUL, got one with them (value not shown)`,
      );
    } else {
      headers[name] = headerValue;
    }
  }
  return headers;
}

/**
 * Validates and completes Pushgateway options: `PUSHGATEWAY_URL` from `env` fills `url` when it
 * is not given. `options` is `undefined` when there is any problem; each problem names the
 * option (or environment variable) and never echoes a credential.
 *
 * @example
 * const { options, problems } = resolvePushgatewayOptions({ jobName: 'nightly-import' }, process.env);
 * if (!options) throw new Error(problems.join('\n'));
 * await new PushgatewayClient(registry, options).push();
 */
export function resolvePushgatewayOptions(
  raw: unknown,
  env: Env,
): { options: ResolvedPushgatewayOptions | undefined; problems: string[] } {
  const problems = new Problems();
  let options: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (isPlainObject(raw)) options = raw;
    else problems.add('pushgateway', 'an object', raw);
    problems.unknownKeys(options, 'pushgateway', KNOWN_KEYS);
  }

  let url: string | undefined;
  const envUrl = env.PUSHGATEWAY_URL?.trim();
  if (options.url !== undefined) {
    if (typeof options.url === 'string') url = checkUrl(options.url, 'pushgateway.url', problems);
    else problems.add('pushgateway.url', 'an http(s) URL', options.url);
  } else if (envUrl) {
    url = checkUrl(envUrl, 'PUSHGATEWAY_URL (environment)', problems);
  } else {
    problems.add('pushgateway.url', 'an http(s) URL (or set PUSHGATEWAY_URL)', undefined);
  }

  let jobName: string | undefined;
  if (typeof options.jobName !== 'string' || options.jobName.trim() === '') {
    problems.add('pushgateway.jobName', 'a non-empty string', options.jobName);
  } else if (options.jobName.includes('/')) {
    problems.add('pushgateway.jobName', 'a job name without "/"', options.jobName);
  } else {
    jobName = options.jobName;
  }

  const groupings = checkGroupings(options.groupings, problems);
  const headers = checkHeaders(options.headers, problems);

  let deleteOnSuccess: boolean = DEFAULTS.deleteOnSuccess;
  if (options.deleteOnSuccess !== undefined) {
    if (typeof options.deleteOnSuccess === 'boolean') deleteOnSuccess = options.deleteOnSuccess;
    else problems.add('pushgateway.deleteOnSuccess', 'a boolean', options.deleteOnSuccess);
  }

  let pushOnExit: boolean = DEFAULTS.pushOnExit;
  if (options.pushOnExit !== undefined) {
    if (typeof options.pushOnExit === 'boolean') pushOnExit = options.pushOnExit;
    else problems.add('pushgateway.pushOnExit', 'a boolean', options.pushOnExit);
  }

  let timeoutMs: number = DEFAULTS.timeoutMs;
  if (options.timeoutMs !== undefined) {
    const t = options.timeoutMs;
    if (typeof t === 'number' && Number.isInteger(t) && t > 0 && t <= MAX_TIMEOUT_MS) {
      timeoutMs = t;
    } else {
      problems.add('pushgateway.timeoutMs', `a positive integer <= ${MAX_TIMEOUT_MS}`, t);
    }
  }

  if (problems.list.length > 0 || url === undefined || jobName === undefined) {
    return { options: undefined, problems: problems.list };
  }
  return {
    options: { url, jobName, groupings, deleteOnSuccess, pushOnExit, timeoutMs, headers },
    problems: [],
  };
}

/**
 * The problems of `raw` as Pushgateway options, in the style
 * `pushgateway.url: expected an http(s) URL, got "ftp://***@host"`; empty when they are valid.
 * Environment variables are not read: `url` is required here.
 */
export function validatePushgatewayOptions(raw: unknown): string[] {
  return resolvePushgatewayOptions(raw, {}).problems;
}

type Operation = 'push' | 'pushAdd' | 'delete';

const ACTIONS: Record<Operation, string> = {
  push: 'Pushing (PUT)',
  pushAdd: 'Adding (POST)',
  delete: 'Deleting (DELETE)',
};

/**
 * Pushes the metrics of one prom-client `Registry` to a Prometheus Pushgateway, for jobs that
 * end before Prometheus could scrape them. It wraps prom-client's `Pushgateway`, and turns
 * every failure (network error, timeout, non-2xx answer) into a rejection whose message names
 * the Pushgateway and the group, with credentials masked.
 *
 * @example
 * const registry = new Registry();
 * const processed = new Counter({ name: 'import_rows_total', help: 'Rows imported.', registers: [registry] });
 * const pushgateway = new PushgatewayClient(registry, {
 *   url: 'http://pushgateway:9091',
 *   jobName: 'nightly-import',
 *   groupings: { instance: 'batch-1' },
 * });
 * processed.inc(1200);
 * await pushgateway.push();
 */
export class PushgatewayClient {
  /** The options in effect, defaults applied. */
  readonly options: ResolvedPushgatewayOptions;

  private readonly gateway: string;
  private readonly group: string;
  private readonly groupings: Record<string, string>;
  private readonly secrets: string[];

  /** Throws, naming every bad field, when `options` are invalid. */
  constructor(
    private readonly registry: Registry,
    options: PushgatewayOptions,
  ) {
    const { options: resolved, problems } = resolvePushgatewayOptions(options, {});
    if (!resolved) throw new Error(Messages.invalidPushgatewayOptions(problems));
    this.options = resolved;

    const url = new URL(resolved.url);
    this.gateway = `${url.protocol}//${url.username || url.password ? '***@' : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    const labels = [`job=${JSON.stringify(resolved.jobName)}`].concat(
      Object.entries(resolved.groupings).map(([name, value]) => `${name}=${JSON.stringify(value)}`),
    );
    this.group = `group {${labels.join(', ')}}`;

    // prom-client URL-encodes each segment, but the Pushgateway decodes the path before it splits
    // it, so a "/" in a value would split it: such values (and empty ones, which would leave an
    // empty segment) go base64url-encoded under "<label>@base64", as the Pushgateway documents.
    this.groupings = {};
    for (const [name, value] of Object.entries(resolved.groupings)) {
      if (value === '') this.groupings[`${name}@base64`] = '=';
      else if (value.includes('/')) {
        this.groupings[`${name}@base64`] = Buffer.from(value).toString('base64url');
      } else this.groupings[name] = value;
    }

    // Whole header values, and the long words of each ("Bearer <token>" echoes just the token).
    const headerValues = Object.values(resolved.headers);
    this.secrets = [
      ...headerValues,
      ...headerValues.flatMap((value) => value.split(/\s+/).filter((word) => word.length >= 8)),
      url.username,
      url.password,
      decoded(url.username),
      decoded(url.password),
    ]
      // Shorter strings would garble the message (a user "u" in every word) and guard nothing.
      .filter((secret) => secret.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** Replaces the group's metrics on the Pushgateway with the registry's (HTTP PUT). */
  push(): Promise<void> {
    return this.send('push');
  }

  /**
   * Replaces only the metrics of the same names in the group and keeps the others (HTTP POST),
   * for several steps of one job that push separately.
   */
  pushAdd(): Promise<void> {
    return this.send('pushAdd');
  }

  /** Deletes the group, with all its metrics, from the Pushgateway (HTTP DELETE). */
  delete(): Promise<void> {
    return this.send('delete');
  }

  private async send(operation: Operation): Promise<void> {
    // A new prom-client client per call: it deletes "Content-Encoding" from the headers object
    // it was given on every DELETE, which would silently turn gzip off for later pushes.
    const headers: Record<string, string> = { ...this.options.headers };
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = this.registry.contentType;
    }
    const client = new Pushgateway(
      this.options.url,
      { timeout: this.options.timeoutMs, headers },
      this.registry,
    );
    const params = { jobName: this.options.jobName, groupings: this.groupings };
    let resp: unknown;
    let body: unknown;
    try {
      ({ resp, body } = await client[operation](params));
    } catch (error) {
      throw this.failure(operation, this.reasonOf(error));
    }
    // prom-client 15 rejects on 4xx/5xx itself but resolves on anything below 400.
    const status = (resp as IncomingMessage | undefined)?.statusCode;
    if (status === undefined || status < 200 || status > 299) {
      throw this.failure(operation, this.answered(status, typeof body === 'string' ? body : ''));
    }
  }

  private failure(operation: Operation, reason: string): Error {
    return new Error(
      Messages.pushgatewayFailed(ACTIONS[operation], this.gateway, this.group, reason),
    );
  }

  private reasonOf(error: unknown): string {
    // Duck-typed: errors of Node's own http module fail `instanceof Error` in other realms (Jest).
    const { message: raw, code } = (error ?? {}) as { message?: unknown; code?: unknown };
    const message = typeof raw === 'string' ? raw : describe(error);
    const answer = /^push failed with status (\d+), ([\s\S]*)$/.exec(message);
    if (answer) return this.answered(Number(answer[1]), answer[2]);
    if (message === 'Pushgateway request timed out') {
      return `no answer within ${this.options.timeoutMs} ms ("pushgateway.timeoutMs")`;
    }
    const suffix = typeof code === 'string' && !message.includes(code) ? ` (${code})` : '';
    return this.redact(`${message}${suffix}`);
  }

  private answered(status: number | undefined, body: string): string {
    const text = this.redact(this.redact(body).replace(/\s+/g, ' ').trim());
    const excerpt = text.length > 300 ? `${text.slice(0, 300)}...` : text;
    return `it answered HTTP ${status ?? 'with no status'}${excerpt ? ` (${JSON.stringify(excerpt)})` : ''}`;
  }

  /** Removes header values and URL credentials a server or proxy might echo back. */
  private redact(text: string): string {
    return this.secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}
