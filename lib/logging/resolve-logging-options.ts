import type { Problems } from '../config/problems';
import {
  EnvReader,
  isPlainObject,
  OptionReader,
  optionKeys,
  readMethods,
  readOneOf,
  readStrings,
  type Env,
} from '../config/option-reader';
import type {
  LoggingOptions,
  LogLevel,
  ObservedRequest,
  RequestUserContext,
  ResolvedLoggingOptions,
} from './logging-options.interface';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const LOGGING_KEYS = optionKeys({
  enabled: true,
  requestLogs: true,
  requestContext: true,
  level: true,
  levels: true,
  pretty: true,
  excludePaths: true,
  requestIdHeader: true,
  userContext: true,
  stream: true,
  sync: true,
} satisfies Record<keyof LoggingOptions, true>);

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const idOf = (value: unknown): string | number | undefined =>
  typeof value === 'string' || typeof value === 'number' ? value : undefined;

/** Reads `request.user.{id,sub,userId}` and `request.user.workspaceId` (Passport's `req.user`). @internal */
export function defaultUserContext(request: unknown): RequestUserContext | undefined {
  const user = (request as ObservedRequest | undefined)?.user as
    Record<string, unknown> | undefined;
  if (!user || typeof user !== 'object') return undefined;
  return {
    userId: idOf(user.id) ?? idOf(user.sub) ?? idOf(user.userId),
    workspaceId: idOf(user.workspaceId),
  };
}

function readLevels(logging: OptionReader): Record<string, LogLevel> {
  const levels: Record<string, LogLevel> = {};
  const value = logging.get('levels');
  if (value === undefined) return levels;
  if (!isPlainObject(value)) {
    logging.problems.add(logging.at('levels'), 'an object of logger context to level', value);
    return levels;
  }
  for (const [context, level] of Object.entries(value)) {
    const path = `${logging.at('levels')}.${context}`;
    const parsed = readOneOf(level, path, logging.problems, LEVELS, { caseInsensitive: true });
    if (parsed) levels[context] = parsed;
  }
  return levels;
}

/** Wrapped once here, so no caller (log lines, request lines, Sentry) can be broken by it. */
function safeUserContext(extract: typeof defaultUserContext): typeof defaultUserContext {
  return (request) => {
    try {
      return extract(request);
    } catch {
      return undefined;
    }
  };
}

/** Applies defaults and `LOG_LEVEL` to `logging` options, recording every bad field. */
export function resolveLoggingOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedLoggingOptions {
  const logging = OptionReader.of(raw, 'logging', LOGGING_KEYS, problems);
  const enabled = logging.boolean('enabled') ?? true;
  const requestLogs = logging.boolean('requestLogs') ?? true;
  const requestContext = logging.boolean('requestContext') ?? true;
  const level = logging.has('level')
    ? logging.oneOf('level', LEVELS, { caseInsensitive: true })
    : new EnvReader(env, problems).oneOf('LOG_LEVEL', LEVELS);
  const sync = logging.has('sync')
    ? logging.boolean('sync')
    : new EnvReader(env, problems).boolean('LOG_SYNC');
  const levels = readLevels(logging);
  const pretty = logging.boolean('pretty');
  const excludePaths = logging.strings('excludePaths', {
    test: (p) => p.startsWith('/'),
    expected: 'an array of paths starting with "/"',
  });
  const requestIdHeader = logging.string('requestIdHeader', {
    test: HEADER_NAME,
    expected: 'a valid HTTP header name',
  });
  const userContext = logging.function<typeof defaultUserContext>(
    'userContext',
    'a function (request) => { userId, workspaceId }',
  );
  const stream = readMethods<ResolvedLoggingOptions['stream']>(
    logging.get('stream'),
    logging.at('stream'),
    problems,
    ['write'],
    'an object with a write(line) method',
  );
  return {
    enabled,
    requestLogs: enabled && requestLogs,
    requestContext,
    level: level ?? 'info',
    levels,
    pretty,
    excludePaths: excludePaths?.map((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p)) ?? [
      '/health',
      '/ready',
      '/live',
      '/metrics',
    ],
    requestIdHeader: requestIdHeader?.toLowerCase() ?? 'x-request-id',
    userContext: userContext ? safeUserContext(userContext) : defaultUserContext,
    stream,
    sync: sync ?? false,
  };
}

/** Validates the top-level `redact` list of extra secret key names. */
export function resolveRedact(raw: unknown, problems: Problems): string[] {
  return (
    readStrings(raw, 'redact', problems, { expected: 'an array of non-empty key names' }) ?? []
  );
}
