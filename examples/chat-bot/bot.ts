/**
 * A chat bot's message handler, monitored without Nest.
 *
 * Every incoming message marks its author active, each AI answer counts its tokens and a
 * success, and each failure counts a generation failure and goes through `handleError` (log
 * line, `errors_total`, Sentry when `SENTRY_DSN` is set). Prometheus scrapes the numbers from
 * the metrics server on `METRICS_PORT` (9091 by default).
 *
 * The Telegram client is left out: plug `handleMessage` into `bot.on('message', ...)` of your
 * bot library. Run directly, the bot reads messages from the terminal instead:
 *
 *   npx ts-node -P examples/tsconfig.json examples/chat-bot/bot.ts
 *   curl -s localhost:9091/metrics | grep -E 'token_spend|generation_|active_users'
 */
import { createInterface } from 'node:readline';
import { Monitoring, type MonitoringOptions } from 'nestjs-observability/core';

/** The parts of a Telegram message the handler reads. */
export interface ChatMessage {
  chat: { id: number };
  from: { id: number; username?: string };
  text: string;
}

/** What the AI provider answers: the shape of an OpenAI chat completion, flattened. */
export interface AiCompletion {
  text: string;
  usage: { total_tokens: number };
}

/** The AI client the bot calls; in production, a thin wrapper over the provider's SDK. */
export interface AiClient {
  complete(prompt: string): Promise<AiCompletion>;
}

/** What `handleMessage` needs, injected so that tests (and other bot libraries) can swap it. */
export interface BotDeps {
  monitoring: Monitoring;
  ai: AiClient;
  /** Sends a reply to a chat, e.g. `bot.sendMessage` of node-telegram-bot-api. */
  sendMessage(chatId: number, text: string): Promise<unknown>;
}

/** The model the bot's completions run on: the `model` label of `token_spend_total`. */
export const MODEL = 'gpt-4';

/** The answer users get when generation fails. */
export const APOLOGY = 'Sorry, something went wrong.';

/**
 * Handles one message: tracks the user, asks the AI, replies, and tracks the outcome. Never
 * rejects: a failed generation is reported and answered with an apology.
 */
export async function handleMessage(msg: ChatMessage, deps: BotDeps): Promise<void> {
  const { monitoring, ai, sendMessage } = deps;

  // Distinct users in a sliding window (5 minutes by default): `active_users_total`.
  monitoring.trackKpi({ type: 'active_user', data: { userId: String(msg.from.id) } });
  monitoring.logger.info({ userId: msg.from.id, text: msg.text }, 'Message received');

  try {
    const response = await ai.complete(msg.text);

    monitoring.trackKpi({
      type: 'token_spend',
      data: { tokens: response.usage.total_tokens, model: MODEL, type: 'completion' },
    });
    monitoring.trackKpi({ type: 'generation_success', data: { type: 'text' } });

    await sendMessage(msg.chat.id, response.text);
  } catch (error) {
    // The error's name (`RateLimitError`, `APIConnectionError`, ...) is a bounded label value;
    // its message is not, so it goes to the log and Sentry only.
    monitoring.trackKpi({
      type: 'generation_failure',
      data: { type: 'text', errorType: error instanceof Error ? error.name : 'UnknownError' },
    });
    monitoring.handleError(error, { userId: msg.from.id, messageText: msg.text });

    await sendMessage(msg.chat.id, APOLOGY).catch((sendError: unknown) =>
      monitoring.handleError(sendError, { userId: msg.from.id, context: 'reply' }),
    );
  }
}

/** A running bot: its monitoring, and its message handler bound to its dependencies. */
export interface ChatBot {
  monitoring: Monitoring;
  /** What to register as the bot library's message listener. */
  onMessage(msg: ChatMessage): Promise<void>;
  /** Starts the metrics server (`GET /metrics` on `metrics.port`, or `METRICS_PORT`). */
  start(): Promise<void>;
  /** Delivers pending alerts, flushes the log and closes the metrics server. */
  close(): Promise<void>;
}

/**
 * Creates the bot's monitoring (service `bot`; `options` override it and set ports, log
 * destination, Sentry, alert channels, ...) and binds `handleMessage` to it.
 */
export function createChatBot(
  deps: Omit<BotDeps, 'monitoring'>,
  options: MonitoringOptions = {},
): ChatBot {
  const monitoring = new Monitoring({ service: 'bot', ...options });
  return {
    monitoring,
    onMessage: (msg) => handleMessage(msg, { ...deps, monitoring }),
    start: () => monitoring.startMetricsServer(),
    close: () => monitoring.close(),
  };
}

/** The error SDKs throw on HTTP 429, named like OpenAI's. */
class RateLimitError extends Error {
  override readonly name = 'RateLimitError';
}

/** A stand-in for the AI provider: echoes the prompt, and fails on demand. */
class DemoAiClient implements AiClient {
  async complete(prompt: string): Promise<AiCompletion> {
    if (/fail/i.test(prompt))
      throw new RateLimitError('The AI provider is rate limiting this key.');
    // Roughly one token per word, both ways.
    const words = prompt.split(/\s+/).filter(Boolean).length;
    return { text: `You said: ${prompt}`, usage: { total_tokens: 2 * words + 10 } };
  }
}

/** Every line typed in the terminal is a message from one user; "fail" makes the AI fail. */
async function main(): Promise<void> {
  const bot = createChatBot({
    ai: new DemoAiClient(),
    sendMessage: async (_chatId, text) => console.log(`bot> ${text}`),
  });
  await bot.start();
  console.log(`Metrics on http://localhost:${bot.monitoring.metricsPort}/metrics`);
  console.log('Type a message (a message containing "fail" fails), Ctrl+D to quit.');

  const terminal = createInterface({ input: process.stdin });
  // Ctrl+C ends the loop below, so the bot still closes cleanly.
  process.once('SIGINT', () => terminal.close());
  for await (const text of terminal) {
    await bot.onMessage({ chat: { id: 1 }, from: { id: 42, username: 'you' }, text });
  }
  // Closing before exit delivers the alerts still queued and flushes the log.
  await bot.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
