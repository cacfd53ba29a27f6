import { Monitoring } from 'nestjs-observability/core';
import {
  type AiClient,
  APOLOGY,
  type ChatBot,
  type ChatMessage,
  createChatBot,
} from '../examples/chat-bot/bot';
import { createReportMonitoring, runNightlyReport } from '../examples/batch-job/nightly-report';
import { createExpressExample, type ExpressExample } from '../examples/express-app/server';
import { createWorker, type Worker } from '../examples/queue-worker/worker';
import { eventually, send } from './utils/http-client';
import { LogCapture } from './utils/log-capture';
import { describeWithPushgateway, PushgatewayServer } from './utils/pushgateway';

/** Options every example gets here: a free metrics port on loopback, logs captured. */
function testOptions(logs: LogCapture) {
  return {
    environment: 'test',
    metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    logging: { stream: logs, pretty: false },
  };
}

/** `GET /metrics` of a started monitoring instance, over real HTTP. */
async function scrape(monitoring: Monitoring): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${monitoring.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sample lines of an exposition (no comments), to compare whole lines. */
function sampleLines(exposition: string): string[] {
  return exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

class SmtpError extends Error {
  override readonly name = 'SmtpError';
}

/** Named like the OpenAI SDK's error for HTTP 429. */
class RateLimitError extends Error {
  override readonly name = 'RateLimitError';
}

describe('examples (nestjs-observability/core without Nest)', () => {
  describe('chat-bot/bot.ts', () => {
    let bot: ChatBot | undefined;

    afterEach(async () => {
      await bot?.close();
      bot = undefined;
    });

    it('tracks users, tokens, successes and failures, serves them on /metrics and logs each message', async () => {
      const logs = new LogCapture();
      const tokensByPrompt: Record<string, number> = { hi: 120, 'tell me a joke': 250, bye: 30 };
      const ai: AiClient = {
        async complete(prompt) {
          if (prompt === 'crash') throw new RateLimitError('Rate limit reached for gpt-4.');
          return { text: `echo ${prompt}`, usage: { total_tokens: tokensByPrompt[prompt] } };
        },
      };
      const replies: Array<[number, string]> = [];
      bot = createChatBot(
        { ai, sendMessage: async (chatId, text) => replies.push([chatId, text]) },
        testOptions(logs),
      );
      await bot.start();

      const message = (userId: number, text: string): ChatMessage => ({
        chat: { id: 1000 + userId },
        from: { id: userId },
        text,
      });
      // Three distinct users, four successes worth 120 + 250 + 30 + 120 tokens, one failure.
      for (const msg of [
        message(1, 'hi'),
        message(2, 'tell me a joke'),
        message(1, 'crash'),
        message(3, 'bye'),
        message(2, 'hi'),
      ]) {
        await bot.onMessage(msg);
      }

      const lines = sampleLines(await scrape(bot.monitoring));
      expect(lines).toEqual(
        expect.arrayContaining([
          'token_spend_total{model="gpt-4",type="completion",service="bot"} 520',
          'generation_success_total{type="text",service="bot"} 4',
          'generation_failure_total{type="text",error_type="RateLimitError",service="bot"} 1',
          'active_users_total{service="bot"} 3',
          'errors_total{error_type="RateLimitError",severity="error",service="bot"} 1',
        ]),
      );
      // One series per label set: nothing else was counted under another label.
      expect(lines.filter((line) => line.startsWith('generation_failure_total'))).toHaveLength(1);
      expect(lines.filter((line) => line.startsWith('errors_total'))).toHaveLength(1);

      expect(replies).toEqual([
        [1001, 'echo hi'],
        [1002, 'echo tell me a joke'],
        [1001, APOLOGY],
        [1003, 'echo bye'],
        [1002, 'echo hi'],
      ]);

      const received = logs.withMessage('Message received');
      expect(received.map(({ userId, text }) => ({ userId, text }))).toEqual([
        { userId: 1, text: 'hi' },
        { userId: 2, text: 'tell me a joke' },
        { userId: 1, text: 'crash' },
        { userId: 3, text: 'bye' },
        { userId: 2, text: 'hi' },
      ]);
      expect(received[0]).toMatchObject({ level: 'info', service: 'bot', environment: 'test' });
      const [handled] = logs.lines.filter((line) => line.error_type === 'RateLimitError');
      expect(handled).toMatchObject({
        level: 'error',
        severity: 'error',
        messageText: 'crash',
        err: { message: 'Rate limit reached for gpt-4.' },
      });
    });
  });

  describe('queue-worker/worker.ts', () => {
    let worker: Worker | undefined;

    afterEach(async () => {
      await worker?.close();
      worker = undefined;
    });

    it('measures hand-instrumented and @TrackJob jobs, keeps active jobs exact and alerts once per failure kind', async () => {
      class ContentPolicyError extends Error {
        override readonly name = 'ContentPolicyError';
      }
      class StorageError extends Error {
        override readonly name = 'StorageError';
      }
      const logs = new LogCapture();
      worker = createWorker(
        {
          images: {
            async generate(prompt) {
              await new Promise((resolve) => setTimeout(resolve, 5));
              if (prompt.startsWith('forbidden')) throw new ContentPolicyError('Prompt rejected.');
              return { url: `https://cdn.test/${prompt.replace(/ /g, '-')}.png` };
            },
          },
          storage: {
            async resize(url) {
              if (url.includes('huge')) throw new StorageError('Image too large to resize.');
              return Buffer.from(url);
            },
            upload: async (bytes) => `https://cdn.test/thumbs/${bytes.length}.png`,
          },
        },
        testOptions(logs),
      );
      await worker.start();

      // 5 image jobs: 3 succeed (and get a thumbnail), 2 are rejected. 1 thumbnail fails.
      for (const prompt of [
        'a red fox',
        'forbidden one',
        'a teapot',
        'forbidden two',
        'huge map',
      ]) {
        worker.images.add('dalle-3', { userId: 'u1', prompt });
      }
      await worker.drain();
      await worker.monitoring.alerts.whenIdle();

      const lines = sampleLines(await scrape(worker.monitoring));
      expect(lines).toEqual(
        expect.arrayContaining([
          // By hand: startJobTimer / setActiveJobs / trackQueueFailure / KPIs.
          'queue_job_duration_seconds_count{service="worker",queue_name="image-generation",job_type="dalle-3"} 5',
          'queue_jobs_completed_total{queue_name="image-generation",job_type="dalle-3",service="worker"} 3',
          'queue_failures_total{queue_name="image-generation",error_type="ContentPolicyError",service="worker"} 2',
          'active_jobs_total{queue_name="image-generation",service="worker"} 0',
          'generation_success_total{type="image",service="worker"} 3',
          'generation_failure_total{type="image",error_type="ContentPolicyError",service="worker"} 2',
          'token_spend_total{model="dall-e-3",type="image",service="worker"} 3',
          // @TrackJob('thumbnails', undefined, { kpi: 'generation' }): job_type is the job's name.
          'queue_job_duration_seconds_count{service="worker",queue_name="thumbnails",job_type="resize"} 3',
          'queue_jobs_completed_total{queue_name="thumbnails",job_type="resize",service="worker"} 2',
          'queue_failures_total{queue_name="thumbnails",error_type="StorageError",service="worker"} 1',
          'active_jobs_total{queue_name="thumbnails",service="worker"} 0',
          'generation_success_total{type="resize",service="worker"} 2',
          'generation_failure_total{type="resize",error_type="StorageError",service="worker"} 1',
          // @TrackDuration() on the processor's private helpers.
          'method_duration_seconds_count{service="worker",class="ThumbnailProcessor",method="resize",status="success"} 2',
          'method_duration_seconds_count{service="worker",class="ThumbnailProcessor",method="resize",status="error"} 1',
          'method_duration_seconds_count{service="worker",class="ThumbnailProcessor",method="upload",status="success"} 2',
          // One alert per queue and error type; the second ContentPolicyError is a duplicate.
          'alerts_sent_total{channel="log",severity="warning",status="success",service="worker"} 2',
          'alerts_dropped_total{reason="duplicate",service="worker"} 1',
        ]),
      );

      const alerts = logs.lines.filter((line) => line.context === 'Alerting');
      expect(alerts.map((line) => [line.level, line.msg])).toEqual(
        expect.arrayContaining([
          [
            'warn',
            '[FIRING:1] QueueJobFailed: WARNING: Job failed in queue "image-generation": Prompt rejected. | Labels: queue=image-generation, error_type=ContentPolicyError',
          ],
          [
            'warn',
            '[FIRING:1] QueueJobFailed: WARNING: Job failed in queue "thumbnails": Image too large to resize. | Labels: queue=thumbnails, error_type=StorageError',
          ],
        ]),
      );
      expect(alerts).toHaveLength(2);
      expect(logs.withMessage('Image generation failed')).toHaveLength(2);
      expect(logs.withMessage('Image generated successfully')).toHaveLength(3);
    });
  });

  describeWithPushgateway('batch-job/nightly-report.ts', () => {
    let gateway: PushgatewayServer;
    let monitoring: Monitoring | undefined;
    let savedUrl: string | undefined;

    beforeAll(async () => {
      gateway = await PushgatewayServer.start();
    }, 20_000);

    beforeEach(() => {
      savedUrl = process.env.PUSHGATEWAY_URL;
      delete process.env.PUSHGATEWAY_URL;
    });

    afterEach(async () => {
      await monitoring?.close();
      monitoring = undefined;
      if (savedUrl === undefined) delete process.env.PUSHGATEWAY_URL;
      else process.env.PUSHGATEWAY_URL = savedUrl;
    });

    afterAll(async () => {
      await gateway?.stop();
    });

    /** A run over 6 rows (2 skipped) for 3 customers, one of whose reports cannot be sent. */
    const deps = {
      loadUsage: async () => [
        { customerId: 'acme', model: 'gpt-4', tokens: 1000 },
        { customerId: 'acme', model: 'dall-e-3', tokens: 2 },
        { customerId: 'globex', model: 'gpt-4', tokens: 500 },
        { customerId: 'initech', model: 'gpt-4', tokens: 300 },
        { customerId: '', model: 'gpt-4', tokens: 50 },
        { customerId: 'acme', model: 'gpt-4', tokens: 0 },
      ],
      sendReport: async (report: { customerId: string }) => {
        if (report.customerId === 'initech') throw new SmtpError('Mailbox unavailable.');
      },
      now: () => 1_767_225_600_000,
    };

    it('pushes its counters, histograms, gauge and KPIs to a real Pushgateway under its job and groupings', async () => {
      const logs = new LogCapture();
      monitoring = createReportMonitoring({
        region: 'eu-west-1',
        pushgateway: { url: gateway.url },
        logging: { stream: logs, pretty: false },
      });

      const summary = await runNightlyReport(monitoring, deps);
      expect(summary).toEqual({ rows: 6, skippedRows: 2, reportsSent: 2, reportsFailed: 1 });
      await monitoring.push();

      // The Pushgateway sorts labels and adds an empty `instance` to groups without one.
      const group = 'instance="",job="nightly-report",region="eu-west-1",service="nightly-report"';
      const lines = sampleLines(await gateway.metricsText()).filter((line) =>
        line.includes('job="nightly-report"'),
      );
      expect(lines).toEqual(
        expect.arrayContaining([
          `nightly_report_rows_total{${group},status="ok"} 4`,
          `nightly_report_rows_total{${group},status="skipped"} 2`,
          `nightly_report_step_duration_seconds_count{${group},step="load"} 1`,
          `nightly_report_step_duration_seconds_count{${group},step="aggregate"} 1`,
          `nightly_report_step_duration_seconds_count{${group},step="deliver"} 1`,
          `nightly_report_last_run_timestamp_seconds{${group}} 1.7672256e+09`,
          `generation_success_total{${group},type="usage_report"} 2`,
          `generation_failure_total{error_type="SmtpError",${group},type="usage_report"} 1`,
          `errors_total{error_type="SmtpError",${group},severity="error"} 1`,
        ]),
      );
      // Default metrics are off: no process or Node.js runtime series was pushed.
      expect(lines.filter((line) => /^(process|nodejs)_/.test(line))).toEqual([]);
      expect(logs.withMessage('Nightly report finished')).toEqual([
        expect.objectContaining({ rows: 6, skippedRows: 2, reportsSent: 2, reportsFailed: 1 }),
      ]);
    });

    it('push() without a Pushgateway rejects, naming PUSHGATEWAY_URL', async () => {
      monitoring = new Monitoring({ service: 'nightly-report', logging: { enabled: false } });
      await runNightlyReport(monitoring, deps);
      await expect(monitoring.push()).rejects.toThrow(
        'No Pushgateway is configured: set "pushgateway.url" (or PUSHGATEWAY_URL) to push metrics.',
      );
      // The job's own factory refuses to start without one, naming the same variable.
      expect(() => createReportMonitoring({ logging: { enabled: false } })).toThrow(
        /pushgateway\.url: expected an http\(s\) URL \(or set PUSHGATEWAY_URL\)/,
      );
    });
  });

  describe('express-app/server.ts', () => {
    let example: ExpressExample | undefined;

    afterEach(async () => {
      await example?.close();
      example = undefined;
    });

    it('counts requests by route template and status, skips /health, and reports the 500', async () => {
      const logs = new LogCapture();
      const users = new Map([
        ['1', { id: '1', name: 'Ada' }],
        ['2', { id: '2', name: 'Grace' }],
      ]);
      example = createExpressExample({ find: async (id) => users.get(id) }, testOptions(logs));
      const port = await example.listen(0, '127.0.0.1');
      const base = `http://127.0.0.1:${port}`;

      expect(await send(base, 'GET', '/users/1')).toEqual({
        status: 200,
        body: '{"id":"1","name":"Ada"}',
      });
      expect((await send(base, 'GET', '/users/2')).status).toBe(200);
      expect((await send(base, 'GET', '/users/3')).status).toBe(404);
      expect((await send(base, 'GET', '/health')).status).toBe(200);
      expect(await send(base, 'GET', '/boom')).toEqual({
        status: 500,
        body: '{"message":"Internal server error"}',
      });

      const monitoring = example.monitoring;
      let lines: string[] = [];
      await eventually(async () => {
        lines = sampleLines(await scrape(monitoring));
        return lines.some((line) => line.includes('route="/boom"'));
      });
      expect(lines).toEqual(
        expect.arrayContaining([
          'http_requests_total{method="GET",route="/users/:id",status_code="200",service="express-app"} 2',
          'http_requests_total{method="GET",route="/users/:id",status_code="404",service="express-app"} 1',
          'http_requests_total{method="GET",route="/boom",status_code="500",service="express-app"} 1',
          'http_request_duration_seconds_count{service="express-app",method="GET",route="/users/:id",status_code="200"} 2',
          'errors_total{error_type="TypeError",severity="error",service="express-app"} 1',
          'active_users_total{service="express-app"} 2',
        ]),
      );
      expect(lines.filter((line) => line.startsWith('http_requests_total'))).toHaveLength(3);
      expect(lines.some((line) => line.includes('/health'))).toBe(false);

      const [handled] = logs.lines.filter((line) => line.error_type === 'TypeError');
      expect(handled).toMatchObject({ level: 'error', service: 'express-app' });
      expect(handled.msg).toContain('GET /boom');
    });
  });
});
