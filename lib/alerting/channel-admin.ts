import { isHttpUrl, isPlainObject } from '../config/option-reader';
import type { ResolvedAlertingOptions } from './alerting-options.interface';
import type { AlertChannel } from './channels/alert-channel.interface';
import { isRuntimeConfigurable, type RuntimeConfig } from './channels/runtime-config';
import { redactSecretPatterns } from './channels/secret-scrubber';

/**
 * What `POST /alerts/configure` (and `AlertingService.configureChannel()`) may change on a
 * channel.
 *
 * @example
 * ```ts
 * // The body of POST /alerts/configure
 * { channel: 'sms', enabled: true, config: { base_url: 'https://api.twilio.com', account_sid: 'AC…', auth_token: '…' } }
 * ```
 */
export interface AlertChannelPatch {
  /** Deliver to the channel, or keep it configured but silent. */
  enabled?: boolean;
  /** The new target URL: shorthand for the target option in `config`. */
  url?: string;
  /**
   * The channel's runtime options, by option name or in snake_case: the target URL (`url`, or
   * `webhookUrl`/`webhook_url` for Slack and Discord, `baseUrl`/`base_url` for SMS) and the
   * credentials sent there (webhook `headers` and `secret`, SMS `accountSid` and `authToken`,
   * PagerDuty `routingKey`). A target on another origin than the current one needs every
   * credential the channel holds given again.
   */
  config?: Record<string, unknown>;
}

/** The channels as the admin API sees them (the dispatcher). */
export interface ChannelRegistry {
  channel(name: string): AlertChannel | undefined;
  channelNames(): string[];
  setEnabled(name: string, enabled: boolean): void;
}

/** The admin options the rules read. */
export type TargetRules = Pick<
  ResolvedAlertingOptions['admin'],
  'allowedOrigins' | 'allowLoopbackHttp'
>;

const NO_USERINFO =
  'expected a URL without "user:password@": fetch refuses credentials in URLs; give them in the channel\'s credential options (e.g. webhook "headers")';
const HTTPS_ONLY =
  'expected an https URL (plain http only to a loopback host, with "alerting.admin.allowLoopbackHttp")';
const GIVE_AGAIN =
  'required with a URL on another origin: stored credentials are never sent to a new origin';
const URL_TWICE = 'give the URL once: as "url" or in "config"';
const SLACK_FIXED: Record<string, string> = {
  channel:
    'not supported: Slack app webhooks always post to the channel chosen when the webhook was created; configure the URL of a webhook for that channel instead',
  username:
    'not supported: Slack app webhooks always post under the name chosen when the webhook was created',
};

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Read = { value: unknown } | { error: string };

const nonEmpty = (value: unknown): Read =>
  typeof value === 'string' && value !== '' ? { value } : { error: 'expected a non-empty string' };

/** How each credential option is read from `config`; `null` clears an optional one. */
const CREDENTIALS: Record<string, (value: unknown) => Read> = {
  headers: (value) => {
    if (value === null) return { value: {} };
    const valid =
      isPlainObject(value) &&
      Object.entries(value).every(
        ([name, header]) =>
          HEADER_NAME.test(name) && typeof header === 'string' && !/[\r\n\0]/.test(header),
      );
    return valid
      ? { value: { ...value } }
      : { error: 'expected an object of header name to string value ({} or null for none)' };
  },
  secret: (value) =>
    value === null || (typeof value === 'string' && value !== '')
      ? { value }
      : { error: 'expected a non-empty string, or null to stop signing' },
  accountSid: nonEmpty,
  authToken: nonEmpty,
  routingKey: nonEmpty,
};

const camelCase = (key: string): string =>
  key.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

const originOf = (url: string): string => new URL(url).origin;

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why `value` may not become the target of a channel configured with `configured` (undefined
 * for a custom channel), or `undefined` when it may: an http(s) URL without credentials, https
 * (plain http only to loopback with `allowLoopbackHttp`), on the configured origin or one of
 * `allowedOrigins`.
 */
export function targetError(
  value: unknown,
  configured: string | undefined,
  rules: TargetRules,
): string | undefined {
  if (!isHttpUrl(value)) return 'expected an http(s) URL';
  const url = new URL(value);
  if (url.username || url.password) return NO_USERINFO;
  if (url.protocol === 'http:' && !(rules.allowLoopbackHttp && isLoopback(url.hostname))) {
    return HTTPS_ONLY;
  }
  const home = configured ? originOf(configured) : undefined;
  if (url.origin === home || rules.allowedOrigins.includes(url.origin)) return undefined;
  return home
    ? `expected the channel's configured origin (${home}) or one of "alerting.admin.allowedOrigins"`
    : 'expected an origin listed in "alerting.admin.allowedOrigins"';
}

/**
 * Reads the body of `POST /alerts/configure`: `{ channel, enabled?, url?, config? }`, `config`
 * holding the channel's runtime options. Returns the request, or the errors by field.
 */
export function readConfigureBody(
  body: unknown,
): { channel: string; patch: AlertChannelPatch } | { errors: Record<string, string> } {
  if (!isPlainObject(body)) {
    return { errors: { body: 'expected a JSON object { channel, enabled?, url?, config? }' } };
  }
  const { channel, enabled, url, config, ...rest } = body;
  const errors: Record<string, string> = {};
  for (const key of Object.keys(rest)) {
    errors[key] = 'unknown field; expected channel, enabled, url or config';
  }
  if (typeof channel !== 'string' || !channel) errors.channel = 'expected a channel name';
  if (enabled === undefined && url === undefined && config === undefined) {
    errors.enabled = 'expected "enabled", "url" or "config"';
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') errors.enabled = 'expected a boolean';
  if (url !== undefined && !isHttpUrl(url)) errors.url = 'expected an http(s) URL';
  if (config !== undefined && !isPlainObject(config)) {
    errors.config = "expected an object of the channel's options";
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    channel: channel as string,
    patch: {
      enabled: enabled as boolean | undefined,
      url: url as string | undefined,
      config: config as Record<string, unknown> | undefined,
    },
  };
}

/** The fields `config` accepts for a channel, for messages. */
function fieldsOf(runtime: RuntimeConfig): string[] {
  return [
    'url',
    ...(runtime.targetKey === 'url' ? [] : [runtime.targetKey]),
    ...Object.keys(runtime.credentials),
  ];
}

/**
 * Applies `patch` to the channel `name` when every rule holds (see {@link targetError}; a
 * target on another origin than the current one also needs every credential the channel holds
 * given again, so that stored credentials never reach a new origin). Returns the errors by
 * field, empty when applied; nothing changes unless the whole patch is valid.
 */
export function configureChannel(
  channels: ChannelRegistry,
  rules: TargetRules,
  name: string,
  patch: AlertChannelPatch,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const channel = channels.channel(name);
  if (!channel) return { channel: `expected one of ${channels.channelNames().join(', ')}` };
  if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') {
    errors.enabled = 'expected a boolean';
  }
  const configurable = isRuntimeConfigurable(channel) ? channel : undefined;
  const runtime = configurable?.runtimeConfig();
  const change: Record<string, unknown> = {};
  const given = new Set<string>();
  let target: { value: unknown; field: string } | undefined =
    patch.url === undefined ? undefined : { value: patch.url, field: 'url' };

  if (patch.config !== undefined && !isPlainObject(patch.config)) {
    errors.config = "expected an object of the channel's options";
  }
  for (const [key, value] of Object.entries(isPlainObject(patch.config) ? patch.config : {})) {
    const option = camelCase(key);
    const field = `config.${key}`;
    if (option === 'url' || option === runtime?.targetKey) {
      if (target) errors.url = URL_TWICE;
      else target = { value, field };
    } else if (runtime && Object.hasOwn(runtime.credentials, option)) {
      given.add(option);
      const read = CREDENTIALS[option](value);
      if ('error' in read) errors[field] = read.error;
      else change[option] = read.value;
    } else if (name === 'slack' && runtime && Object.hasOwn(SLACK_FIXED, option)) {
      errors[field] = SLACK_FIXED[option];
    } else if (runtime) {
      errors[field] = `unknown field; expected one of ${fieldsOf(runtime).join(', ')}`;
    } else {
      errors[field] = channel.setTarget
        ? 'unknown field; expected url'
        : `channel "${name}" cannot change at runtime; change its options and restart`;
    }
  }

  if (target && !runtime && !channel.setTarget) {
    errors[target.field] = `channel "${name}" has no URL target`;
  } else if (target) {
    const error = targetError(target.value, runtime?.configuredTarget, rules);
    if (error) {
      errors[target.field] = error;
    } else if (runtime && originOf(target.value as string) !== originOf(runtime.target)) {
      for (const [option, isSet] of Object.entries(runtime.credentials)) {
        if (isSet && !given.has(option)) errors[`config.${option}`] = GIVE_AGAIN;
      }
    }
  }
  if (Object.keys(errors).length > 0) return errors;

  if (configurable && runtime) {
    if (target) change[runtime.targetKey] = target.value;
    if (Object.keys(change).length > 0) configurable.reconfigure(change);
  } else if (target) {
    channel.setTarget?.(target.value as string);
  }
  if (patch.enabled !== undefined) channels.setEnabled(name, patch.enabled);
  return errors;
}

/**
 * The error of a test delivery as the admin API may show it: built-in channels already scrub
 * what receivers answer; secret-looking text of any channel (custom ones included) is redacted.
 */
export function publicDeliveryError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(redactSecretPatterns(message));
}
