import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  type INestApplication,
  Module,
  UseFilters,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import * as Sentry from '@sentry/nestjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservabilityModule } from 'nestjs-observability';
import { sampleValue } from './utils/exposition';
import { freePort } from './utils/free-port';
import { ADAPTERS, listen } from './utils/http-apps';
import { LogCapture } from './utils/log-capture';
import { scrape } from './utils/metrics-client';
import { SentryReceiver } from './utils/sentry-receiver';

/**
 * Options that come from `@nestjs/config` and a real `.env` file, not from the environment
 * the module was imported in: `forRootAsync` gets every option from a `ConfigService`, and
 * `forRoot` listed before `ConfigModule.forRoot()` still sees the variables of `.env`. The
 * error-reporting interceptor (errors your own `@UseFilters()` answer) is decided from the
 * resolved options in both cases.
 *
 * A `*.sentry-e2e-spec.ts` (its own Jest run, `npm run test:sentry`): Sentry's client is
 * process-wide. The first app initialises it with the receiver's DSN; the second reuses it.
 */

class TeapotError extends Error {
  override name = 'TeapotError';
}

@Catch(TeapotError)
class TeapotFilter implements ExceptionFilter {
  catch(_exception: TeapotError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    response.status(418).json({ teapot: true });
  }
}

@Controller()
class TeapotController {
  @Get('teapot')
  @UseFilters(TeapotFilter)
  teapot() {
    throw new TeapotError('short and stout');
  }

  @Get('hello')
  hello() {
    return { hello: true };
  }
}

const receiver = new SentryReceiver();
/** Variables `ConfigModule` copies into `process.env`; removed after each test. */
const written = new Set<string>();
let dir: string;
let app: INestApplication | undefined;

function writeDotEnv(vars: Record<string, string>): string {
  const file = join(dir, `${written.size}.env`);
  writeFileSync(
    file,
    Object.entries(vars)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  for (const key of Object.keys(vars)) written.add(key);
  return file;
}

beforeAll(async () => {
  await receiver.start();
  dir = mkdtempSync(join(tmpdir(), 'observability-dotenv-'));
});

beforeEach(() => {
  receiver.clear();
  for (const key of ['SENTRY_DSN', 'SERVICE_NAME', 'METRICS_PREFIX', 'HEALTH_DETAILED_TOKEN']) {
    expect([key, process.env[key]]).toEqual([key, undefined]);
  }
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const key of written) delete process.env[key];
  written.clear();
});

afterAll(async () => {
  await Sentry.close(2000);
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('forRootAsync: every option the factory reads from a ConfigService backed by .env applies', async () => {
  const port = await freePort();
  // Names the library does not read itself: only the ConfigService can carry them.
  const envFilePath = writeDotEnv({
    OBS_SERVICE: 'dotenv-api',
    OBS_ENV: 'staging',
    OBS_VERSION: '4.5.6',
    OBS_METRICS_PORT: String(port),
    OBS_METRICS_PREFIX: 'dotenv_',
    OBS_SENTRY_DSN: receiver.dsn,
    OBS_HEALTH_TOKEN: 'h3alth-t0ken',
    OBS_LOG_LEVEL: 'warn',
  });
  const capture = new LogCapture();
  @Module({
    imports: [
      ObservabilityModule.forRootAsync({
        imports: [ConfigModule.forRoot({ envFilePath })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          service: config.getOrThrow<string>('OBS_SERVICE'),
          environment: config.getOrThrow<string>('OBS_ENV'),
          version: config.getOrThrow<string>('OBS_VERSION'),
          metrics: {
            port: Number(config.getOrThrow('OBS_METRICS_PORT')),
            host: '127.0.0.1',
            prefix: config.getOrThrow<string>('OBS_METRICS_PREFIX'),
            defaultMetrics: false,
          },
          errors: { dsn: config.getOrThrow<string>('OBS_SENTRY_DSN') },
          health: { detailedToken: config.getOrThrow<string>('OBS_HEALTH_TOKEN') },
          logging: { level: config.getOrThrow('OBS_LOG_LEVEL'), stream: capture },
        }),
      }),
    ],
    controllers: [TeapotController],
  })
  class AppModule {}
  const url = await start(AppModule);

  // errors.dsn: the error a user filter answers is reported (the interceptor is registered).
  const teapot = await fetch(`${url}/teapot`);
  expect(teapot.status).toBe(418);
  expect(await teapot.json()).toEqual({ teapot: true });
  await Sentry.flush(5000);
  expect(receiver.events).toHaveLength(1);
  // environment and version reach Sentry; service tags the event.
  expect(receiver.events[0]).toMatchObject({
    environment: 'staging',
    release: '4.5.6',
    tags: { service: 'dotenv-api' },
    exception: { values: [{ type: 'TeapotError', value: 'short and stout' }] },
  });

  // service and version: the basic health body.
  expect(await (await fetch(`${url}/health`)).json()).toMatchObject({
    status: 'ok',
    service: 'dotenv-api',
    version: '4.5.6',
  });
  // health.detailedToken.
  expect((await fetch(`${url}/health/detailed`)).status).toBe(401);
  const detailed = await fetch(`${url}/health/detailed`, {
    headers: { authorization: 'Bearer h3alth-t0ken' },
  });
  expect(detailed.status).toBe(200);

  // metrics.port and metrics.prefix: the metrics server on the configured port, prefixed names.
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toMatch(/^dotenv_http_requests_total\{.*service="dotenv-api"/m);

  // logging.level: warn drops the info request lines.
  await fetch(`${url}/hello`);
  expect(capture.lines.filter((line) => line.level === 'info')).toEqual([]);
});

it('forRoot listed before ConfigModule.forRoot(): the variables of .env apply', async () => {
  const envFilePath = writeDotEnv({
    SERVICE_NAME: 'dotenv-root',
    SENTRY_DSN: receiver.dsn,
    METRICS_PREFIX: 'rooted_',
    HEALTH_DETAILED_TOKEN: 'r00t-t0ken',
  });
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
        logging: { stream: new LogCapture() },
      }),
      ConfigModule.forRoot({ envFilePath }),
    ],
    controllers: [TeapotController],
  })
  class AppModule {}
  const url = await start(AppModule);

  expect((await fetch(`${url}/teapot`)).status).toBe(418);
  await Sentry.flush(5000);
  expect(receiver.events.map((event) => event.exception.values[0].type)).toEqual(['TeapotError']);
  expect((await fetch(`${url}/health/detailed`)).status).toBe(401);
  const { exposition } = await scrape(app!);
  expect(
    sampleValue(exposition, 'rooted_http_requests_total', {
      service: 'dotenv-root',
      method: 'GET',
      route: '/teapot',
      status_code: '418',
    }),
  ).toBe(1);
});

async function start(module: unknown): Promise<string> {
  let url: string;
  ({ app, url } = await listen(module, ADAPTERS[0][1]));
  return url;
}
