import {
  type ArgumentsHost,
  Body,
  Catch,
  type CanActivate,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpException,
  type INestApplication,
  Injectable,
  type MessageEvent,
  type MiddlewareConsumer,
  Module,
  type NestMiddleware,
  Param,
  ParseIntPipe,
  Post,
  Sse,
  StreamableFile,
  UnauthorizedException,
  UseFilters,
  UseGuards,
  VERSION_NEUTRAL,
  VersioningType,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { interval, map, take, type Observable } from 'rxjs';
import {
  createExpressMetricsMiddleware,
  createFastifyMetricsHook,
  CustomMetricsService,
  ObservabilityModule,
  type ObservabilityModuleOptions,
} from 'nestjs-observability';
import { type Exposition, findSamples, sampleValue } from './utils/exposition';
import { eventually, send, sendAndAbort } from './utils/http-client';
import { scrape } from './utils/metrics-client';

const SERVICE = 'http-e2e';
const base: ObservabilityModuleOptions = {
  service: SERVICE,
  metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
  // The app below serves a /health of its own, as apps without the health endpoints do.
  health: { enabled: false },
};

class DomainError extends Error {}

@Catch(DomainError)
class DomainErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(_error: DomainError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.reply(response, { error: 'domain' }, 422);
  }
}

@Injectable()
class RoleGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const role = context.switchToHttp().getRequest().headers['x-role'];
    if (!role) throw new UnauthorizedException();
    return role === 'admin';
  }
}

@Injectable()
class FailingMiddleware implements NestMiddleware {
  use(req: { headers: Record<string, string> }, _res: unknown, next: () => void): void {
    if (req.headers['x-fail-middleware']) throw new HttpException('middleware says no', 503);
    next();
  }
}

/** Lets a test hold the slow handler open and know when it started. */
class Gate {
  entered!: Promise<void>;
  release!: () => void;
  private enter!: () => void;
  private released!: Promise<void>;
  constructor() {
    this.reset();
  }
  reset(): void {
    this.entered = new Promise((resolve) => (this.enter = resolve));
    this.released = new Promise((resolve) => (this.release = resolve));
  }
  async pass(): Promise<void> {
    this.enter();
    await this.released;
  }
}

const gate = new Gate();

@Controller({ path: 'users', version: '1' })
class UsersController {
  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number) {
    return { id };
  }

  @Get(':id/teapot')
  teapot(): never {
    throw new HttpException('short and stout', 418);
  }

  @Get(':id/boom')
  boom(): never {
    throw new Error('unexpected');
  }

  @Get(':id/domain')
  @UseFilters(DomainErrorFilter)
  domain(): never {
    throw new DomainError('mapped by a filter');
  }

  @Get(':id/admin')
  @UseGuards(RoleGuard)
  admin() {
    return { ok: true };
  }

  @Post()
  create(@Body() body: unknown) {
    return body;
  }
}

@Controller({ path: 'streams', version: '1' })
class StreamsController {
  @Get('slow')
  async slow() {
    await gate.pass();
    return { slow: true };
  }

  @Get('file')
  file(): StreamableFile {
    let sent = 0;
    const stream = new Readable({
      read() {
        if (sent === 4) return void this.push(null);
        sent++;
        setTimeout(() => this.push(Buffer.from(`chunk ${sent}\n`)), 40);
      },
    });
    return new StreamableFile(stream, { type: 'text/plain' });
  }

  @Sse('events')
  events(): Observable<MessageEvent> {
    return interval(40).pipe(
      take(4),
      map((i) => ({ data: { i } })),
    );
  }
}

@Controller({ path: 'health', version: VERSION_NEUTRAL })
class HealthController {
  @Get()
  health() {
    return { status: 'ok' };
  }
}

function appModule(options: ObservabilityModuleOptions) {
  @Module({
    imports: [ObservabilityModule.forRoot(options)],
    controllers: [UsersController, StreamsController, HealthController],
  })
  class AppModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(FailingMiddleware).forRoutes(UsersController);
    }
  }
  return AppModule;
}

type AdapterClass = typeof ExpressAdapter | typeof FastifyAdapter;

async function listen(app: INestApplication): Promise<string> {
  app.setGlobalPrefix('api', { exclude: [] });
  app.enableVersioning({ type: VersioningType.URI });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

const requests = (exposition: Exposition, method: string, route: string, status: number) =>
  sampleValue(exposition, 'http_requests_total', {
    service: SERVICE,
    method,
    route,
    status_code: String(status),
  });

const durationCount = (exposition: Exposition, method: string, route: string, status: number) =>
  sampleValue(exposition, 'http_request_duration_seconds_count', {
    service: SERVICE,
    method,
    route,
    status_code: String(status),
  });

const durationSum = (exposition: Exposition, method: string, route: string, status: number) =>
  sampleValue(exposition, 'http_request_duration_seconds_sum', {
    service: SERVICE,
    method,
    route,
    status_code: String(status),
  });

describe.each([
  ['Express', ExpressAdapter],
  ['Fastify', FastifyAdapter],
] as Array<[string, AdapterClass]>)('HTTP metrics on %s', (_name, Adapter) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    gate.reset();
  });

  async function boot(options: ObservabilityModuleOptions = base) {
    const app = await NestFactory.create(appModule(options), new Adapter(), {
      logger: false,
      abortOnError: false,
    });
    apps.push(app);
    return { app, url: await listen(app) };
  }

  it('counts every response once under its route template and the status the client got', async () => {
    const { app, url } = await boot();
    const got = async (method: string, path: string, init?: Parameters<typeof send>[3]) =>
      (await send(url, method, path, init)).status;

    expect(await got('GET', '/api/v1/users/1')).toBe(200);
    expect(await got('GET', '/api/v1/users/2?verbose=true')).toBe(200);
    expect(await got('GET', '/api/v1/users/abc')).toBe(400); // ParseIntPipe
    expect(await got('GET', '/api/v1/users/3/teapot')).toBe(418); // HttpException
    expect(await got('GET', '/api/v1/users/3/boom')).toBe(500); // unknown error
    expect(await got('GET', '/api/v1/users/3/domain')).toBe(422); // user exception filter
    expect(await got('GET', '/api/v1/users/3/admin')).toBe(401); // guard throws
    expect(await got('GET', '/api/v1/users/3/admin', { headers: { 'x-role': 'user' } })).toBe(403); // guard returns false
    expect(await got('GET', '/api/v1/users/3/admin', { headers: { 'x-role': 'admin' } })).toBe(200);
    expect(await got('GET', '/api/v1/users/4', { headers: { 'x-fail-middleware': '1' } })).toBe(
      503,
    ); // middleware error
    expect(await got('GET', '/api/v1/nothing/here')).toBe(404);
    expect(await got('GET', '/wp-login.php')).toBe(404);
    expect(await got('DELETE', '/api/v1/users/1')).toBe(404);
    const json = { 'content-type': 'application/json' };
    expect(await got('POST', '/api/v1/users', { headers: json, body: '{"name":"ada"}' })).toBe(201);
    expect(await got('POST', '/api/v1/users', { headers: json, body: '{"name":' })).toBe(400);
    const big = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
    expect(await got('POST', '/api/v1/users', { headers: json, body: big })).toBe(413);
    expect(await got('GET', '/api/health')).toBe(200); // ignored by default

    const { exposition } = await scrape(app);
    const id = '/api/v1/users/:id';
    expect(requests(exposition, 'GET', id, 200)).toBe(2);
    expect(requests(exposition, 'GET', id, 400)).toBe(1);
    expect(requests(exposition, 'GET', id, 503)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/teapot`, 418)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/boom`, 500)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/domain`, 422)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/admin`, 401)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/admin`, 403)).toBe(1);
    expect(requests(exposition, 'GET', `${id}/admin`, 200)).toBe(1);
    expect(requests(exposition, 'GET', 'UNMATCHED', 404)).toBe(2);
    expect(requests(exposition, 'DELETE', 'UNMATCHED', 404)).toBe(1);
    expect(requests(exposition, 'POST', '/api/v1/users', 201)).toBe(1);
    expect(requests(exposition, 'POST', '/api/v1/users', 400)).toBe(1);
    expect(requests(exposition, 'POST', '/api/v1/users', 413)).toBe(1);
    // Nothing else: no raw path, no health check, nothing counted twice.
    const all = findSamples(exposition, 'http_requests_total', { service: SERVICE });
    expect(all.reduce((sum, s) => sum + s.value, 0)).toBe(16);
    expect(all.every((s) => !s.labels.route.includes('?') && !/\/\d/.test(s.labels.route))).toBe(
      true,
    );
    // The histogram saw the same responses.
    expect(durationCount(exposition, 'GET', id, 200)).toBe(2);
    expect(durationCount(exposition, 'POST', '/api/v1/users', 413)).toBe(1);
    expect(exposition.types.http_request_duration_seconds).toBe('histogram');
    expect(exposition.types.http_requests_in_progress).toBe('gauge');
  });

  it('counts an aborted request once as 499 and tracks requests in progress', async () => {
    const { app, url } = await boot();
    const route = '/api/v1/streams/slow';
    const inProgress = (exposition: Exposition) =>
      sampleValue(exposition, 'http_requests_in_progress', {
        service: SERVICE,
        method: 'GET',
        route,
      });

    // One request held open: in progress.
    const pending = send(url, 'GET', '/api/v1/streams/slow');
    await gate.entered;
    expect(inProgress((await scrape(app)).exposition)).toBe(1);
    gate.release();
    expect((await pending).status).toBe(200);
    expect(inProgress((await scrape(app)).exposition)).toBe(0);

    // The client goes away while the handler still works.
    gate.reset();
    await sendAndAbort(url, '/api/v1/streams/slow', gate.entered);
    await eventually(async () => {
      const found = findSamples((await scrape(app)).exposition, 'http_requests_total', {
        route,
        status_code: '499',
      });
      return found.length === 1;
    });
    gate.release();
    // Let the handler answer into the closed connection; it must not count again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { exposition } = await scrape(app);
    expect(requests(exposition, 'GET', route, 499)).toBe(1);
    expect(requests(exposition, 'GET', route, 200)).toBe(1);
    expect(inProgress(exposition)).toBe(0);
    expect(findSamples(exposition, 'http_requests_total', { service: SERVICE })).toHaveLength(2);
  });

  it('times a streamed file and a server-sent event stream until their last byte', async () => {
    const { app, url } = await boot();
    const file = await send(url, 'GET', '/api/v1/streams/file');
    expect(file).toEqual({ status: 200, body: 'chunk 1\nchunk 2\nchunk 3\nchunk 4\n' });
    const events = await send(url, 'GET', '/api/v1/streams/events');
    expect(events.status).toBe(200);
    expect(events.body.match(/^data: /gm)).toHaveLength(4);

    const { exposition } = await scrape(app);
    expect(requests(exposition, 'GET', '/api/v1/streams/file', 200)).toBe(1);
    expect(requests(exposition, 'GET', '/api/v1/streams/events', 200)).toBe(1);
    // Four chunks 40 ms apart: a response timed at its headers would be far below 0.12 s.
    expect(durationSum(exposition, 'GET', '/api/v1/streams/file', 200)).toBeGreaterThan(0.12);
    expect(durationSum(exposition, 'GET', '/api/v1/streams/events', 200)).toBeGreaterThan(0.12);
  });

  it('skips the configured ignorePaths (exact and patterns) and records body sizes', async () => {
    const { app, url } = await boot({
      ...base,
      http: {
        ignorePaths: ['/api/v1/users/1', /\/teapot$/],
        buckets: [0.5, 1],
        requestSizeHistogram: true,
        responseSizeHistogram: true,
      },
    });
    expect((await send(url, 'GET', '/api/v1/users/1')).status).toBe(200);
    expect((await send(url, 'GET', '/api/v1/users/1?x=1')).status).toBe(200);
    expect((await send(url, 'GET', '/api/v1/users/9/teapot')).status).toBe(418);
    expect((await send(url, 'GET', '/api/v1/users/2')).status).toBe(200);
    expect((await send(url, 'GET', '/api/health')).status).toBe(200); // not ignored any more
    const body = '{"name":"grace"}';
    const created = await send(url, 'POST', '/api/v1/users', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(created.status).toBe(201);

    const { exposition } = await scrape(app);
    const all = findSamples(exposition, 'http_requests_total', { service: SERVICE });
    expect(
      all.map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status_code}`).sort(),
    ).toEqual(['GET /api/health 200', 'GET /api/v1/users/:id 200', 'POST /api/v1/users 201']);
    expect(requests(exposition, 'GET', '/api/v1/users/:id', 200)).toBe(1);
    const labels = { service: SERVICE, method: 'POST', route: '/api/v1/users', status_code: '201' };
    expect(
      findSamples(exposition, 'http_request_duration_seconds_bucket', labels).map(
        (s) => s.labels.le,
      ),
    ).toEqual(['0.5', '1', '+Inf']);
    expect(sampleValue(exposition, 'http_request_size_bytes_sum', labels)).toBe(body.length);
    expect(sampleValue(exposition, 'http_response_size_bytes_sum', labels)).toBe(
      Buffer.byteLength(created.body),
    );
  });

  it('records nothing with http.enabled false', async () => {
    const { app, url } = await boot({ ...base, http: { enabled: false } });
    expect((await send(url, 'GET', '/api/v1/users/1')).status).toBe(200);
    const { exposition } = await scrape(app);
    expect(findSamples(exposition, 'http_requests_total')).toHaveLength(0);
  });

  it('works in an app built by the testing module', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [appModule(base)] }).compile();
    const app = moduleRef.createNestApplication(new Adapter(), { logger: false });
    apps.push(app);
    const url = await listen(app);
    const big = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
    const headers = { 'content-type': 'application/json' };
    expect((await send(url, 'POST', '/api/v1/users', { headers, body: big })).status).toBe(413);
    expect((await send(url, 'GET', '/api/v1/users/5')).status).toBe(200);
    const { exposition } = await scrape(app);
    expect(requests(exposition, 'POST', '/api/v1/users', 413)).toBe(1);
    expect(requests(exposition, 'GET', '/api/v1/users/:id', 200)).toBe(1);
  });
});

describe('Hand-wired HTTP metrics (seed API)', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const options: ObservabilityModuleOptions = { ...base, http: { enabled: false } };

  it('createExpressMetricsMiddleware({ monitoring, ignorePaths }) records through the module', async () => {
    const app = await NestFactory.create(appModule(options), new ExpressAdapter(), {
      logger: false,
    });
    apps.push(app);
    app.use(
      createExpressMetricsMiddleware({
        monitoring: app.get(CustomMetricsService),
        ignorePaths: ['/api/health', '/metrics'],
      }),
    );
    const url = await listen(app);
    expect((await send(url, 'GET', '/api/v1/users/7')).status).toBe(200);
    expect((await send(url, 'GET', '/api/health')).status).toBe(200);
    expect((await send(url, 'GET', '/nope')).status).toBe(404);
    const { exposition } = await scrape(app);
    expect(requests(exposition, 'GET', '/api/v1/users/:id', 200)).toBe(1);
    expect(requests(exposition, 'GET', 'UNMATCHED', 404)).toBe(1);
    expect(findSamples(exposition, 'http_requests_total')).toHaveLength(2);
  });

  it('createFastifyMetricsHook({ monitoring }) records through the module', async () => {
    const app = await NestFactory.create(appModule(options), new FastifyAdapter(), {
      logger: false,
    });
    apps.push(app);
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onRequest', createFastifyMetricsHook({ monitoring: app }));
    const url = await listen(app);
    expect((await send(url, 'GET', '/api/v1/users/7')).status).toBe(200);
    expect((await send(url, 'GET', '/api/health')).status).toBe(200);
    const { exposition } = await scrape(app);
    expect(requests(exposition, 'GET', '/api/v1/users/:id', 200)).toBe(1);
    expect(findSamples(exposition, 'http_requests_total')).toHaveLength(1);
  });

  it('does not count twice when the module already records', async () => {
    const app = await NestFactory.create(appModule(base), new ExpressAdapter(), { logger: false });
    apps.push(app);
    app.use(createExpressMetricsMiddleware({ monitoring: app }));
    const url = await listen(app);
    expect((await send(url, 'GET', '/api/v1/users/7')).status).toBe(200);
    const { exposition } = await scrape(app);
    expect(requests(exposition, 'GET', '/api/v1/users/:id', 200)).toBe(1);
    expect(findSamples(exposition, 'http_requests_total')).toHaveLength(1);
  });

  it('refuses a monitoring that is not an application with the module', () => {
    expect(() => createExpressMetricsMiddleware({ monitoring: {} as never })).toThrow(
      'createExpressMetricsMiddleware() needs "monitoring"',
    );
  });
});
