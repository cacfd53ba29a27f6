import type { IncomingMessage } from 'node:http';
import type { Pushgateway, Registry } from 'prom-client';
import {
  EnvReader,
  isHttpUrl,
  isPlainObject,
  OptionReader,
  optionKeys,
  readHttpUrl,
  readString,
  TIMER,
  type Env,
} from '../config/option-reader';
import { describeValue, Problems } from '../config/problems';
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

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DEFAULTS = { deleteOnSuccess: false, pushOnExit: false, timeoutMs: 5000 } as const;

// Tied to the interface by the type checker: a new option that is not listed here fails to compile.
const KNOWN_KEYS = optionKeys({
  url: true,
  jobName: true,
  groupings: true,
  deleteOnSuccess: true,
  pushOnExit: true,
  timeoutMs: true,
  headers: true,
} satisfies Record<keyof PushgatewayOptions, true>);

/** `decodeURIComponent`, or `text` itself when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// prom-client drops the query and fragment of the gateway URL, so they are refused.
const WITHOUT_QUERY = {
  test: (value: string) => !/[?#]/.test(value),
  expected: 'an http(s) URL without a query or fragment (prom-client drops them)',
};

function readUrl(options: OptionReader, vars: EnvReader): string | undefined {
  const { problems } = options;
  const check = (value: unknown, path: string): string | undefined =>
    isHttpUrl(value)
      ? readString(value, path, problems, WITHOUT_QUERY)
      : readHttpUrl(value, path, problems);
  if (options.has('url')) return check(options.get('url'), options.at('url'));
  const fromEnv = vars.string('PUSHGATEWAY_URL');
  if (fromEnv !== undefined) return check(fromEnv, EnvReader.path('PUSHGATEWAY_URL'));
  problems.add(options.at('url'), 'an http(s) URL (or set PUSHGATEWAY_URL)', undefined);
  return undefined;
}

function readHeaders(options: OptionReader): Record<string, string> {
  const value = options.get('headers');
  const { problems } = options;
  if (value === undefined) return {};
  // Header values are often credentials: messages name their kind, never the value.
  if (!isPlainObject(value)) {
    problems.add(options.at('headers'), 'an object of header names to strings', value);
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    const path = `${options.at('headers')}.${name}`;
    if (!HEADER_NAME.test(name)) {
      problems.addName(path, 'an HTTP header name (an RFC 9110 token)', name);
    } else if (typeof headerValue !== 'string') {
      problems.add(path, 'a string', headerValue);
    } else if (/[\r\n\0]/.test(headerValue)) {
      problems.add(path, 'a string without line breaks or NUL', headerValue);
    } else {
      headers[name] = headerValue;
    }
  }
  return headers;
}

function readJobName(options: OptionReader): string | undefined {
  const value = options.get('jobName');
  if (typeof value !== 'string' || value.trim() === '') {
    options.problems.add(options.at('jobName'), 'a non-empty string', value);
    return undefined;
  }
  return options.string('jobName', {
    test: (s) => !s.includes('/'),
    expected: 'a job name without "/"',
  });
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
  const options = OptionReader.of(raw, 'pushgateway', KNOWN_KEYS, problems);
  const url = readUrl(options, new EnvReader(env, problems));
  const resolved = {
    url,
    jobName: readJobName(options),
    groupings: options.labels('groupings', { job: 'the job label is "pushgateway.jobName"' }) ?? {},
    headers: readHeaders(options),
    deleteOnSuccess: options.boolean('deleteOnSuccess') ?? DEFAULTS.deleteOnSuccess,
    pushOnExit: options.boolean('pushOnExit') ?? DEFAULTS.pushOnExit,
    timeoutMs: options.integer('timeoutMs', TIMER) ?? DEFAULTS.timeoutMs,
  };
  const { url: target, jobName: job } = resolved;
  if (problems.count > 0 || target === undefined || job === undefined) {
    return { options: undefined, problems: problems.list };
  }
  return { options: { ...resolved, url: target, jobName: job }, problems: [] };
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
 * prom-client's `Pushgateway`, loaded at the first push: this file also holds the option
 * resolver, which the "load first" entries (`nestjs-observability/instrument`, `/tracing`)
 * load, and they must load no package before the ones they instrument.
 */
function promClientPushgateway(): typeof Pushgateway {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('prom-client') as typeof import('prom-client')).Pushgateway;
}

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
    const client = new (promClientPushgateway())(
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
    const message = typeof raw === 'string' ? raw : describeValue(error);
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
