import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  type INestApplication,
  Logger as NestLogger,
  Module,
  Post,
  Body,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AlertingService,
  ErrorTrackingService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
  RequestContext,
  StructuredLogger,
  useStructuredLogger,
} from 'nestjs-observability';
import { ADAPTERS, listen } from './utils/http-apps';
import { LogCapture } from './utils/log-capture';
import { sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { eventually, sendAndAbort } from './utils/http-client';

const SECRETS = [
  'Bearer sk-live-AUTH',
  'session=COOKIE-VALUE',
  'QUERY-TOKEN',
  'hunter2',
  'API-KEY-VALUE',
  '4111111111111111',
  'CHILD-SECRET',
  'REFRESH-TOKEN-VALUE',
];

@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    request.user = { id: 'user-42', workspaceId: 'ws-7' };
    return true;
  }
}

@Injectable()
class OrdersService {
  constructor(private readonly logs: StructuredLogger) {}

  place(body: Record<string, unknown>): { requestId: string | undefined } {
    this.logs.logger.info(
      {
        context: 'OrdersService',
        order: { id: 'o-1', password: 'hunter2', card: { cardNumber: '4111111111111111' } },
        apiKey: 'API-KEY-VALUE',
        items: [{ refresh_token: 'REFRESH-TOKEN-VALUE' }],
        body,
      },
      'order placed',
    );
    return { requestId: RequestContext.requestId };
  }

  tagged(): void {
    RequestContext.assign({ tenant: 't-9' });
    this.logs.logger.info({ context: 'OrdersService' }, 'after assign');
  }
}

@Controller()
class OrdersController {
  private readonly nestLogger = new NestLogger('OrdersController');

  constructor(
    private readonly orders: OrdersService,
    private readonly errors: ErrorTrackingService,
  ) {}

  @Post('orders/:id')
  @UseGuards(FakeAuthGuard)
  place(@Body() body: Record<string, unknown>) {
    return this.orders.place(body);
  }

  @Get('levels')
  levels() {
    this.nestLogger.debug('debug from OrdersController');
    new NestLogger('Quiet').log('info from Quiet');
    new NestLogger('Chatty').debug('debug from Chatty');
    return { ok: true };
  }

  @Get('tagged')
  tagged() {
    this.orders.tagged();
    return { ok: true };
  }

  @Get('slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { ok: true };
  }

  @Get('boom')
  boom() {
    throw new TypeError('kaboom');
  }

  @Get('handled')
  handled() {
    this.errors.handleError(new RangeError('out of range'), {
      context: 'import',
      severity: 'warning',
      password: 'hunter2',
      rows: 3,
    });
    return { handled: true };
  }
}

function appModule(options: ObservabilityModuleOptions) {
  @Module({
    imports: [ObservabilityModule.forRoot(options)],
    controllers: [OrdersController],
    providers: [OrdersService, FakeAuthGuard],
  })
  class AppModule {}
  return AppModule;
}

/** `POST /orders/1` with an empty JSON body and `requestId` in `X-Request-Id`. */
const postOrder = (url: string, requestId: string) =>
  fetch(`${url}/orders/1`, {
    method: 'POST',
    headers: { 'x-request-id': requestId, 'content-type': 'application/json' },
    body: '{}',
  });

const base = (capture: LogCapture, logging: ObservabilityModuleOptions['logging'] = {}) =>
  ({
    service: 'orders-api',
    environment: 'staging',
    version: '1.2.3',
    metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    logging: { stream: capture, ...logging },
  }) satisfies ObservabilityModuleOptions;

describe.each(ADAPTERS)('structured logging on %s', (_name, adapter) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('writes JSON lines with service, environment, version, request and user context; round-trips X-Request-Id', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;

    const response = await fetch(`${started.url}/orders/o-1?token=QUERY-TOKEN&page=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-abc_123.4:5',
        authorization: 'Bearer sk-live-AUTH',
        cookie: 'session=COOKIE-VALUE',
      },
      body: JSON.stringify({ name: 'box', password: 'hunter2' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req-abc_123.4:5');
    expect(await response.json()).toEqual({ requestId: 'req-abc_123.4:5' });

    const [placed] = capture.withMessage('order placed');
    expect(placed).toMatchObject({
      level: 'info',
      service: 'orders-api',
      environment: 'staging',
      version: '1.2.3',
      request_id: 'req-abc_123.4:5',
      user_id: 'user-42',
      workspace_id: 'ws-7',
      context: 'OrdersService',
      order: { id: 'o-1', password: '[Redacted]', card: { cardNumber: '[Redacted]' } },
      apiKey: '[Redacted]',
      items: [{ refresh_token: '[Redacted]' }],
      body: { name: 'box', password: '[Redacted]' },
    });
    expect(typeof placed.time).toBe('string');

    const [completed] = capture.withMessage('request completed');
    expect(completed).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'orders-api',
      environment: 'staging',
      version: '1.2.3',
      request_id: 'req-abc_123.4:5',
      // Set by the guard after the request arrived: read when the response ends.
      user_id: 'user-42',
      workspace_id: 'ws-7',
      req: {
        method: 'POST',
        url: '/orders/o-1?token=%5BRedacted%5D&page=2',
        userAgent: expect.any(String),
        remoteAddress: expect.stringMatching(/127\.0\.0\.1$/),
      },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
    expect(completed.responseTime).toBeGreaterThan(0);
    expect(capture.withMessage('request completed')).toHaveLength(1);
    for (const secret of SECRETS) expect(capture.text).not.toContain(secret);
  });

  it('replaces an invalid incoming request id with a generated UUID', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;
    for (const bad of ['has spaces', 'x'.repeat(129), '<script>']) {
      const response = await postOrder(started.url, bad);
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await response.json()).toEqual({ requestId: id });
    }
    const ids = capture.withMessage('request completed').map((line) => line.request_id);
    expect(new Set(ids).size).toBe(3);
  });

  it('does not log requests to the health endpoints automatically', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;
    for (const path of ['/health', '/ready', '/live']) {
      expect([path, (await fetch(`${started.url}${path}`)).status]).toEqual([path, 200]);
    }
    // 503 when this machine's disk or memory is past the default thresholds; served either way.
    expect([200, 503]).toContain((await fetch(`${started.url}/health/detailed`)).status);
    expect((await fetch(`${started.url}/levels`)).status).toBe(200);
    const urls = capture.withMessage('request completed').map((line) => line.req.url);
    expect(urls).toEqual(['/levels']);
  });

  it('does not log the excluded paths under the global prefix either', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter, {
      setup: (created) => created.setGlobalPrefix('api'),
    });
    app = started.app;
    for (const path of ['/api/health', '/api/ready', '/api/live']) {
      expect([path, (await fetch(`${started.url}${path}`)).status]).toEqual([path, 200]);
    }
    expect((await fetch(`${started.url}/api/levels`)).status).toBe(200);
    const urls = capture.withMessage('request completed').map((line) => line.req.url);
    expect(urls).toEqual(['/api/levels']);
  });

  it("routes Nest's own logs through the same logger, with per-context levels", async () => {
    const capture = new LogCapture();
    const started = await listen(
      appModule(base(capture, { level: 'info', levels: { Chatty: 'debug', Quiet: 'warn' } })),
      adapter,
      { bufferLogs: true, setup: (created) => useStructuredLogger(created) },
    );
    app = started.app;
    const response = await fetch(`${started.url}/levels`, { headers: { 'x-request-id': 'lv-1' } });
    expect(response.status).toBe(200);

    const fromNest = capture.lines.filter((line) => line.context === 'NestApplication');
    expect(fromNest.map((line) => line.msg)).toContain('Nest application successfully started');
    expect(fromNest[0]).toMatchObject({ level: 'info', service: 'orders-api' });
    // Bootstrap is clean: no route-syntax or other warnings.
    expect(capture.lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual(
      [],
    );
    expect(capture.withMessage('debug from Chatty')).toEqual([
      expect.objectContaining({ level: 'debug', context: 'Chatty', request_id: 'lv-1' }),
    ]);
    expect(capture.withMessage('info from Quiet')).toEqual([]);
    expect(capture.withMessage('debug from OrdersController')).toEqual([]);

    const failed = await fetch(`${started.url}/boom`, { headers: { 'x-request-id': 'boom-1' } });
    expect(failed.status).toBe(500);
    const handler = capture.lines.filter((line) => line.context === 'ExceptionsHandler');
    expect(handler).toEqual([
      expect.objectContaining({ level: 'error', request_id: 'boom-1', msg: 'kaboom' }),
    ]);
  });

  it('handleError logs, counts and never throws without a DSN', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;
    const response = await fetch(`${started.url}/handled`, { headers: { 'x-request-id': 'h-1' } });
    expect(await response.json()).toEqual({ handled: true });
    const [line] = capture.withMessage('Error in import');
    expect(line).toMatchObject({
      level: 'warn',
      request_id: 'h-1',
      error_type: 'RangeError',
      severity: 'warning',
      rows: 3,
      password: '[Redacted]',
      err: { type: 'RangeError', message: 'out of range' },
    });
    expect(capture.text).not.toContain('hunter2');
    const { exposition } = await scrape(app);
    expect(
      sampleValue(exposition, 'errors_total', {
        service: 'orders-api',
        error_type: 'RangeError',
        severity: 'warning',
      }),
    ).toBe(1);
    expect(app.get(ErrorTrackingService).sentryEnabled).toBe(false);
  });

  it('writes nothing when logging is disabled, and still assigns request ids', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture, { enabled: false })), adapter, {
      bufferLogs: true,
      setup: (created) => useStructuredLogger(created),
    });
    app = started.app;
    const response = await postOrder(started.url, 'off-1');
    expect(response.headers.get('x-request-id')).toBe('off-1');
    expect(await response.json()).toEqual({ requestId: 'off-1' });
    expect(capture.raw).toEqual([]);
  });

  it('logs a 5xx as request errored and an aborted request once, as request aborted with 499', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;
    expect(
      (await fetch(`${started.url}/boom`, { headers: { 'x-request-id': 'e-1' } })).status,
    ).toBe(500);
    expect(capture.withMessage('request errored')).toEqual([
      expect.objectContaining({ level: 'error', request_id: 'e-1', res: { statusCode: 500 } }),
    ]);

    await sendAndAbort(started.url, '/slow', new Promise((resolve) => setTimeout(resolve, 100)));
    await eventually(async () => capture.withMessage('request aborted').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the handler finishes meanwhile
    expect(capture.withMessage('request aborted')).toEqual([
      expect.objectContaining({
        level: 'warn',
        req: expect.objectContaining({ method: 'GET', url: '/slow' }),
        res: { statusCode: 499 },
      }),
    ]);
    expect(capture.lines.filter((line) => line.req?.url === '/slow')).toHaveLength(1);
  });

  it('RequestContext.assign(): fields on later lines and on the request line', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture)), adapter);
    app = started.app;
    const response = await fetch(`${started.url}/tagged`, { headers: { 'x-request-id': 'a-1' } });
    expect(response.status).toBe(200);
    expect(capture.withMessage('after assign')).toEqual([
      expect.objectContaining({ request_id: 'a-1', tenant: 't-9', context: 'OrdersService' }),
    ]);
    expect(capture.withMessage('request completed')).toEqual([
      expect.objectContaining({ request_id: 'a-1', tenant: 't-9', res: { statusCode: 200 } }),
    ]);
  });

  it('requestLogs: false writes no request lines and keeps the request context', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture, { requestLogs: false })), adapter);
    app = started.app;
    const response = await postOrder(started.url, 'nl-1');
    expect(await response.json()).toEqual({ requestId: 'nl-1' });
    expect(capture.withMessage('order placed')).toEqual([
      expect.objectContaining({ request_id: 'nl-1', user_id: 'user-42' }),
    ]);
    expect(capture.lines.filter((line) => line.req)).toEqual([]);
  });

  it('requestContext: false assigns no request id and opens no context; request lines stay', async () => {
    const capture = new LogCapture();
    const started = await listen(appModule(base(capture, { requestContext: false })), adapter);
    app = started.app;
    const response = await postOrder(started.url, 'nc-1');
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(await response.json()).toEqual({});
    const [placed] = capture.withMessage('order placed');
    expect(placed).not.toHaveProperty('request_id');
    expect(placed).not.toHaveProperty('user_id');
    const [completed] = capture.withMessage('request completed');
    expect(completed).toMatchObject({ req: { method: 'POST', url: '/orders/1' } });
    expect(completed).not.toHaveProperty('request_id');
    // The user is still read from the request the line belongs to.
    expect(completed.user_id).toBe('user-42');
  });
});

describe('logging options', () => {
  it('fails at boot naming every bad logging field', async () => {
    const options = {
      logging: {
        level: 'loud',
        levels: { A: 'nope' },
        excludePaths: ['health'],
        requestLogs: 'yes',
        requestContext: 0,
        extra: 1,
      },
      redact: ['', 3],
    } as unknown as ObservabilityModuleOptions;
    @Module({ imports: [ObservabilityModule.forRoot(options)] })
    class BadModule {}
    await expect(
      NestFactory.create(BadModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(
      /logging\.extra: unknown option[\s\S]*logging\.requestLogs: expected a boolean, got "yes"[\s\S]*logging\.requestContext: expected a boolean, got 0[\s\S]*logging\.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"[\s\S]*logging\.levels\.A[\s\S]*logging\.excludePaths[\s\S]*redact: expected an array of non-empty key names/,
    );
  });
});

describe('error tracking never breaks the caller', () => {
  it('survives a throwing alerting service, a rejecting one and a throwing userContext', async () => {
    const capture = new LogCapture();
    const { app, url } = await listen(
      appModule(
        base(capture, {
          userContext: () => {
            throw new Error('extractor broke');
          },
        }),
      ),
      ADAPTERS[0][1],
    );
    try {
      const calls: string[] = [];
      const alerting = app.get(AlertingService);
      jest.spyOn(alerting, 'send').mockImplementation(((alert: { summary: string }) => {
        calls.push(alert.summary);
        if (calls.length === 1) throw new Error('webhook down');
        return Promise.reject(new Error('webhook timeout'));
      }) as never);
      const errors = app.get(ErrorTrackingService);
      expect(() => errors.handleError(new Error('first'), { severity: 'critical' })).not.toThrow();
      expect(() => errors.handleError('a string', { severity: 'critical' })).not.toThrow();
      expect(() => errors.handleError(undefined)).not.toThrow();
      const response = await fetch(`${url}/boom`);
      expect(response.status).toBe(500);
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toEqual([
        'Critical error Error in orders-api',
        'Critical error string in orders-api',
      ]);
      const warnings = capture.lines
        .filter((line) => line.level === 'warn')
        .map((line) => line.msg);
      expect(warnings).toEqual([
        'Sending a critical error to the alerting service failed: webhook down.',
        'Sending a critical error to the alerting service failed: webhook timeout.',
      ]);
      expect(capture.withMessage('Handled error undefined')).toHaveLength(1);
      const { exposition } = await scrape(app);
      expect(
        sampleValue(exposition, 'errors_total', {
          service: 'orders-api',
          error_type: 'TypeError',
          severity: 'error',
        }),
      ).toBe(1);
    } finally {
      await app.close();
    }
  });
});
