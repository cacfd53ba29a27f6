import { Injectable } from '@nestjs/common';
import { type AIRequestStatus, CustomMetricsService, TrackDuration } from 'nestjs-observability';
import { errorTypeOf } from './ai-provider.error';
import { FakeOpenAiClient } from './fake-openai.client';
import { costInCents } from './token-pricing.constants';

/** A text answer and the tokens it used, by type (input and output are priced separately). */
export interface TextCompletion {
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** A generated image. */
export interface GeneratedImage {
  url: string;
  model: string;
}

const PROVIDER = 'openai';
const TEXT_MODEL = 'gpt-4';
const IMAGE_MODEL = 'dall-e-3';

/**
 * The only place that talks to the AI provider. It records every call in the `ai_*` metrics
 * (duration, outcome, error type, cost), so callers only track their business outcomes:
 * generations, token spend, active users.
 *
 * `@TrackDuration()` times each method as a whole in `method_duration_seconds`; the provider's
 * own latency goes to `ai_request_duration_seconds` by model and operation.
 */
@Injectable()
export class AiService {
  constructor(
    private readonly openai: FakeOpenAiClient,
    private readonly metrics: CustomMetricsService,
  ) {}

  /** Answers `prompt` with the text model. Rejects with the provider's error. */
  @TrackDuration()
  async complete(prompt: string): Promise<TextCompletion> {
    const operation = 'chat_completion';
    const started = performance.now();
    try {
      const response = await this.openai.chat.completions.create({
        model: TEXT_MODEL,
        messages: [{ role: 'user', content: prompt }],
      });
      const usage = {
        inputTokens: response.usage.prompt_tokens,
        outputTokens: response.usage.completion_tokens,
      };
      this.record(TEXT_MODEL, operation, started, 'success', {
        costCents: costInCents(TEXT_MODEL, {
          input: usage.inputTokens,
          output: usage.outputTokens,
        }),
      });
      return { text: response.choices[0].message.content, model: TEXT_MODEL, usage };
    } catch (error) {
      this.record(TEXT_MODEL, operation, started, 'error', { errorType: errorTypeOf(error) });
      throw error;
    }
  }

  /** Generates one image for `prompt`. Rejects with the provider's error. */
  @TrackDuration()
  async generateImage(prompt: string): Promise<GeneratedImage> {
    const operation = 'image_generation';
    const started = performance.now();
    try {
      const response = await this.openai.images.generate({
        model: IMAGE_MODEL,
        prompt,
        n: 1,
        size: '1024x1024',
      });
      this.record(IMAGE_MODEL, operation, started, 'success', {
        costCents: costInCents(IMAGE_MODEL, { image: 1 }),
      });
      return { url: response.data[0].url, model: IMAGE_MODEL };
    } catch (error) {
      this.record(IMAGE_MODEL, operation, started, 'error', { errorType: errorTypeOf(error) });
      throw error;
    }
  }

  private record(
    model: string,
    operation: string,
    started: number,
    status: AIRequestStatus,
    details: { costCents?: number; errorType?: string },
  ): void {
    this.metrics.trackAiRequest({
      provider: PROVIDER,
      model,
      operation,
      durationSeconds: (performance.now() - started) / 1000,
      status,
      ...details,
    });
  }
}
