/**
 * What `POST /alerts/configure` may change on a built-in channel: its target URL and the
 * credentials it sends there. The admin API checks a change against it before applying it.
 */
export interface RuntimeConfig {
  /** The option that holds the target URL: `url`, `webhookUrl` or `baseUrl`. */
  targetKey: string;
  /** The target now. */
  target: string;
  /** The target the channel was configured with; its origin is always allowed. */
  configuredTarget: string;
  /** The credential options the channel sends to its target, each with whether it is set now. */
  credentials: Record<string, boolean>;
}

/**
 * A built-in channel whose target can change at runtime.
 *
 * @internal
 */
export interface RuntimeConfigurable {
  runtimeConfig(): RuntimeConfig;
  /**
   * Applies a change the admin API checked: option name to its new value (`null` clears an
   * optional credential). Secrets given here are scrubbed from errors like configured ones.
   */
  reconfigure(change: Readonly<Record<string, unknown>>): void;
}

/** Whether `channel` is a built-in channel with a runtime target. @internal */
export function isRuntimeConfigurable(channel: object): channel is RuntimeConfigurable {
  const candidate = channel as Partial<RuntimeConfigurable>;
  return (
    typeof candidate.runtimeConfig === 'function' && typeof candidate.reconfigure === 'function'
  );
}
