import { maskUrl, type Problems } from '../config/problems';
import {
  EnvReader,
  isHttpUrl,
  isPlainObject,
  NON_NEGATIVE,
  OptionReader,
  optionKeys,
  POSITIVE,
  readMethods,
  TIMER,
  TIMER_OR_ZERO,
  type Env,
} from '../config/option-reader';
import { ALERT_SEVERITIES } from './alert.types';
import type {
  AdminGuardClass,
  AlertAdminOptions,
  AlertChannelCommonOptions,
  AlertChannelsOptions,
  AlertDeliveryOptions,
  AlertingOptions,
  AlertmanagerChannelOptions,
  AlertRoute,
  AlertTemplate,
  BuiltInChannelName,
  DiscordChannelOptions,
  EmailChannelOptions,
  PagerDutyChannelOptions,
  ResolvedAlertingOptions,
  ResolvedChannelOptions,
  SlackChannelOptions,
  SmsChannelOptions,
  WebhookChannelOptions,
} from './alerting-options.interface';

// Used by the admin API and the service to check URLs given at runtime.
export { isHttpUrl } from '../config/option-reader';

const ALERTING_KEYS = optionKeys({
  enabled: true,
  channels: true,
  routes: true,
  repeatIntervalMs: true,
  groupWaitMs: true,
  queue: true,
  maxActiveAlerts: true,
  activeAlertTtlMs: true,
  delivery: true,
  admin: true,
  templates: true,
  paymentFailureSeverity: true,
  clock: true,
} satisfies Record<keyof AlertingOptions, true>);

const CHANNELS_KEYS = optionKeys({
  log: true,
  webhook: true,
  slack: true,
  discord: true,
  email: true,
  sms: true,
  pagerduty: true,
  alertmanager: true,
  custom: true,
} satisfies Record<keyof AlertChannelsOptions, true>);

const COMMON_KEYS = optionKeys({
  enabled: true,
  timeoutMs: true,
  rateLimitPerMinute: true,
  template: true,
} satisfies Record<keyof AlertChannelCommonOptions, true>);

/** The keys a channel adds to the common ones. */
type Own<T> = Record<Exclude<keyof T, keyof AlertChannelCommonOptions>, true>;

const CHANNEL_KEYS: Record<Exclude<BuiltInChannelName, 'log'>, readonly string[]> = {
  webhook: optionKeys({
    url: true,
    headers: true,
    secret: true,
    format: true,
  } satisfies Own<WebhookChannelOptions>),
  slack: optionKeys({
    webhookUrl: true,
    channel: true,
    username: true,
  } satisfies Own<SlackChannelOptions>),
  discord: optionKeys({ webhookUrl: true, username: true } satisfies Own<DiscordChannelOptions>),
  email: optionKeys({ smtpUrl: true, from: true, to: true } satisfies Own<EmailChannelOptions>),
  sms: optionKeys({
    accountSid: true,
    authToken: true,
    from: true,
    to: true,
    baseUrl: true,
  } satisfies Own<SmsChannelOptions>),
  pagerduty: optionKeys({
    routingKey: true,
    url: true,
    source: true,
  } satisfies Own<PagerDutyChannelOptions>),
  alertmanager: optionKeys({
    url: true,
    generatorUrl: true,
  } satisfies Own<AlertmanagerChannelOptions>),
};

const ROUTE_KEYS = optionKeys({
  match: true,
  severity: true,
  channels: true,
  continue: true,
  groupBy: true,
  groupWaitMs: true,
  repeatIntervalMs: true,
  escalateAfterMs: true,
  escalateTo: true,
} satisfies Record<keyof AlertRoute, true>);

const DELIVERY_KEYS = optionKeys({
  timeoutMs: true,
  maxRetries: true,
  backoffMs: true,
  maxBackoffMs: true,
  breakerThreshold: true,
  breakerCooldownMs: true,
  shutdownTimeoutMs: true,
  concurrency: true,
} satisfies Record<keyof AlertDeliveryOptions, true>);

const ADMIN_KEYS = optionKeys({
  token: true,
  guard: true,
  path: true,
  rateLimitPerMinute: true,
  allowedOrigins: true,
  allowLoopbackHttp: true,
} satisfies Record<keyof AlertAdminOptions, true>);

const QUEUE_KEYS = optionKeys({
  maxSize: true,
} satisfies Record<keyof NonNullable<AlertingOptions['queue']>, true>);

const TEMPLATE_KEYS = optionKeys({
  title: true,
  text: true,
} satisfies Record<keyof AlertTemplate, true>);

const MISSING = 'a value (option or environment variable)';
const SMTP_URL = /^smtps?:\/\/[^/]/;

/**
 * Resolves `alerting` options with their environment variables (ALERT_WEBHOOK_URL,
 * SLACK_WEBHOOK_URL, ...). Every invalid field is recorded in `problems`, named by its path.
 */
export function resolveAlertingOptions(
  raw: unknown,
  env: Env,
  problems: Problems,
): ResolvedAlertingOptions {
  const alerting = OptionReader.of(raw, 'alerting', ALERTING_KEYS, problems);
  const vars = new EnvReader(env, problems);
  const enabled = alerting.has('enabled')
    ? alerting.boolean('enabled')
    : vars.boolean('ALERTING_ENABLED');
  const { channels, custom } = resolveChannels(alerting.object('channels', CHANNELS_KEYS), vars);
  const names = [...channels.map((c) => c.name), ...custom.map((c) => c.name)];
  const queue = alerting.object('queue', QUEUE_KEYS, 'an object { maxSize }');
  return {
    enabled: enabled ?? true,
    channels,
    custom,
    routes: resolveRoutes(alerting, names),
    repeatIntervalMs: alerting.integer('repeatIntervalMs', TIMER) ?? 4 * 3600_000,
    groupWaitMs: alerting.integer('groupWaitMs', TIMER_OR_ZERO) ?? 0,
    queueMaxSize: queue.integer('maxSize', POSITIVE) ?? 1000,
    maxActiveAlerts: alerting.integer('maxActiveAlerts', POSITIVE) ?? 10_000,
    activeAlertTtlMs: alerting.integer('activeAlertTtlMs', POSITIVE),
    delivery: resolveDelivery(alerting.object('delivery', DELIVERY_KEYS)),
    admin: resolveAdmin(
      alerting.object(
        'admin',
        ADMIN_KEYS,
        'an object { token?, guard?, path?, rateLimitPerMinute? }',
      ),
      vars,
    ),
    templates: resolveTemplates(alerting),
    paymentFailureSeverity:
      alerting.get('paymentFailureSeverity') === false
        ? false
        : (alerting.oneOf('paymentFailureSeverity', ALERT_SEVERITIES, {
            expected: `one of ${ALERT_SEVERITIES.map((s) => `"${s}"`).join(', ')} or false`,
          }) ?? 'critical'),
    clock: readMethods(
      alerting.get('clock'),
      alerting.at('clock'),
      problems,
      ['now', 'setTimeout', 'clearTimeout'],
      'an object with now(), setTimeout() and clearTimeout()',
    ),
  };
}

// ---- channels ---------------------------------------------------------------------------

/** The fields every built-in channel has. */
function common(channel: OptionReader, name: BuiltInChannelName): ResolvedChannelOptions {
  return {
    name,
    enabled: channel.boolean('enabled') ?? true,
    timeoutMs: channel.integer('timeoutMs', TIMER),
    rateLimitPerMinute: channel.integer('rateLimitPerMinute', POSITIVE),
    template: readTemplate(channel.get('template'), channel.at('template'), channel.problems),
  };
}

/** Records each required field a configured channel has neither as option nor as variable. */
function requireAll(channel: OptionReader, found: Record<string, unknown>): void {
  if (!channel.given) return;
  for (const [key, value] of Object.entries(found)) {
    if (!value && !channel.has(key)) channel.problems.add(channel.at(key), MISSING, undefined);
  }
}

/**
 * The http(s) URL at `key` (else in the variable `envName`), refused with `user:password@`:
 * fetch refuses credentials in URLs, so such a target would pass here and never deliver.
 * `hint` says where the credentials go instead.
 */
function targetUrl(
  channel: OptionReader,
  key: string,
  hint: string,
  env?: { vars: EnvReader; name: string },
): string | undefined {
  const fromOption = channel.has(key);
  const url = fromOption ? channel.url(key) : env?.vars.url(env.name);
  if (!url) return url;
  const { username, password } = new URL(url);
  if (!username && !password) return url;
  channel.problems.add(
    fromOption || !env ? channel.at(key) : EnvReader.path(env.name),
    `an http(s) URL without "user:password@" (fetch refuses credentials in URLs; ${hint})`,
    url,
  );
  return undefined;
}

/** `to`: one recipient or a list, else the comma-separated variable. */
function recipients(channel: OptionReader, vars: EnvReader, envName: string): string[] | undefined {
  if (!channel.has('to')) return vars.list(envName);
  const value = channel.get('to');
  const items = typeof value === 'string' ? [value] : value;
  if (Array.isArray(items) && items.length > 0 && items.every((v) => typeof v === 'string' && v)) {
    return items as string[];
  }
  channel.problems.add(channel.at('to'), 'a non-empty string or array of strings', value);
  return undefined;
}

function webhook(channel: OptionReader, vars: EnvReader): ResolvedChannelOptions | undefined {
  const base = common(channel, 'webhook');
  const url = targetUrl(
    channel,
    'url',
    'put them in "headers", e.g. { Authorization: "Basic …" }',
    {
      vars,
      name: 'ALERT_WEBHOOK_URL',
    },
  );
  let headers: Record<string, string> | undefined;
  const rawHeaders = channel.get('headers');
  if (rawHeaders !== undefined) {
    if (
      isPlainObject(rawHeaders) &&
      Object.values(rawHeaders).every((h) => typeof h === 'string')
    ) {
      headers = rawHeaders as Record<string, string>;
    } else {
      channel.problems.add(channel.at('headers'), 'an object of header name to string', rawHeaders);
    }
  }
  const secret = channel.string('secret') ?? vars.string('ALERT_WEBHOOK_SECRET');
  const format = channel.oneOf('format', ['json', 'slack'] as const);
  requireAll(channel, { url });
  return url ? { ...base, url, headers, secret, format } : undefined;
}

function chat(
  channel: OptionReader,
  vars: EnvReader,
  name: 'slack' | 'discord',
): ResolvedChannelOptions | undefined {
  const base = common(channel, name);
  const webhookUrl = targetUrl(channel, 'webhookUrl', 'use the webhook URL as given', {
    vars,
    name: name === 'slack' ? 'SLACK_WEBHOOK_URL' : 'DISCORD_WEBHOOK_URL',
  });
  const extra = {
    username: channel.string('username'),
    ...(name === 'slack' ? { channel: channel.string('channel') } : {}),
  };
  requireAll(channel, { webhookUrl });
  return webhookUrl ? { ...base, webhookUrl, ...extra } : undefined;
}

function email(channel: OptionReader, vars: EnvReader): ResolvedChannelOptions | undefined {
  const base = common(channel, 'email');
  const rule = { test: SMTP_URL, expected: 'an smtp:// or smtps:// URL' };
  const smtpUrl = channel.has('smtpUrl')
    ? channel.string('smtpUrl', rule)
    : vars.string('SMTP_URL', rule);
  const to = recipients(channel, vars, 'ALERT_EMAIL_TO');
  const from = channel.string('from') ?? vars.string('ALERT_EMAIL_FROM') ?? 'alerts@localhost';
  requireAll(channel, { smtpUrl, to });
  return smtpUrl && to ? { ...base, smtpUrl, to, from } : undefined;
}

function sms(channel: OptionReader, vars: EnvReader): ResolvedChannelOptions | undefined {
  const base = common(channel, 'sms');
  const accountSid = channel.string('accountSid') ?? vars.string('TWILIO_ACCOUNT_SID');
  const authToken = channel.string('authToken') ?? vars.string('TWILIO_AUTH_TOKEN');
  const from = channel.string('from') ?? vars.string('TWILIO_FROM');
  const to = recipients(channel, vars, 'ALERT_SMS_TO');
  const baseUrl = targetUrl(channel, 'baseUrl', 'Twilio\'s go in "accountSid" and "authToken"');
  requireAll(channel, { accountSid, authToken, from, to });
  return accountSid && authToken && from && to
    ? { ...base, accountSid, authToken, from, to, baseUrl }
    : undefined;
}

function pagerduty(channel: OptionReader, vars: EnvReader): ResolvedChannelOptions | undefined {
  const base = common(channel, 'pagerduty');
  const routingKey = channel.string('routingKey') ?? vars.string('PAGERDUTY_ROUTING_KEY');
  const url = targetUrl(channel, 'url', 'the routing key goes in "routingKey"');
  const source = channel.string('source');
  requireAll(channel, { routingKey });
  return routingKey ? { ...base, routingKey, url, source } : undefined;
}

function alertmanager(channel: OptionReader, vars: EnvReader): ResolvedChannelOptions | undefined {
  const base = common(channel, 'alertmanager');
  const noAuth = 'this channel sends no credentials';
  const url = targetUrl(channel, 'url', noAuth, { vars, name: 'ALERTMANAGER_URL' });
  // A link shown to whoever reads the alert: credentials in it would be published.
  const generatorUrl = targetUrl(channel, 'generatorUrl', 'it is a link shown with the alert');
  requireAll(channel, { url });
  return url ? { ...base, url, generatorUrl } : undefined;
}

function resolveCustomChannels(
  section: OptionReader,
  taken: readonly string[],
): ResolvedAlertingOptions['custom'] {
  const custom: ResolvedAlertingOptions['custom'] = [];
  const list = section.get('custom');
  if (list === undefined) return custom;
  if (!Array.isArray(list)) {
    section.problems.add(section.at('custom'), 'an array of AlertChannel', list);
    return custom;
  }
  list.forEach((channel, i) => {
    const path = `${section.at('custom')}[${i}]`;
    if (
      !isPlainObject(channel) ||
      typeof channel.send !== 'function' ||
      typeof channel.name !== 'string' ||
      !channel.name
    ) {
      section.problems.add(path, 'an object with a non-empty "name" and a "send" method', channel);
    } else if ([...taken, ...custom.map((c) => c.name), 'log'].includes(channel.name)) {
      section.problems.add(`${path}.name`, 'a name no other channel has', channel.name);
    } else {
      custom.push(channel as unknown as ResolvedAlertingOptions['custom'][number]);
    }
  });
  return custom;
}

/** `log: true | false | { ... }`; when not given, on only if no other channel is. */
function logChannel(section: OptionReader, othersConfigured: boolean): ResolvedChannelOptions[] {
  const value = section.get('log');
  const defaults = OptionReader.of(undefined, section.at('log'), COMMON_KEYS, section.problems);
  if (value === undefined) return othersConfigured ? [] : [common(defaults, 'log')];
  if (typeof value === 'boolean') return value ? [common(defaults, 'log')] : [];
  return [common(section.object('log', COMMON_KEYS, 'a boolean or an object'), 'log')];
}

function resolveChannels(
  section: OptionReader,
  vars: EnvReader,
): Pick<ResolvedAlertingOptions, 'channels' | 'custom'> {
  const channel = (name: Exclude<BuiltInChannelName, 'log'>): OptionReader =>
    section.object(name, [...COMMON_KEYS, ...CHANNEL_KEYS[name]]);
  const channels = [
    webhook(channel('webhook'), vars),
    chat(channel('slack'), vars, 'slack'),
    chat(channel('discord'), vars, 'discord'),
    email(channel('email'), vars),
    sms(channel('sms'), vars),
    pagerduty(channel('pagerduty'), vars),
    alertmanager(channel('alertmanager'), vars),
  ].filter((c): c is ResolvedChannelOptions => c !== undefined);
  const custom = resolveCustomChannels(
    section,
    channels.map((c) => c.name),
  );
  channels.push(...logChannel(section, channels.length > 0 || custom.length > 0));
  return { channels, custom };
}

// ---- routes -----------------------------------------------------------------------------

function channelList(
  value: unknown,
  path: string,
  names: readonly string[],
  allowEmpty: boolean,
  problems: Problems,
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    problems.add(path, `a${allowEmpty ? 'n' : ' non-empty'} array of channel names`, value);
    return undefined;
  }
  value.forEach((name, j) => {
    if (typeof name !== 'string' || !names.includes(name)) {
      problems.add(`${path}[${j}]`, `a configured channel (${names.join(', ') || 'none'})`, name);
    }
  });
  return value as string[];
}

function resolveRoute(route: OptionReader, names: readonly string[]): boolean {
  const { problems } = route;
  const channels = channelList(route.get('channels'), route.at('channels'), names, false, problems);
  if (!route.has('channels')) {
    problems.add(route.at('channels'), 'a non-empty array of channel names', undefined);
  }
  const match = route.get('match');
  if (
    match !== undefined &&
    (!isPlainObject(match) || !Object.values(match).every((v) => typeof v === 'string'))
  ) {
    problems.add(route.at('match'), 'an object of label name to string value', match);
  }
  const severity = route.get('severity');
  if (severity !== undefined) {
    const severities = Array.isArray(severity) ? severity : [severity];
    if (!severities.every((s) => ALERT_SEVERITIES.includes(s as never))) {
      problems.add(route.at('severity'), `one or more of ${ALERT_SEVERITIES.join(', ')}`, severity);
    }
  }
  route.strings('groupBy', { allowEmpty: true, expected: 'an array of label names' });
  route.boolean('continue');
  route.integer('groupWaitMs', TIMER_OR_ZERO);
  route.integer('repeatIntervalMs', TIMER);
  route.integer('escalateAfterMs', TIMER);
  const escalateTo = route.get('escalateTo');
  const targets = channelList(
    Array.isArray(escalateTo) ? escalateTo.flat() : escalateTo,
    route.at('escalateTo'),
    names,
    true,
    problems,
  );
  if (route.has('escalateAfterMs') && !targets?.length) {
    problems.add(route.at('escalateTo'), 'a non-empty array of channel names', escalateTo);
  }
  return channels !== undefined;
}

function resolveRoutes(alerting: OptionReader, names: readonly string[]): AlertRoute[] {
  const list = alerting.get('routes');
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    alerting.problems.add(alerting.at('routes'), 'an array of routes', list);
    return [];
  }
  return list.filter((route, i) => {
    const path = `${alerting.at('routes')}[${i}]`;
    if (!isPlainObject(route)) {
      alerting.problems.add(path, 'an object { channels, match?, severity?, ... }', route);
      return false;
    }
    return resolveRoute(OptionReader.of(route, path, ROUTE_KEYS, alerting.problems), names);
  }) as AlertRoute[];
}

// ---- delivery, admin, templates ---------------------------------------------------------

function resolveDelivery(delivery: OptionReader): Required<AlertDeliveryOptions> {
  return {
    timeoutMs: delivery.integer('timeoutMs', TIMER) ?? 5000,
    maxRetries: delivery.integer('maxRetries', NON_NEGATIVE) ?? 5,
    backoffMs: delivery.integer('backoffMs', TIMER_OR_ZERO) ?? 500,
    maxBackoffMs: delivery.integer('maxBackoffMs', TIMER_OR_ZERO) ?? 30_000,
    breakerThreshold: delivery.integer('breakerThreshold', POSITIVE) ?? 5,
    breakerCooldownMs: delivery.integer('breakerCooldownMs', TIMER_OR_ZERO) ?? 30_000,
    shutdownTimeoutMs: delivery.integer('shutdownTimeoutMs', TIMER_OR_ZERO) ?? 5000,
    concurrency: delivery.integer('concurrency', { min: 1, max: 256 }) ?? 8,
  };
}

function resolveAdmin(admin: OptionReader, vars: EnvReader): ResolvedAlertingOptions['admin'] {
  const guard = admin.function<AdminGuardClass>('guard', 'a guard class (CanActivate)');
  const path = admin.urlPath('path') ?? '/alerts';
  return {
    token: admin.string('token') ?? vars.string('ALERT_ADMIN_TOKEN'),
    guard,
    path,
    rateLimitPerMinute: admin.integer('rateLimitPerMinute', POSITIVE) ?? 60,
    allowedOrigins: readOrigins(admin),
    allowLoopbackHttp: admin.boolean('allowLoopbackHttp') ?? false,
  };
}

/** `admin.allowedOrigins`: http(s) origins, without path, query or credentials. */
function readOrigins(admin: OptionReader): string[] {
  const value = admin.get('allowedOrigins');
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    admin.problems.add(admin.at('allowedOrigins'), 'an array of origins', value);
    return [];
  }
  const expected = 'an origin like "https://hooks.example.com" (scheme, host and port only)';
  const origins: string[] = [];
  value.forEach((item, i) => {
    const origin = isHttpUrl(item) ? new URL(item) : undefined;
    if (
      origin &&
      !origin.username &&
      !origin.password &&
      origin.pathname === '/' &&
      !origin.search &&
      !origin.hash
    ) {
      origins.push(origin.origin);
    } else {
      // Shown masked as a URL: an origin given with credentials must not print them.
      admin.problems.add(
        `${admin.at('allowedOrigins')}[${i}]`,
        expected,
        typeof item === 'string' ? maskUrl(item) : item,
      );
    }
  });
  return origins;
}

function readTemplate(value: unknown, path: string, problems: Problems): AlertTemplate | undefined {
  const template = OptionReader.of(
    value,
    path,
    TEMPLATE_KEYS,
    problems,
    'an object { title?, text? }',
  );
  if (!isPlainObject(value)) return undefined;
  for (const key of TEMPLATE_KEYS) {
    const part = template.get(key);
    if (part !== undefined && typeof part !== 'string' && typeof part !== 'function') {
      problems.add(template.at(key), 'a string or a function', part);
    }
  }
  return value as AlertTemplate;
}

function resolveTemplates(alerting: OptionReader): Record<string, AlertTemplate> {
  const templates: Record<string, AlertTemplate> = {};
  const value = alerting.get('templates');
  if (value === undefined) return templates;
  if (!isPlainObject(value)) {
    alerting.problems.add(alerting.at('templates'), 'an object of channel name to template', value);
    return templates;
  }
  for (const [name, raw] of Object.entries(value)) {
    const template = readTemplate(raw, `${alerting.at('templates')}.${name}`, alerting.problems);
    if (template) templates[name] = template;
  }
  return templates;
}
