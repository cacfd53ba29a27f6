import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  type ExceptionFilter,
  Controller,
  Get,
  Injectable,
  type INestApplication,
  Module,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  UseFilters,
  type CanActivate,
  type ExecutionContext,
  UseGuards,
} from '@nestjs/common';
import { APP_FILTER, ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import * as Sentry from '@sentry/nestjs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  AlertingService,
  ErrorTrackingService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
} from 'nestjs-observability';
import { initSentry } from 'nestjs-observability/sentry';
import { sampleValue } from './utils/exposition';
import { ADAPTERS, listen } from './utils/http-apps';
import { LogCapture } from './utils/log-capture';
import { scrape } from './utils/metrics-client';
import { SentryReceiver } from './utils/sentry-receiver';

/**
 * Sentry's client is process-wide. The first block boots an app without initialising Sentry
 * (the module does it late) and closes the client. The others initialise it once through the
 * public `initSentry()` of `nestjs-observability/sentry` (as `nestjs-observability/instrument` does); their apps reuse that
 * client, and `receiver.clear()` isolates the tests. Every DSN points at a receiver on 127.0.0.1.
 *
 * Why `*.sentry-e2e-spec.ts`, each in its own Jest process (`npm run test:sentry`, chained by `npm test`):
 * the SDK's HTTP instrumentation subscribes to Node's `diagnostics_channel`, which belongs to the
 * process, not to a Jest test file. `Sentry.close()` does not unsubscribe, so after this file
 * the dead subscriber stalls every HTTP server of the next suites in the same process.
 */

class DomainError extends Error {
  override name = 'DomainError';
}
class TeapotError extends Error {
  override name = 'TeapotError';
}

@Catch(DomainError)
class DomainErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: DomainError, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.adapterHost.httpAdapter.reply(
      ctx.getResponse(),
      { error: 'domain', detail: exception.message },
      422,
    );
  }
}

@Catch(TeapotError)
class TeapotFilter implements ExceptionFilter {
  catch(_exception: TeapotError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    // Express and Fastify replies both take a status and a JSON body this way.
    if (typeof response.code === 'function') response.code(418).send({ teapot: true });
    else response.status(418).json({ teapot: true });
  }
}

class GuardError extends Error {
  override name = 'GuardError';
}

@Catch(GuardError)
class GuardErrorFilter implements ExceptionFilter {
  catch(_exception: GuardError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    if (typeof response.code === 'function') response.code(409).send({ guard: 'refused' });
    else response.status(409).json({ guard: 'refused' });
  }
}

@Injectable()
class RefusingGuard implements CanActivate {
  canActivate(): boolean {
    throw new GuardError('refused by the guard');
  }
}

@Injectable()
class UserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest().user = { id: 'user-42', workspaceId: 'ws-7' };
    return true;
  }
}

function failingHandler(): never {
  throw new TypeError('kaboom');
}

@Controller()
@UseGuards(UserGuard)
class OrdersController {
  constructor(private readonly errors: ErrorTrackingService) {}

  @Post('orders/:id')
  create(@Body() _body: unknown) {
    failingHandler();
  }

  @Get('missing')
  missing() {
    throw new NotFoundException('no such order');
  }

  @Get('bad')
  bad() {
    throw new BadRequestException('bad input');
  }

  @Get('unavailable')
  unavailable() {
    throw new ServiceUnavailableException('try later');
  }

  @Get('guarded')
  @UseGuards(RefusingGuard)
  guarded() {
    return 'never';
  }

  @Get('domain')
  domain() {
    throw new DomainError('order already shipped');
  }

  @Get('teapot')
  @UseFilters(TeapotFilter)
  teapot() {
    throw new TeapotError('short and stout');
  }

  @Get('critical')
  critical() {
    this.errors.handleError(new Error('ledger out of balance'), {
      severity: 'critical',
      context: 'billing',
      invoiceId: 'inv-9',
      // Built at run time: Sentry sends source lines around each frame, which are not data.
      secretKey: ['SHOULD', 'NOT', 'LEAVE'].join('-'),
    });
    return { reported: true };
  }
}

/** Lets two requests in, then both on together: each has set its Sentry data before either fails. */
class Rendezvous {
  private waiting: Array<() => void> = [];

  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      // Should the other request never come, go on alone rather than hang the test.
      const alone = setTimeout(resolve, 5000);
      if (this.waiting.length === 2) {
        clearTimeout(alone);
        for (const release of this.waiting.splice(0)) release();
      }
    });
  }
}

const rendezvous = new Rendezvous();

/** No guard: the event's user is the one the handler sets with `Sentry.setUser`. */
@Controller()
class ProfilesController {
  @Get('profiles/:name')
  async fail(@Param('name') name: string): Promise<never> {
    Sentry.setTag('customer', name);
    Sentry.setUser({ id: `user-${name}` });
    Sentry.addBreadcrumb({ category: 'profile', message: `loading ${name}` });
    await rendezvous.arrive();
    throw new Error(`no profile ${name}`);
  }
}

function appModule(options: ObservabilityModuleOptions) {
  @Module({
    imports: [ObservabilityModule.forRoot(options)],
    controllers: [OrdersController, ProfilesController],
    providers: [UserGuard, { provide: APP_FILTER, useClass: DomainErrorFilter }],
  })
  class AppModule {}
  return AppModule;
}

const receiver = new SentryReceiver();

/** The `transaction` items received so far (Sentry's tracing). */
const transactions = () =>
  receiver.envelopes.flatMap((envelope) =>
    envelope.items.filter((item) => item.header.type === 'transaction'),
  );

const options = (
  errors: ObservabilityModuleOptions['errors'] = {},
  capture = new LogCapture(),
): ObservabilityModuleOptions => ({
  service: 'orders-api',
  environment: 'staging',
  version: '1.2.3',
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
  logging: { stream: capture },
  errors: { dsn: receiver.dsn, ...errors },
  redact: ['ssn'],
});

beforeAll(() => receiver.start());

afterAll(async () => {
  await Sentry.close(2000);
  await receiver.stop();
});

describe('without the instrument import', () => {
  afterAll(() => Sentry.close(2000));

  it('initialises Sentry when the module boots, warns, and reports', async () => {
    receiver.clear();
    expect(Sentry.isEnabled()).toBe(false);
    const capture = new LogCapture();
    const { app, url } = await listen(appModule(options({}, capture)), ADAPTERS[0][1]);
    try {
      expect(Sentry.isEnabled()).toBe(true);
      expect(capture.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: expect.stringContaining('Import "nestjs-observability/instrument"'),
        }),
      );
      expect((await fetch(`${url}/unavailable`)).status).toBe(503);
    } finally {
      await app.close();
    }
    // app.close() flushed the event.
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      environment: 'staging',
      release: '1.2.3',
      tags: { service: 'orders-api', route: '/unavailable' },
      exception: { values: [{ type: 'ServiceUnavailableException' }] },
    });
  });
});

describe.each(ADAPTERS)('error tracking with the real Sentry SDK on %s', (_name, adapter) => {
  let app: INestApplication | undefined;
  let url: string;

  const start = async (opts = options()) => {
    ({ app, url } = await listen(appModule(opts), adapter));
  };

  beforeAll(() => {
    expect(
      initSentry({
        service: 'orders-api',
        environment: 'staging',
        version: '1.2.3',
        errors: { dsn: receiver.dsn },
        redact: ['ssn'],
      }),
    ).toBe(true);
  });

  beforeEach(() => {
    receiver.clear();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('reports an unknown error with stack, tags, scrubbed request, environment and release; the client gets Nest’s body', async () => {
    const capture = new LogCapture();
    await start(options({}, capture));
    const response = await fetch(`${url}/orders/o-1?token=QUERY-SECRET&page=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-500',
        authorization: 'Bearer AUTH-SECRET',
        cookie: 'session=COOKIE-SECRET',
      },
      body: JSON.stringify({ name: 'box', password: 'BODY-SECRET', ssn: 'SSN-SECRET' }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(response.headers.get('x-request-id')).toBe('req-500');

    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    const [event] = receiver.events;
    const [exception] = event.exception.values;
    expect(exception).toMatchObject({ type: 'TypeError', value: 'kaboom' });
    const functions = exception.stacktrace.frames.map((frame: any) => frame.function);
    expect(functions).toEqual(expect.arrayContaining([expect.stringMatching(/failingHandler/)]));
    expect(exception.stacktrace.frames.at(-1)).toMatchObject({
      function: 'failingHandler',
      filename: expect.stringContaining('error-tracking.sentry-e2e-spec.ts'),
    });
    expect(event).toMatchObject({
      level: 'error',
      environment: 'staging',
      release: '1.2.3',
      user: { id: 'user-42' },
      tags: {
        service: 'orders-api',
        request_id: 'req-500',
        route: '/orders/:id',
        method: 'POST',
        error_type: 'TypeError',
        user_id: 'user-42',
        workspace_id: 'ws-7',
      },
      request: {
        method: 'POST',
        headers: expect.objectContaining({
          authorization: '[Redacted]',
          cookie: '[Redacted]',
          'x-request-id': 'req-500',
        }),
        query_string: 'token=%5BRedacted%5D&page=2',
        data: { name: 'box', password: '[Redacted]', ssn: '[Redacted]' },
      },
    });
    expect(event.request.url).toMatch(/\/orders\/o-1\?token=%5BRedacted%5D&page=2$/);
    // The log lines of the request carry the trace of the Sentry event.
    const [errored] = capture.withMessage('request errored');
    expect(errored).toMatchObject({
      request_id: 'req-500',
      res: { statusCode: 500 },
      level: 'error',
      trace_id: event.contexts.trace.trace_id,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const raw = JSON.stringify(receiver.envelopes);
    for (const secret of [
      'QUERY-SECRET',
      'AUTH-SECRET',
      'COOKIE-SECRET',
      'BODY-SECRET',
      'SSN-SECRET',
    ]) {
      expect(raw).not.toContain(secret);
    }

    const { exposition } = await scrape(app!);
    expect(
      sampleValue(exposition, 'errors_total', {
        service: 'orders-api',
        error_type: 'TypeError',
        severity: 'error',
      }),
    ).toBe(1);
  });

  it('keeps what each of two concurrent requests sets on Sentry (tag, user, breadcrumb) on its own event, with its own trace', async () => {
    const capture = new LogCapture();
    await start(options({}, capture));
    // Sentry's fetch instrumentation in this process would send this process's trace with both
    // requests; real clients are other processes, each request on a trace of its own.
    const responses = await Promise.all(
      ['ann', 'bob'].map((name) =>
        Sentry.suppressTracing(() =>
          fetch(`${url}/profiles/${name}`, { headers: { 'x-request-id': `req-${name}` } }),
        ),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([500, 500]);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(2);
    const traces = new Set<string>();
    for (const name of ['ann', 'bob']) {
      const event = receiver.events.find(
        (e) => e.exception.values[0].value === `no profile ${name}`,
      );
      expect(event).toMatchObject({
        tags: { customer: name, request_id: `req-${name}` },
        user: { id: `user-${name}` },
      });
      const crumbs = (event.breadcrumbs ?? []).filter((crumb: any) => crumb.category === 'profile');
      expect(crumbs.map((crumb: any) => crumb.message)).toEqual([`loading ${name}`]);
      const traceId = event.contexts.trace.trace_id;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      traces.add(traceId);
      const [errored] = capture
        .withMessage('request errored')
        .filter((line) => line.request_id === `req-${name}`);
      expect(errored).toMatchObject({
        trace_id: traceId,
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
    expect(traces.size).toBe(2);
    // Nothing of the requests was left on the process's scope.
    expect(Sentry.getIsolationScope().getScopeData().tags).not.toHaveProperty('customer');
  });

  it('keeps concurrent requests’ Sentry data apart without the request context too', async () => {
    await start({ ...options(), logging: { stream: new LogCapture(), requestContext: false } });
    const responses = await Promise.all(
      ['cid', 'dee'].map((name) => Sentry.suppressTracing(() => fetch(`${url}/profiles/${name}`))),
    );
    expect(responses.map((response) => response.status)).toEqual([500, 500]);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(2);
    for (const name of ['cid', 'dee']) {
      const event = receiver.events.find(
        (e) => e.exception.values[0].value === `no profile ${name}`,
      );
      expect(event).toMatchObject({ tags: { customer: name }, user: { id: `user-${name}` } });
      const crumbs = (event.breadcrumbs ?? []).filter((crumb: any) => crumb.category === 'profile');
      expect(crumbs.map((crumb: any) => crumb.message)).toEqual([`loading ${name}`]);
    }
  });

  it('continues the trace of an incoming sentry-trace header, in the event and the log lines', async () => {
    const capture = new LogCapture();
    await start(options({}, capture));
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const response = await fetch(`${url}/unavailable`, {
      headers: { 'sentry-trace': `${traceId}-b7ad6b7169203331-0`, 'x-request-id': 'req-traced' },
    });
    expect(response.status).toBe(503);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0].contexts.trace.trace_id).toBe(traceId);
    expect(capture.withMessage('request errored')).toEqual([
      expect.objectContaining({ request_id: 'req-traced', trace_id: traceId }),
    ]);
  });

  it('sends nothing for 4xx HttpExceptions, and answers with Nest’s body', async () => {
    await start();
    const missing = await fetch(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      statusCode: 404,
      message: 'no such order',
      error: 'Not Found',
    });
    const bad = await fetch(`${url}/bad`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      statusCode: 400,
      message: 'bad input',
      error: 'Bad Request',
    });
    const unknownRoute = await fetch(`${url}/no-such-route`);
    expect(unknownRoute.status).toBe(404);
    await Sentry.flush(5000);
    expect(receiver.events).toEqual([]);
    const { exposition } = await scrape(app!);
    expect(exposition.samples.filter((s) => s.name === 'errors_total')).toEqual([]);
  });

  it('reports 5xx HttpExceptions', async () => {
    await start();
    const response = await fetch(`${url}/unavailable`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      statusCode: 503,
      message: 'try later',
      error: 'Service Unavailable',
    });
    await Sentry.flush(5000);
    expect(receiver.events.map((e) => e.exception.values[0].type)).toEqual([
      'ServiceUnavailableException',
    ]);
    expect(receiver.events[0].tags).toMatchObject({ route: '/unavailable', method: 'GET' });
  });

  it('reports 4xx too with errors.reportClientErrors, as warnings', async () => {
    await start(options({ reportClientErrors: true }));
    expect((await fetch(`${url}/missing`)).status).toBe(404);
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      level: 'warning',
      exception: { values: [{ type: 'NotFoundException', value: 'no such order' }] },
    });
  });

  it('lets user filters answer (global APP_FILTER and @UseFilters) and still reports their unknown errors', async () => {
    await start();
    const domain = await fetch(`${url}/domain`);
    expect(domain.status).toBe(422);
    expect(await domain.json()).toEqual({ error: 'domain', detail: 'order already shipped' });
    const teapot = await fetch(`${url}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ teapot: true });
    await Sentry.flush(5000);
    expect(receiver.events.map((e) => e.exception.values[0].type).sort()).toEqual([
      'DomainError',
      'TeapotError',
    ]);
  });

  it('reports what a filter of app.useGlobalFilters() answers, from a guard too, with no interceptor', async () => {
    ({ app, url } = await listen(appModule(options()), adapter, {
      setup: (created) => created.useGlobalFilters(new GuardErrorFilter()),
    }));
    const guarded = await fetch(`${url}/guarded`);
    expect(guarded.status).toBe(409);
    expect(await guarded.json()).toEqual({ guard: 'refused' });
    const teapot = await fetch(`${url}/teapot`);
    expect(teapot.status).toBe(418);
    await Sentry.flush(5000);
    expect(receiver.events.map((e) => e.exception.values[0].type).sort()).toEqual([
      'GuardError',
      'TeapotError',
    ]);
    expect(receiver.events.find((e) => e.exception.values[0].type === 'GuardError')).toMatchObject({
      tags: { route: '/guarded', method: 'GET' },
      request: { method: 'GET' },
    });
    // The exception filters report; nothing runs around every handler.
    expect(app!.get(ApplicationConfig).getGlobalInterceptors()).toEqual([]);
  });

  it('handleError reports a critical error to Sentry, errors_total and the alerting service', async () => {
    await start();
    const response = await fetch(`${url}/critical`, { headers: { 'x-request-id': 'crit-1' } });
    expect(await response.json()).toEqual({ reported: true });
    await Sentry.flush(5000);
    expect(receiver.events).toHaveLength(1);
    expect(receiver.events[0]).toMatchObject({
      level: 'fatal',
      exception: { values: [{ type: 'Error', value: 'ledger out of balance' }] },
      tags: { request_id: 'crit-1', context: 'billing', route: '/critical' },
      contexts: { details: { invoiceId: 'inv-9', secretKey: '[Redacted]' } },
    });
    expect(JSON.stringify(receiver.envelopes)).not.toContain('SHOULD-NOT-LEAVE');
    // The built-in AlertingService is the one registered under ALERTING_SERVICE_TOKEN.
    expect(app!.get(AlertingService).getActive()).toEqual([
      expect.objectContaining({
        name: 'CriticalError',
        severity: 'critical',
        summary: 'Critical error Error in orders-api',
        description: 'ledger out of balance',
        labels: { service: 'orders-api', error_type: 'Error' },
        annotations: { request_id: 'crit-1', route: '/critical', context: 'billing' },
      }),
    ]);
    const { exposition } = await scrape(app!);
    expect(
      sampleValue(exposition, 'errors_total', {
        service: 'orders-api',
        error_type: 'Error',
        severity: 'critical',
      }),
    ).toBe(1);
  });

  it('flushes pending events when the application shuts down', async () => {
    await start();
    expect((await fetch(`${url}/unavailable`)).status).toBe(503);
    await app!.close();
    app = undefined;
    expect(receiver.events).toHaveLength(1);
  });

  it('leaves Sentry tracing off without a sample rate: no tracesSampleRate, no transactions', async () => {
    await start();
    expect(Sentry.getClient()?.getOptions().tracesSampleRate).toBeUndefined();
    for (let i = 0; i < 5; i++) expect((await fetch(`${url}/missing`)).status).toBe(404);
    await Sentry.flush(5000);
    expect(transactions()).toEqual([]);
  });

  it('sends nothing when the module disables error tracking, and still answers and counts', async () => {
    await start(options({ enabled: false }));
    expect(app!.get(ErrorTrackingService).sentryEnabled).toBe(false);
    const response = await fetch(`${url}/orders/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(500);
    await Sentry.flush(5000);
    expect(receiver.events).toEqual([]);
    const { exposition } = await scrape(app!);
    expect(
      sampleValue(exposition, 'errors_total', {
        service: 'orders-api',
        error_type: 'TypeError',
        severity: 'error',
      }),
    ).toBe(1);
  });
});

describe('tracing, in a process of its own (Sentry patches HTTP once, with the first client’s choice)', () => {
  /** This process's environment without the sample rates. */
  const untraced = () => {
    const env = { ...process.env };
    delete env.SENTRY_TRACES_SAMPLE_RATE;
    delete env.SENTRY_PROFILES_SAMPLE_RATE;
    delete env.SENTRY_REQUEST_SESSIONS;
    return env;
  };
  /** Runs the tracing fixture with `env`; resolves with the client's tracesSampleRate. */
  const runApp = (env: Record<string, string>) =>
    new Promise<{ tracesSampleRate: number | null }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'test/fixtures/sentry-tracing-app/main.ts'],
        {
          cwd: join(__dirname, '..'),
          env: { ...untraced(), SENTRY_DSN: receiver.dsn, ...env },
          stdio: 'pipe',
        },
      );
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        const line = /^DONE (.*)$/m.exec(output);
        if (line) resolve(JSON.parse(line[1]));
        else reject(new Error(`The tracing app exited (${code}) without DONE:\n${output}`));
      });
    });

  /** The release-health aggregates of requests received so far. */
  const requestSessions = () =>
    receiver.envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.header.type === 'sessions'),
    );

  it('sends no transactions and no request sessions without a sample rate', async () => {
    receiver.clear();
    expect(await runApp({})).toEqual({ tracesSampleRate: null });
    expect(transactions()).toEqual([]);
    expect(requestSessions()).toEqual([]);
  }, 60_000);

  it('sends request sessions with SENTRY_REQUEST_SESSIONS=true', async () => {
    receiver.clear();
    expect(await runApp({ SENTRY_REQUEST_SESSIONS: 'true' })).toEqual({ tracesSampleRate: null });
    expect(transactions()).toEqual([]);
    const exited = requestSessions()
      .flatMap((item) => item.payload.aggregates)
      .reduce((sum: number, bucket: { exited: number }) => sum + bucket.exited, 0);
    expect(exited).toBe(3);
  }, 60_000);

  it('sends transactions with SENTRY_TRACES_SAMPLE_RATE set', async () => {
    receiver.clear();
    expect(await runApp({ SENTRY_TRACES_SAMPLE_RATE: '1' })).toEqual({ tracesSampleRate: 1 });
    expect(transactions().length).toBeGreaterThan(0);
  }, 60_000);
});
