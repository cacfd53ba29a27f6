import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AiProviderError } from './ai-provider.error';

/** A chat request, shaped like OpenAI's `chat.completions.create()` parameters. */
export interface ChatCompletionRequest {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
}

/** The part of OpenAI's chat completion response the sample reads. */
export interface ChatCompletion {
  model: string;
  choices: { message: { role: 'assistant'; content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** An image request, shaped like OpenAI's `images.generate()` parameters. */
export interface ImageGenerateRequest {
  model: string;
  prompt: string;
  n?: number;
  size?: '1024x1024' | '1792x1024' | '1024x1792';
}

/** The part of OpenAI's image response the sample reads. */
export interface ImagesResponse {
  data: { url: string }[];
}

/** Latency of each fake call: small so tests stay fast, non-zero so durations are real. */
const LATENCY_MS = { chat: 5, essay: 600, image: 10 };

/** Rough OpenAI rule of thumb: one token is about four characters of English. */
const countTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * An in-process stand-in for the OpenAI SDK, so the sample runs with nothing external. It has
 * the SDK's call shapes (`chat.completions.create`, `images.generate`): replacing it with
 * `new OpenAI()` changes no caller.
 *
 * It is deterministic on purpose: token counts derive from the text, and any prompt that
 * contains "fail" times out, and one that asks for an "essay" takes 600 ms (a slow request).
 */
@Injectable()
export class FakeOpenAiClient {
  readonly chat = {
    completions: {
      create: (request: ChatCompletionRequest): Promise<ChatCompletion> => this.complete(request),
    },
  };

  readonly images = {
    generate: (request: ImageGenerateRequest): Promise<ImagesResponse> => this.generate(request),
  };

  private imagesGenerated = 0;

  private async complete({ model, messages }: ChatCompletionRequest): Promise<ChatCompletion> {
    const prompt = messages.map((message) => message.content).join('\n');
    await sleep(/essay/i.test(prompt) ? LATENCY_MS.essay : LATENCY_MS.chat);
    this.failOn(prompt);
    const content = `You said: "${prompt}". Here is a thoughtful answer.`;
    const usage = { prompt_tokens: countTokens(prompt), completion_tokens: countTokens(content) };
    return {
      model,
      choices: [{ message: { role: 'assistant', content } }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    };
  }

  private async generate({ prompt, n = 1 }: ImageGenerateRequest): Promise<ImagesResponse> {
    await sleep(LATENCY_MS.image);
    this.failOn(prompt);
    const data = Array.from({ length: n }, () => ({
      url: `https://images.example.com/generated/${++this.imagesGenerated}.png`,
    }));
    return { data };
  }

  private failOn(prompt: string): void {
    if (/fail/i.test(prompt)) {
      throw new AiProviderError('timeout', 'The AI provider did not answer in time.');
    }
  }
}
