import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from '../sample-app/src/app.module';
import { FALLBACK_REPLY } from '../sample-app/src/bot/bot.service';
import { ImageGenerationQueue } from '../sample-app/src/worker/image-generation.queue';
import type { ImageJobView } from '../sample-app/src/worker/image-job.types';
import { type Exposition, findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';

/**
 * Boots the sample app on real ports, drives it over HTTP and checks the exact values the
 * library exposes. Prices are written out here rather than read from the app, so a wrong
 * pricing table in the app fails the test.
 */

const service = 'sample-api';
const GPT4 = { input: 0.03, output: 0.06 };
const DALLE3_USD_PER_IMAGE = 0.04;

interface Reply<T = any> {
  status: number;
  body: T;
}

describe('sample app (e2e)', () => {
  const originalEnv = process.env;
  let app: INestApplication | undefined;
  let baseUrl: string;

  beforeAll(() => {
    process.env = { ...originalEnv, METRICS_PORT: '0' };
    // Settings of the developer's shell must not change metric names or disable the server.
    delete process.env.METRICS_PREFIX;
    delete process.env.METRICS_HOST;
    delete process.env.ENABLE_METRICS;
  });

  afterAll(() => {
    process.env = originalEnv;
  });

  beforeEach(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function request<T>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  const post = <T = any>(path: string, body: unknown): Promise<Reply<T>> =>
    request<T>('POST', path, body);
  const get = <T = any>(path: string): Promise<Reply<T>> => request<T>('GET', path);

  /** Polls `GET /images/:id` until the in-process worker has finished the job. */
  async function waitForJob(jobId: string): Promise<ImageJobView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const { status, body } = await get<ImageJobView>(`/images/${jobId}`);
      expect(status).toBe(200);
      if (body.status === 'completed' || body.status === 'failed') return body;
      if (Date.now() > deadline) throw new Error(`Job ${jobId} still ${body.status} after 5s`);
      await sleep(5);
    }
  }

  async function metrics(): Promise<Exposition> {
    const result = await scrape(app!);
    expect(result.status).toBe(200);
    return result.exposition;
  }

  it('answers bot messages and tracks users, text generations, tokens, cost and AI calls', async () => {
    const replies = [
      await post('/bot/messages', { userId: 'alice', text: 'Hello there, bot!' }),
      await post('/bot/messages', { userId: 'bob', text: 'Summarise the news, please.' }),
      await post('/bot/messages', { userId: 'alice', text: 'This one will fail', channel: 'web' }),
    ];

    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies[0].body.reply).toContain('Hello there, bot!');
    expect(replies[2].body).toEqual({
      reply: FALLBACK_REPLY,
      usage: { inputTokens: 0, outputTokens: 0 },
    });
    const input = replies[0].body.usage.inputTokens + replies[1].body.usage.inputTokens;
    const output = replies[0].body.usage.outputTokens + replies[1].body.usage.outputTokens;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);

    const m = await metrics();
    const gpt4 = { service, model: 'gpt-4' };
    const chat = { service, provider: 'openai', model: 'gpt-4', operation: 'chat_completion' };

    expect(sampleValue(m, 'active_users_total', { service })).toBe(2);
    expect(sampleValue(m, 'bot_messages_total', { service, channel: 'telegram' })).toBe(2);
    expect(sampleValue(m, 'bot_messages_total', { service, channel: 'web' })).toBe(1);

    expect(sampleValue(m, 'generation_success_total', { service, type: 'text' })).toBe(2);
    expect(
      sampleValue(m, 'generation_failure_total', { service, type: 'text', error_type: 'timeout' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'errors_total', { service, error_type: 'timeout', severity: 'warning' }),
    ).toBe(1);

    expect(sampleValue(m, 'token_spend_total', { ...gpt4, type: 'input' })).toBe(input);
    expect(sampleValue(m, 'token_spend_total', { ...gpt4, type: 'output' })).toBe(output);
    expect(sampleValue(m, 'token_cost_usd_total', { ...gpt4, type: 'input' })).toBeCloseTo(
      (input / 1000) * GPT4.input,
      10,
    );
    expect(sampleValue(m, 'token_cost_usd_total', { ...gpt4, type: 'output' })).toBeCloseTo(
      (output / 1000) * GPT4.output,
      10,
    );

    expect(sampleValue(m, 'ai_requests_total', { ...chat, status: 'success' })).toBe(2);
    expect(sampleValue(m, 'ai_requests_total', { ...chat, status: 'error' })).toBe(1);
    expect(sampleValue(m, 'ai_requests_error_total', { ...chat, error_type: 'timeout' })).toBe(1);
    expect(
      sampleValue(m, 'ai_request_duration_seconds_count', { ...chat, status: 'success' }),
    ).toBe(2);
    expect(sampleValue(m, 'ai_request_duration_seconds_count', { ...chat, status: 'error' })).toBe(
      1,
    );
    expect(
      sampleValue(m, 'ai_request_duration_seconds_sum', { ...chat, status: 'success' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(m, 'ai_cost_cents_total', chat)).toBeCloseTo(
      ((input * GPT4.input + output * GPT4.output) / 1000) * 100,
      10,
    );

    const complete = { service, class: 'AiService', method: 'complete' };
    expect(
      sampleValue(m, 'method_duration_seconds_count', { ...complete, status: 'success' }),
    ).toBe(2);
    expect(sampleValue(m, 'method_duration_seconds_count', { ...complete, status: 'error' })).toBe(
      1,
    );
    // The bot answers even when the AI fails, so its handler never failed.
    const handler = { service, class: 'BotController', method: 'handleMessage' };
    expect(sampleValue(m, 'method_calls_total', { ...handler, status: 'success' })).toBe(3);
    expect(findSamples(m, 'method_calls_total', { ...handler, status: 'error' })).toEqual([]);
    expect(sampleValue(m, 'method_duration_seconds_count', { ...handler, status: 'success' })).toBe(
      3,
    );
  });

  it("keeps the decorated handler's route and status code, and answers its errors as Nest does", async () => {
    const ok = await post('/bot/messages', { userId: 'alice', text: 'Hi' });
    expect(ok.status).toBe(200); // @HttpCode(200) survives the decorators (POST defaults to 201)
    expect(ok.body).toEqual({
      reply: 'You said: "Hi". Here is a thoughtful answer.',
      usage: { inputTokens: 1, outputTokens: 11 },
    });

    const rejected = await post('/bot/messages', { userId: 'alice' });
    expect(rejected).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: '"text" must be a non-blank string of at most 4000 characters.',
      },
    });
    // Only POST is mapped: the decorators did not change the route's method.
    expect((await get('/bot/messages')).status).toBe(404);

    const m = await metrics();
    const handler = { service, class: 'BotController', method: 'handleMessage' };
    expect(sampleValue(m, 'method_calls_total', { ...handler, status: 'success' })).toBe(1);
    expect(sampleValue(m, 'method_calls_total', { ...handler, status: 'error' })).toBe(1);
    expect(sampleValue(m, 'method_duration_seconds_count', { ...handler, status: 'error' })).toBe(
      1,
    );
    // The rejected message never reached the bot.
    expect(sampleValue(m, 'bot_messages_total', { service, channel: 'telegram' })).toBe(1);
    expect(sampleValue(m, 'generation_success_total', { service, type: 'text' })).toBe(1);
    expect(sampleValue(m, 'active_users_total', { service })).toBe(1);
  });

  it('counts payment conversions and failures', async () => {
    const premium = await post('/payments', {
      userId: 'alice',
      plan: 'premium',
      paymentMethod: 'card',
      amount: 19.99,
    });
    expect(premium.status).toBe(201);
    expect(premium.body).toEqual({
      paymentId: expect.stringMatching(/^pay_\d+$/),
      status: 'succeeded',
      plan: 'premium',
      amount: 19.99,
    });
    const basic = { userId: 'bob', plan: 'basic', paymentMethod: 'yookassa', amount: 5 };
    expect((await post('/payments', basic)).status).toBe(201);

    const declined = await post('/payments', {
      userId: 'carol',
      plan: 'fail-me',
      paymentMethod: 'card',
      amount: 9.99,
    });
    expect(declined.status).toBe(402);
    expect(declined.body).toEqual({
      statusCode: 402,
      message: expect.stringContaining('declined'),
      errorType: 'card_declined',
      paymentId: expect.stringMatching(/^pay_\d+$/),
    });
    const zero = { userId: 'dave', plan: 'premium', paymentMethod: 'card', amount: 0 };
    expect((await post('/payments', zero)).status).toBe(402);
    // Invalid input is a 400 and never reaches the gateway or the KPIs.
    const invalid = { userId: 'erin', plan: 'gold', paymentMethod: 'card', amount: 10 };
    expect((await post('/payments', invalid)).status).toBe(400);

    const m = await metrics();
    expect(
      sampleValue(m, 'payment_conversions_total', {
        service,
        payment_method: 'card',
        plan: 'premium',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, 'payment_conversions_total', {
        service,
        payment_method: 'yookassa',
        plan: 'basic',
      }),
    ).toBe(1);
    expect(findSamples(m, 'payment_conversions_total')).toHaveLength(2);
    // Revenue in the plan's currency, summed exactly; declined payments add nothing.
    expect(
      sampleValue(m, 'revenue_total', { service, plan_type: 'premium', currency: 'USD' }),
    ).toBe(19.99);
    expect(sampleValue(m, 'revenue_total', { service, plan_type: 'basic', currency: 'USD' })).toBe(
      5,
    );
    expect(findSamples(m, 'revenue_total')).toHaveLength(2);
    expect(
      sampleValue(m, 'payment_failures_total', {
        service,
        payment_method: 'card',
        error_type: 'card_declined',
      }),
    ).toBe(2);
    expect(findSamples(m, 'payment_failures_total')).toHaveLength(1);
    expect(
      sampleValue(m, 'errors_total', { service, error_type: 'card_declined', severity: 'warning' }),
    ).toBe(2);
  });

  it('runs image jobs in the background and records their outcome', async () => {
    const queued = await post<ImageJobView>('/images', {
      userId: 'alice',
      prompt: 'A red fox in the snow',
    });
    expect(queued).toEqual({
      status: 202,
      body: { jobId: expect.any(String), status: 'queued' },
    });
    const failing = await post<ImageJobView>('/images', {
      userId: 'bob',
      prompt: 'This one will fail',
    });
    expect(failing.status).toBe(202);
    expect(await get('/images/no-such-job')).toEqual({
      status: 404,
      body: {
        statusCode: 404,
        error: 'Not Found',
        message: 'There is no image job "no-such-job".',
      },
    });

    expect(await waitForJob(queued.body.jobId)).toEqual({
      jobId: queued.body.jobId,
      status: 'completed',
      imageUrl: expect.stringMatching(/^https:\/\/.+\.png$/),
    });
    expect(await waitForJob(failing.body.jobId)).toEqual({
      jobId: failing.body.jobId,
      status: 'failed',
      error: 'The AI provider did not answer in time.',
    });

    const m = await metrics();
    const dalle = { service, model: 'dall-e-3', type: 'image' };
    const imageCall = {
      service,
      provider: 'openai',
      model: 'dall-e-3',
      operation: 'image_generation',
    };

    expect(sampleValue(m, 'generation_success_total', { service, type: 'image' })).toBe(1);
    expect(
      sampleValue(m, 'generation_failure_total', { service, type: 'image', error_type: 'timeout' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'errors_total', { service, error_type: 'timeout', severity: 'error' }),
    ).toBe(1);
    expect(sampleValue(m, 'token_spend_total', dalle)).toBe(1);
    expect(sampleValue(m, 'token_cost_usd_total', dalle)).toBeCloseTo(DALLE3_USD_PER_IMAGE, 10);
    expect(sampleValue(m, 'ai_requests_total', { ...imageCall, status: 'success' })).toBe(1);
    expect(sampleValue(m, 'ai_requests_total', { ...imageCall, status: 'error' })).toBe(1);
    expect(sampleValue(m, 'ai_requests_error_total', { ...imageCall, error_type: 'timeout' })).toBe(
      1,
    );
    expect(sampleValue(m, 'ai_cost_cents_total', imageCall)).toBeCloseTo(
      DALLE3_USD_PER_IMAGE * 100,
      10,
    );

    const generateImage = { service, class: 'AiService', method: 'generateImage' };
    expect(
      sampleValue(m, 'method_duration_seconds_count', { ...generateImage, status: 'success' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'method_duration_seconds_count', { ...generateImage, status: 'error' }),
    ).toBe(1);

    // The worker's @TrackJob(): one completed and one failed job of the image-generation queue.
    const queue = { service, queue_name: 'image-generation' };
    const dalleJobs = { ...queue, job_type: 'dalle-3' };
    expect(m.types.queue_job_duration_seconds).toBe('histogram');
    expect(sampleValue(m, 'queue_job_duration_seconds_count', dalleJobs)).toBe(2);
    expect(sampleValue(m, 'queue_jobs_completed_total', dalleJobs)).toBe(1);
    expect(
      sampleValue(m, 'queue_failures_total', { ...queue, error_type: 'AiProviderError' }),
    ).toBe(1);
    expect(sampleValue(m, 'active_jobs_total', queue)).toBe(0);
    expect(
      findSamples(m, 'method_duration_seconds_count', { class: 'ImageGenerationProcessor' }),
    ).toEqual([]);
  });

  it('finishes queued image jobs before it closes', async () => {
    const queued = await post<ImageJobView>('/images', { userId: 'alice', prompt: 'A calm lake' });
    expect(queued.body.status).toBe('queued');

    const closing = app!;
    app = undefined;
    await closing.close();

    expect(closing.get(ImageGenerationQueue).find(queued.body.jobId)?.status).toBe('completed');
  });
});
