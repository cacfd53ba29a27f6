import { ALERT_SEVERITIES } from './alert.types';
import type {
  AlertRoute,
  AlertTemplate,
  BuiltInChannelName,
  ResolvedAlertingOptions,
  ResolvedChannelOptions,
} from './alerting-options.interface';

type Env = Record<string, string | undefined>;

/** Records one invalid field: `path: expected <expected>, got <got>`. */
export type ProblemSink = (path: string, expected: string, got: unknown) => void;

const KEYS = {
  alerting: [
    'enabled',
    'channels',
    'routes',
    'repeatIntervalMs',
    'groupWaitMs',
    'queue',
    'maxActiveAlerts',
    'delivery',
    'admin',
    'templates',
    'clock',
  ],
  channels: [
    'log',
    'webhook',
    'slack',
    'discord',
    'email',
    'sms',
    'pagerduty',
    'alertmanager',
    'custom',
  ],
  common: ['enabled', 'timeoutMs', 'rateLimitPerMinute', 'template'],
  log: [],
  webhook: ['url', 'headers', 'secret', 'format'],
  slack: ['webhookUrl', 'channel', 'username'],
  discord: ['webhookUrl', 'username'],
  email: ['smtpUrl', 'from', 'to'],
  sms: ['accountSid', 'authToken', 'from', 'to', 'baseUrl'],
  pagerduty: ['routingKey', 'url', 'source'],
  alertmanager: ['url', 'generatorUrl'],
  route: [
    'match',
    'severity',
    'channels',
    'continue',
    'groupBy',
    'groupWaitMs',
    'repeatIntervalMs',
    'escalateAfterMs',
    'escalateTo',
  ],
  delivery: [
    'timeoutMs',
    'maxRetries',
    'backoffMs',
    'maxBackoffMs',
    'breakerThreshold',
    'breakerCooldownMs',
    'shutdownTimeoutMs',
  ],
  admin: ['token', 'guard', 'path'],
} as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for an absolute `http:` or `https:` URL. */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const env_ = (env: Env, name: string): string | undefined => env[name] || undefined;
const list = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Resolves `alerting` options with their environment variables (ALERT_WEBHOOK_URL,
 * SLACK_WEBHOOK_URL, ...). Every invalid field goes to `problem`, named by its path.
 */
export function resolveAlertingOptions(
  raw: unknown,
  env: Env,
  problem: ProblemSink,
): ResolvedAlertingOptions {
  const options: Record<string, unknown> = isObject(raw) ? raw : {};
  if (raw !== undefined && !isObject(raw)) problem('alerting', 'an object', raw);
  const unknownKeys = (value: Record<string, unknown>, path: string, known: readonly string[]) => {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) problem(`${path}.${key}`, `one of ${known.join(', ')}`, key);
    }
  };
  unknownKeys(options, 'alerting', KEYS.alerting);

  const bool = (value: unknown, path: string): boolean | undefined => {
    if (value === undefined || typeof value === 'boolean') return value;
    problem(path, 'a boolean', value);
    return undefined;
  };
  const int = (value: unknown, path: string, min: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
    problem(path, min === 0 ? 'an integer >= 0' : `an integer >= ${min}`, value);
    return undefined;
  };
  const str = (value: unknown, path: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.length > 0) return value;
    problem(path, 'a non-empty string', value);
    return undefined;
  };
  const url = (value: unknown, path: string, envName?: string): string | undefined => {
    const fromEnv = value === undefined && envName ? env_(env, envName) : undefined;
    const candidate = value ?? fromEnv;
    if (candidate === undefined) return undefined;
    if (isHttpUrl(candidate)) return candidate;
    problem(fromEnv ? `${envName} (environment)` : path, 'an http(s) URL', candidate);
    return undefined;
  };
  const recipients = (value: unknown, path: string, envName: string): string[] | undefined => {
    if (value === undefined) return list(env_(env, envName));
    const items = typeof value === 'string' ? [value] : value;
    if (
      Array.isArray(items) &&
      items.length > 0 &&
      items.every((v) => typeof v === 'string' && v)
    ) {
      return items as string[];
    }
    problem(path, 'a non-empty string or array of strings', value);
    return undefined;
  };
  const template = (value: unknown, path: string): AlertTemplate | undefined => {
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      problem(path, 'an object { title?, text? }', value);
      return undefined;
    }
    unknownKeys(value, path, ['title', 'text']);
    for (const key of ['title', 'text'] as const) {
      const part = value[key];
      if (part !== undefined && typeof part !== 'string' && typeof part !== 'function') {
        problem(`${path}.${key}`, 'a string or a function', part);
      }
    }
    return value as AlertTemplate;
  };

  const enabledEnv = env_(env, 'ALERTING_ENABLED');
  let enabled = bool(options.enabled, 'alerting.enabled');
  if (enabled === undefined && enabledEnv !== undefined) {
    const v = enabledEnv.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) enabled = true;
    else if (['false', '0', 'no', 'off'].includes(v)) enabled = false;
    else problem('ALERTING_ENABLED (environment)', 'true or false', enabledEnv);
  }

  let channelsRaw: Record<string, unknown> = {};
  if (options.channels !== undefined) {
    if (isObject(options.channels)) channelsRaw = options.channels;
    else problem('alerting.channels', 'an object', options.channels);
  }
  unknownKeys(channelsRaw, 'alerting.channels', KEYS.channels);

  const channels: ResolvedChannelOptions[] = [];
  const section = (name: BuiltInChannelName): Record<string, unknown> | undefined => {
    const value = channelsRaw[name];
    if (value === undefined) return undefined;
    if (!isObject(value)) {
      problem(`alerting.channels.${name}`, 'an object', value);
      return undefined;
    }
    unknownKeys(value, `alerting.channels.${name}`, [
      ...KEYS.common,
      ...(KEYS as Record<string, readonly string[]>)[name],
    ]);
    return value;
  };
  const common = (name: BuiltInChannelName, value: Record<string, unknown>) => {
    const path = `alerting.channels.${name}`;
    return {
      name,
      enabled: bool(value.enabled, `${path}.enabled`) ?? true,
      timeoutMs: int(value.timeoutMs, `${path}.timeoutMs`, 1),
      rateLimitPerMinute: int(value.rateLimitPerMinute, `${path}.rateLimitPerMinute`, 1),
      template: template(value.template, `${path}.template`),
    };
  };
  const missing = (path: string) =>
    problem(path, 'a value (option or environment variable)', undefined);

  {
    const value = section('webhook') ?? {};
    const target = url(value.url, 'alerting.channels.webhook.url', 'ALERT_WEBHOOK_URL');
    let headers: Record<string, string> | undefined;
    if (value.headers !== undefined) {
      if (
        isObject(value.headers) &&
        Object.values(value.headers).every((h) => typeof h === 'string')
      ) {
        headers = value.headers as Record<string, string>;
      } else {
        problem(
          'alerting.channels.webhook.headers',
          'an object of header name to string',
          value.headers,
        );
      }
    }
    const secret =
      str(value.secret, 'alerting.channels.webhook.secret') ?? env_(env, 'ALERT_WEBHOOK_SECRET');
    if (value.format !== undefined && value.format !== 'json' && value.format !== 'slack') {
      problem('alerting.channels.webhook.format', '"json" or "slack"', value.format);
    }
    const format = value.format as 'json' | 'slack' | undefined;
    if (target)
      channels.push({ ...common('webhook', value), url: target, headers, secret, format });
    else if (channelsRaw.webhook !== undefined && value.url === undefined)
      missing('alerting.channels.webhook.url');
  }
  for (const name of ['slack', 'discord'] as const) {
    const value = section(name) ?? {};
    const envName = name === 'slack' ? 'SLACK_WEBHOOK_URL' : 'DISCORD_WEBHOOK_URL';
    const target = url(value.webhookUrl, `alerting.channels.${name}.webhookUrl`, envName);
    const extra = {
      username: str(value.username, `alerting.channels.${name}.username`),
      ...(name === 'slack'
        ? { channel: str(value.channel, 'alerting.channels.slack.channel') }
        : {}),
    };
    if (target) channels.push({ ...common(name, value), webhookUrl: target, ...extra });
    else if (channelsRaw[name] !== undefined && value.webhookUrl === undefined) {
      missing(`alerting.channels.${name}.webhookUrl`);
    }
  }
  {
    const explicit = channelsRaw.email !== undefined;
    const value = section('email') ?? {};
    let smtpUrl = str(value.smtpUrl, 'alerting.channels.email.smtpUrl') ?? env_(env, 'SMTP_URL');
    if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
      problem(
        value.smtpUrl ? 'alerting.channels.email.smtpUrl' : 'SMTP_URL (environment)',
        'an smtp:// or smtps:// URL',
        smtpUrl,
      );
      smtpUrl = undefined;
    }
    const to = recipients(value.to, 'alerting.channels.email.to', 'ALERT_EMAIL_TO');
    const from =
      str(value.from, 'alerting.channels.email.from') ??
      env_(env, 'ALERT_EMAIL_FROM') ??
      'alerts@localhost';
    if (smtpUrl && to) channels.push({ ...common('email', value), smtpUrl, to, from });
    else if (explicit) {
      if (!smtpUrl && value.smtpUrl === undefined) missing('alerting.channels.email.smtpUrl');
      if (!to && value.to === undefined) missing('alerting.channels.email.to');
    }
  }
  {
    const explicit = channelsRaw.sms !== undefined;
    const value = section('sms') ?? {};
    const accountSid =
      str(value.accountSid, 'alerting.channels.sms.accountSid') ?? env_(env, 'TWILIO_ACCOUNT_SID');
    const authToken =
      str(value.authToken, 'alerting.channels.sms.authToken') ?? env_(env, 'TWILIO_AUTH_TOKEN');
    const from = str(value.from, 'alerting.channels.sms.from') ?? env_(env, 'TWILIO_FROM');
    const to = recipients(value.to, 'alerting.channels.sms.to', 'ALERT_SMS_TO');
    const baseUrl = url(value.baseUrl, 'alerting.channels.sms.baseUrl');
    if (accountSid && authToken && from && to) {
      channels.push({ ...common('sms', value), accountSid, authToken, from, to, baseUrl });
    } else if (explicit) {
      const fields = { accountSid, authToken, from, to };
      for (const [field, got] of Object.entries(fields)) {
        if (!got && value[field] === undefined) missing(`alerting.channels.sms.${field}`);
      }
    }
  }
  {
    const value = section('pagerduty') ?? {};
    const routingKey =
      str(value.routingKey, 'alerting.channels.pagerduty.routingKey') ??
      env_(env, 'PAGERDUTY_ROUTING_KEY');
    const target = url(value.url, 'alerting.channels.pagerduty.url');
    const source = str(value.source, 'alerting.channels.pagerduty.source');
    if (routingKey)
      channels.push({ ...common('pagerduty', value), routingKey, url: target, source });
    else if (channelsRaw.pagerduty !== undefined && value.routingKey === undefined) {
      missing('alerting.channels.pagerduty.routingKey');
    }
  }
  {
    const value = section('alertmanager') ?? {};
    const target = url(value.url, 'alerting.channels.alertmanager.url', 'ALERTMANAGER_URL');
    const generatorUrl = url(value.generatorUrl, 'alerting.channels.alertmanager.generatorUrl');
    if (target) channels.push({ ...common('alertmanager', value), url: target, generatorUrl });
    else if (channelsRaw.alertmanager !== undefined && value.url === undefined) {
      missing('alerting.channels.alertmanager.url');
    }
  }

  const custom: ResolvedAlertingOptions['custom'] = [];
  if (channelsRaw.custom !== undefined) {
    if (!Array.isArray(channelsRaw.custom)) {
      problem('alerting.channels.custom', 'an array of AlertChannel', channelsRaw.custom);
    } else {
      channelsRaw.custom.forEach((channel, i) => {
        const path = `alerting.channels.custom[${i}]`;
        if (
          !isObject(channel) ||
          typeof channel.send !== 'function' ||
          typeof channel.name !== 'string' ||
          !channel.name
        ) {
          problem(path, 'an object with a non-empty "name" and a "send" method', channel);
        } else if (
          [...channels.map((c) => c.name), ...custom.map((c) => c.name), 'log'].includes(
            channel.name as string,
          )
        ) {
          problem(`${path}.name`, 'a name no other channel has', channel.name);
        } else {
          custom.push(channel as unknown as ResolvedAlertingOptions['custom'][number]);
        }
      });
    }
  }

  {
    const rawLog = channelsRaw.log;
    let logOn: boolean;
    let logValue: Record<string, unknown> = {};
    if (rawLog === undefined) logOn = channels.length === 0 && custom.length === 0;
    else if (typeof rawLog === 'boolean') logOn = rawLog;
    else {
      logValue = section('log') ?? {};
      logOn = true;
    }
    if (logOn) channels.push({ ...common('log', logValue) });
  }

  const names = [...channels.map((c) => c.name), ...custom.map((c) => c.name)];
  const channelList = (value: unknown, path: string, allowEmpty: boolean): string[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
      problem(path, `a${allowEmpty ? 'n' : ' non-empty'} array of channel names`, value);
      return undefined;
    }
    value.forEach((name, j) => {
      if (typeof name !== 'string' || !names.includes(name)) {
        problem(`${path}[${j}]`, `a configured channel (${names.join(', ') || 'none'})`, name);
      }
    });
    return value as string[];
  };

  const routes: AlertRoute[] = [];
  if (options.routes !== undefined) {
    if (!Array.isArray(options.routes))
      problem('alerting.routes', 'an array of routes', options.routes);
    else {
      options.routes.forEach((route, i) => {
        const path = `alerting.routes[${i}]`;
        if (!isObject(route))
          return problem(path, 'an object { channels, match?, severity?, ... }', route);
        unknownKeys(route, path, KEYS.route);
        const channelsOfRoute = channelList(route.channels, `${path}.channels`, false);
        if (route.channels === undefined) missing(`${path}.channels`);
        if (
          route.match !== undefined &&
          (!isObject(route.match) ||
            !Object.values(route.match).every((v) => typeof v === 'string'))
        ) {
          problem(`${path}.match`, 'an object of label name to string value', route.match);
        }
        if (route.severity !== undefined) {
          const severities = Array.isArray(route.severity) ? route.severity : [route.severity];
          if (!severities.every((s) => ALERT_SEVERITIES.includes(s as never))) {
            problem(
              `${path}.severity`,
              `one or more of ${ALERT_SEVERITIES.join(', ')}`,
              route.severity,
            );
          }
        }
        if (
          route.groupBy !== undefined &&
          (!Array.isArray(route.groupBy) || !route.groupBy.every((v) => typeof v === 'string'))
        ) {
          problem(`${path}.groupBy`, 'an array of label names', route.groupBy);
        }
        bool(route.continue, `${path}.continue`);
        int(route.groupWaitMs, `${path}.groupWaitMs`, 0);
        int(route.repeatIntervalMs, `${path}.repeatIntervalMs`, 1);
        int(route.escalateAfterMs, `${path}.escalateAfterMs`, 1);
        const escalateTo = channelList(
          Array.isArray(route.escalateTo) ? route.escalateTo.flat() : route.escalateTo,
          `${path}.escalateTo`,
          true,
        );
        if (route.escalateAfterMs !== undefined && !escalateTo?.length)
          missing(`${path}.escalateTo`);
        if (channelsOfRoute) routes.push(route as unknown as AlertRoute);
      });
    }
  }

  let delivery: Record<string, unknown> = {};
  if (options.delivery !== undefined) {
    if (isObject(options.delivery)) delivery = options.delivery;
    else problem('alerting.delivery', 'an object', options.delivery);
  }
  unknownKeys(delivery, 'alerting.delivery', KEYS.delivery);
  let queue: Record<string, unknown> = {};
  if (options.queue !== undefined) {
    if (isObject(options.queue)) queue = options.queue;
    else problem('alerting.queue', 'an object { maxSize }', options.queue);
  }
  unknownKeys(queue, 'alerting.queue', ['maxSize']);

  let admin: Record<string, unknown> = {};
  if (options.admin !== undefined) {
    if (isObject(options.admin)) admin = options.admin;
    else problem('alerting.admin', 'an object { token?, guard?, path? }', options.admin);
  }
  unknownKeys(admin, 'alerting.admin', KEYS.admin);
  if (admin.guard !== undefined && typeof admin.guard !== 'function') {
    problem('alerting.admin.guard', 'a guard class (CanActivate)', admin.guard);
  }
  const adminPath = str(admin.path, 'alerting.admin.path') ?? '/alerts';
  if (!adminPath.startsWith('/'))
    problem('alerting.admin.path', 'a path starting with "/"', adminPath);

  const templates: Record<string, AlertTemplate> = {};
  if (options.templates !== undefined) {
    if (!isObject(options.templates))
      problem('alerting.templates', 'an object of channel name to template', options.templates);
    else {
      for (const [name, value] of Object.entries(options.templates)) {
        const t = template(value, `alerting.templates.${name}`);
        if (t) templates[name] = t;
      }
    }
  }

  const clock = options.clock;
  if (
    clock !== undefined &&
    !(
      isObject(clock) &&
      ['now', 'setTimeout', 'clearTimeout'].every((m) => typeof clock[m] === 'function')
    )
  ) {
    problem('alerting.clock', 'an object with now(), setTimeout() and clearTimeout()', clock);
  }

  return {
    enabled: enabled ?? true,
    channels,
    custom,
    routes,
    repeatIntervalMs: int(options.repeatIntervalMs, 'alerting.repeatIntervalMs', 1) ?? 4 * 3600_000,
    groupWaitMs: int(options.groupWaitMs, 'alerting.groupWaitMs', 0) ?? 0,
    queueMaxSize: int(queue.maxSize, 'alerting.queue.maxSize', 1) ?? 1000,
    maxActiveAlerts: int(options.maxActiveAlerts, 'alerting.maxActiveAlerts', 1) ?? 10_000,
    delivery: {
      timeoutMs: int(delivery.timeoutMs, 'alerting.delivery.timeoutMs', 1) ?? 5000,
      maxRetries: int(delivery.maxRetries, 'alerting.delivery.maxRetries', 0) ?? 5,
      backoffMs: int(delivery.backoffMs, 'alerting.delivery.backoffMs', 0) ?? 500,
      maxBackoffMs: int(delivery.maxBackoffMs, 'alerting.delivery.maxBackoffMs', 0) ?? 30_000,
      breakerThreshold:
        int(delivery.breakerThreshold, 'alerting.delivery.breakerThreshold', 1) ?? 5,
      breakerCooldownMs:
        int(delivery.breakerCooldownMs, 'alerting.delivery.breakerCooldownMs', 0) ?? 30_000,
      shutdownTimeoutMs:
        int(delivery.shutdownTimeoutMs, 'alerting.delivery.shutdownTimeoutMs', 0) ?? 5000,
    },
    admin: {
      token: str(admin.token, 'alerting.admin.token') ?? env_(env, 'ALERT_ADMIN_TOKEN'),
      guard:
        typeof admin.guard === 'function'
          ? (admin.guard as ResolvedAlertingOptions['admin']['guard'])
          : undefined,
      path: adminPath,
    },
    templates,
    clock: clock as ResolvedAlertingOptions['clock'],
  };
}
