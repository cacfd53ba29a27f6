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

/** Sent when the AI fails: the user always gets an answer (seed 001, example 1). */
export const FALLBACK_REPLY = 'Sorry, something went wrong. Please try again.';

/**
 * The Telegram-style message handler of seed 001: every message marks its user active and
 * asks the AI for a reply, and the outcome is tracked as KPIs with `trackKPI()`.
 */
@Injectable()
export class BotService {
  private readonly logger = new Logger(BotService.name);
  /** A business metric of this app alone, next to the library's built-in KPIs. */
  private readonly messages: Counter<'channel'>;

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
    this.metrics.trackKPI({ type: 'active_user', data: { userId } });
    try {
      const completion = await this.ai.complete(text);
      const { inputTokens, outputTokens } = completion.usage;
      // Input and output tokens are priced differently, so they are tracked apart (seed 001).
      this.metrics.trackKPI({
        type: 'token_spend',
        data: { tokens: inputTokens, model: completion.model, type: 'input' },
      });
      this.metrics.trackKPI({
        type: 'token_spend',
        data: { tokens: outputTokens, model: completion.model, type: 'output' },
      });
      this.metrics.trackKPI({ type: 'generation_success', data: { type: 'text' } });
      return { reply: completion.text, usage: completion.usage };
    } catch (error) {
      const errorType = errorTypeOf(error);
      this.metrics.trackKPI({ type: 'generation_failure', data: { type: 'text', errorType } });
      // A warning, not an error: the user still got an answer.
      this.metrics.trackError(errorType, 'warning');
      this.logger.warn(`No AI reply for user ${userId}: ${(error as Error).message}`);
      return { reply: FALLBACK_REPLY, usage: { inputTokens: 0, outputTokens: 0 } };
    }
  }
}
