import { isPlainObject, type Problems } from '../config/problems';
import type {
  LogLevel,
  RequestUserContext,
  ResolvedLoggingOptions,
} from './logging-options.interface';

type Env = Record<string, string | undefined>;

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const KNOWN = [
  'enabled',
  'requestLogs',
  'requestContext',
  'level',
  'levels',
  'pretty',
  'excludePaths',
  'requestIdHeader',
  'userContext',
  'stream',
] as const;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const idOf = (value: unknown): string | number | undefined =>
  typeof value === 'string' || typeof value === 'number' ? value : undefined;

/** Reads `request.user.{id,sub,userId}` and `request.user.workspaceId` (Passport's `req.user`). */
export function defaultUserContext(request: any): RequestUserContext | undefined {
  const user = request?.user;
  if (!user || typeof user !== 'object') return undefined;
  return {
    userId: idOf(user.id) ?? idOf(user.sub) ?? idOf(user.userId),
    workspaceId: idOf(user.workspaceId),
  };
}

function level(value: unknown, path: string, problems: Problems): LogLevel | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (LEVELS as readonly string[]).includes(value.toLowerCase())) {
    return value.toLowerCase() as LogLevel;
  }
  problems.add(path, `one of ${LEVELS.join(', ')}`, value);
  return undefined;
}

/** Applies defaults and `LOG_LEVEL` to `logging` options, recording every bad field. */
export function resolveLoggingOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedLoggingOptions {
  let options: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (isPlainObject(raw)) options = raw;
    else problems.add('logging', 'an object', raw);
    problems.unknownKeys(options, 'logging', KNOWN);
  }

  let enabled = true;
  if (options.enabled !== undefined) {
    if (typeof options.enabled === 'boolean') enabled = options.enabled;
    else problems.add('logging.enabled', 'a boolean', options.enabled);
  }

  const flag = (key: 'requestLogs' | 'requestContext'): boolean => {
    const value = options[key];
    if (value === undefined || typeof value === 'boolean') return value !== false;
    problems.add(`logging.${key}`, 'a boolean', value);
    return true;
  };
  const requestLogs = flag('requestLogs');
  const requestContext = flag('requestContext');

  const lvl =
    level(options.level, 'logging.level', problems) ??
    (env.LOG_LEVEL ? level(env.LOG_LEVEL, 'LOG_LEVEL (environment)', problems) : undefined) ??
    'info';

  const levels: Record<string, LogLevel> = {};
  if (options.levels !== undefined) {
    if (!isPlainObject(options.levels)) {
      problems.add('logging.levels', 'an object of logger context to level', options.levels);
    } else {
      for (const [context, value] of Object.entries(options.levels)) {
        const parsed = level(value, `logging.levels.${context}`, problems);
        if (parsed) levels[context] = parsed;
      }
    }
  }

  let pretty: boolean | undefined;
  if (options.pretty !== undefined) {
    if (typeof options.pretty === 'boolean') pretty = options.pretty;
    else problems.add('logging.pretty', 'a boolean', options.pretty);
  }

  let excludePaths = ['/health', '/ready', '/live', '/metrics'];
  if (options.excludePaths !== undefined) {
    const list = options.excludePaths;
    if (Array.isArray(list) && list.every((p) => typeof p === 'string' && p.startsWith('/'))) {
      excludePaths = list.map((p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p));
    } else {
      problems.add('logging.excludePaths', 'an array of paths starting with "/"', list);
    }
  }

  let requestIdHeader = 'x-request-id';
  if (options.requestIdHeader !== undefined) {
    const header = options.requestIdHeader;
    if (typeof header === 'string' && HEADER_NAME.test(header)) {
      requestIdHeader = header.toLowerCase();
    } else {
      problems.add('logging.requestIdHeader', 'a valid HTTP header name', header);
    }
  }

  let userContext = defaultUserContext;
  if (options.userContext !== undefined) {
    if (typeof options.userContext === 'function') {
      const extract = options.userContext as typeof defaultUserContext;
      // Wrapped once here, so no caller (log lines, request lines, Sentry) can be broken by it.
      userContext = (request) => {
        try {
          return extract(request);
        } catch {
          return undefined;
        }
      };
    } else {
      problems.add(
        'logging.userContext',
        'a function (request) => { userId, workspaceId }',
        options.userContext,
      );
    }
  }

  let stream: ResolvedLoggingOptions['stream'];
  if (options.stream !== undefined) {
    const candidate = options.stream as { write?: unknown } | null;
    if (candidate && typeof candidate.write === 'function') {
      stream = candidate as ResolvedLoggingOptions['stream'];
    } else {
      problems.add('logging.stream', 'an object with a write(line) method', options.stream);
    }
  }

  return {
    enabled,
    requestLogs: enabled && requestLogs,
    requestContext,
    level: lvl,
    levels,
    pretty,
    excludePaths,
    requestIdHeader,
    userContext,
    stream,
  };
}

/** Validates the top-level `redact` list of extra secret key names. */
export function resolveRedact(raw: unknown, problems: Problems): string[] {
  if (raw === undefined) return [];
  if (Array.isArray(raw) && raw.every((key) => typeof key === 'string' && key.length > 0)) {
    return [...raw];
  }
  problems.add('redact', 'an array of non-empty key names', raw);
  return [];
}
