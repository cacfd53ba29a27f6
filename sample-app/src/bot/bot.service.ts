import { Injectable, Logger } from '@nestjs/common';
import { type Counter, CustomMetricsService } from 'nestjs-observability';
import { errorTypeOf } from '../ai/ai-provider.error';
import { AiService } from '../ai/ai.service';
import type { IncomingMessageDto } from './incoming-message.dto';

/** What the bot sends back, with the tokens the answer cost. */
export interface BotReply {
  reply: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** Sent when the AI fails: the user always gets an answer. */
export const FALLBACK_REPLY = 'Sorry, something went wrong. Please try again.';

/** Messages a user of the free plan may send per period (the `messages` quota). */
export const FREE_MESSAGE_QUOTA = 1000;

/**
 * A Telegram-style message handler: every message marks its user active, counts as use of the
 * `chat` feature and of the `messages` quota, and asks the AI for a reply; the outcome is
 * tracked as KPIs with `trackKpi()`.
 */
@Injectable()
export class BotService {
  private readonly logger = new Logger(BotService.name);
  /** A business metric of this app alone, next to the library's built-in KPIs. */
  private readonly messages: Counter<'channel'>;
  /** Messages sent in the current quota period (a real app reads it from its database). */
  private sent = 0;

  constructor(
    private readonly ai: AiService,
    private readonly metrics: CustomMetricsService,
  ) {
    this.messages = metrics.createCounter({
      name: 'bot_messages_total',
      help: 'Messages received by the bot, by channel.',
      labelNames: ['channel'],
    });
  }

  /** Answers one message. Never rejects: an AI failure becomes an apology to the user. */
  async handleMessage({ userId, text, channel }: IncomingMessageDto): Promise<BotReply> {
    this.messages.inc({ channel });
    // The user id feeds the distinct-user count; it never becomes a label.
    this.metrics.trackKpi({ type: 'active_user', data: { userId } });
    this.metrics.trackFeatureUsage('chat');
    this.metrics.trackUsage('messages');
    this.metrics.setQuota({
      metricType: 'messages',
      planType: 'free',
      used: ++this.sent,
      limit: FREE_MESSAGE_QUOTA,
    });
    try {
      const completion = await this.ai.complete(text);
      const { inputTokens, outputTokens } = completion.usage;
      // Input and output tokens are priced differently, so they are tracked apart.
      this.metrics.trackKpi({
        type: 'token_spend',
        data: { tokens: inputTokens, model: completion.model, type: 'input' },
      });
      this.metrics.trackKpi({
        type: 'token_spend',
        data: { tokens: outputTokens, model: completion.model, type: 'output' },
      });
      this.metrics.trackKpi({ type: 'generation_success', data: { type: 'text' } });
      return { reply: completion.text, usage: completion.usage };
    } catch (error) {
      const errorType = errorTypeOf(error);
      this.metrics.trackKpi({ type: 'generation_failure', data: { type: 'text', errorType } });
      // A warning, not an error: the user still got an answer.
      this.metrics.trackError(errorType, 'warning');
      this.logger.warn(`No AI reply for user ${userId}: ${(error as Error).message}`);
      return { reply: FALLBACK_REPLY, usage: { inputTokens: 0, outputTokens: 0 } };
    }
  }
}
