import {
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Injectable,
  type INestApplication,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Scope,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Observable, timer, map } from 'rxjs';
import {
  CountCalls,
  CustomMetricsService,
  ObservabilityModule,
  TrackDuration,
} from 'nestjs-observability';
import { type Exposition, findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';

class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-allow'] === 'yes';
  }
}

@Injectable()
class Greeter {
  prefix = 'hello';

  @TrackDuration()
  greet(name: string): string {
    return `${this.prefix} ${name}`;
  }

  @TrackDuration('greeter_slow_seconds', { labels: { tier: 'gold' }, buckets: [0.01, 10, 60] })
  async slow(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }

  received: unknown[] = [];

  @OnEvent('user.created')
  @TrackDuration()
  onUserCreated(payload: unknown): void {
    this.received.push(payload);
  }

  @Cron('0 0 * * *', { name: 'nightly' })
  @CountCalls()
  nightly(): string {
    return 'done';
  }
}

@Injectable({ scope: Scope.REQUEST })
class PerRequest {
  @CountCalls()
  work(): string {
    return 'per-request';
  }
}

@Controller('items')
class ItemsController {
  constructor(
    private readonly greeter: Greeter,
    private readonly perRequest: PerRequest,
  ) {}

  @TrackDuration()
  @CountCalls()
  @Get(':id')
  find(@Param('id', ParseIntPipe) id: number): { id: number; greeting: string } {
    if (id === 404) throw new NotFoundException(`Item ${id} not found`);
    if (id === 500) throw new Error('database exploded');
    return { id, greeting: this.greeter.greet(`#${id}`) };
  }

  @Get('stream/ticks')
  @TrackDuration()
  ticks(): Observable<{ tick: number }> {
    return timer(30).pipe(map(() => ({ tick: 1 })));
  }

  @TrackDuration()
  @UseGuards(DenyGuard)
  @Get('guarded/area')
  guarded(): string {
    return 'secret';
  }

  @Get('scoped/work')
  scoped(): string {
    return this.perRequest.work();
  }

  @Get('teapot/brew')
  @TrackDuration()
  async teapot(): Promise<never> {
    throw new HttpException({ message: 'short and stout' }, HttpStatus.I_AM_A_TEAPOT);
  }
}

@Module({
  imports: [
    ObservabilityModule.forRoot({
      service: 'deco',
      metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
    }),
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
  ],
  controllers: [ItemsController],
  providers: [Greeter, PerRequest],
})
class AppModule {}

const count = (e: Exposition, name: string, labels: Record<string, string>) =>
  sampleValue(e, `${name}_count`, { service: 'deco', ...labels });

describe('decorators in a running application', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  it('a decorated controller method still routes, with pipes, and is measured', async () => {
    const response = await fetch(`${url}/items/7`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 7, greeting: 'hello #7' });
    const { exposition: e } = await scrape(app);
    const labels = { class: 'ItemsController', method: 'find', status: 'success' };
    expect(count(e, 'method_duration_seconds', labels)).toBe(1);
    expect(sampleValue(e, 'method_calls_total', { service: 'deco', ...labels })).toBe(1);
    expect(
      count(e, 'method_duration_seconds', { class: 'Greeter', method: 'greet', status: 'success' }),
    ).toBe(1);
  });

  it('a decorated method that throws gives the client Nest’s normal error and counts an error', async () => {
    const notFound = await fetch(`${url}/items/404`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({
      statusCode: 404,
      message: 'Item 404 not found',
      error: 'Not Found',
    });
    const crash = await fetch(`${url}/items/500`);
    expect(crash.status).toBe(500);
    expect(await crash.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    const teapot = await fetch(`${url}/items/teapot/brew`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ message: 'short and stout' });
    const { exposition: e } = await scrape(app);
    const errors = { class: 'ItemsController', method: 'find', status: 'error' };
    expect(count(e, 'method_duration_seconds', errors)).toBe(2);
    expect(sampleValue(e, 'method_calls_total', { service: 'deco', ...errors })).toBe(2);
    expect(
      count(e, 'method_duration_seconds', {
        class: 'ItemsController',
        method: 'teapot',
        status: 'error',
      }),
    ).toBe(1);
  });

  it('pipes and guards above the decorated method still run before it', async () => {
    expect((await fetch(`${url}/items/abc`)).status).toBe(400);
    expect((await fetch(`${url}/items/guarded/area`)).status).toBe(403);
    const allowed = await fetch(`${url}/items/guarded/area`, { headers: { 'x-allow': 'yes' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toBe('secret');
    const { exposition: e } = await scrape(app);
    // Rejected before the handler ran: not a call of the method.
    expect(
      count(e, 'method_duration_seconds', {
        class: 'ItemsController',
        method: 'guarded',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      findSamples(e, 'method_duration_seconds_count', { method: 'guarded', status: 'error' }),
    ).toEqual([]);
  });

  it('times an Observable until it completes', async () => {
    const response = await fetch(`${url}/items/stream/ticks`);
    expect(await response.json()).toEqual({ tick: 1 });
    const { exposition: e } = await scrape(app);
    const labels = {
      service: 'deco',
      class: 'ItemsController',
      method: 'ticks',
      status: 'success',
    };
    expect(sampleValue(e, 'method_duration_seconds_count', labels)).toBe(1);
    expect(sampleValue(e, 'method_duration_seconds_sum', labels)).toBeGreaterThanOrEqual(0.025);
    expect(sampleValue(e, 'method_duration_seconds_bucket', { ...labels, le: '0.025' })).toBe(0);
  });

  it('applies a custom name, constant labels and buckets', async () => {
    await expect(app.get(Greeter).slow(20)).resolves.toBe(20);
    const { exposition: e } = await scrape(app);
    const labels = {
      service: 'deco',
      class: 'Greeter',
      method: 'slow',
      status: 'success',
      tier: 'gold',
    };
    expect(e.help.greeter_slow_seconds).toBe(
      'Duration of methods decorated with @TrackDuration() in seconds.',
    );
    expect(
      findSamples(e, 'greeter_slow_seconds_bucket', labels).map((s) => [s.labels.le, s.value]),
    ).toEqual([
      // At least 20 ms; the upper buckets are far enough for a loaded machine.
      ['0.01', 0],
      ['10', 1],
      ['60', 1],
      ['+Inf', 1],
    ]);
  });

  it('@OnEvent() on a decorated method still receives events', async () => {
    await app.get(EventEmitter2).emitAsync('user.created', { id: 1 });
    expect(app.get(Greeter).received).toEqual([{ id: 1 }]);
    const { exposition: e } = await scrape(app);
    expect(
      count(e, 'method_duration_seconds', {
        class: 'Greeter',
        method: 'onUserCreated',
        status: 'success',
      }),
    ).toBe(1);
  });

  it('@Cron() on a decorated method is still scheduled and counted when it fires', async () => {
    const job = app.get(SchedulerRegistry).getCronJob('nightly');
    expect(job).toBeDefined();
    await job.fireOnTick();
    const { exposition: e } = await scrape(app);
    expect(
      sampleValue(e, 'method_calls_total', {
        service: 'deco',
        class: 'Greeter',
        method: 'nightly',
        status: 'success',
      }),
    ).toBe(1);
  });

  it('records calls of request-scoped providers', async () => {
    for (let i = 0; i < 3; i++)
      expect(await (await fetch(`${url}/items/scoped/work`)).text()).toBe('per-request');
    const { exposition: e } = await scrape(app);
    expect(
      sampleValue(e, 'method_calls_total', {
        service: 'deco',
        class: 'PerRequest',
        method: 'work',
        status: 'success',
      }),
    ).toBe(3);
  });

  it('a second application with the same classes records into its own registry', async () => {
    const other = await NestFactory.create(AppModule, { logger: false });
    await other.init();
    try {
      other.get(Greeter).greet('x');
      other.get(Greeter).greet('y');
      const mine = (await scrape(app)).exposition;
      const theirs = (await scrape(other)).exposition;
      const labels = { class: 'Greeter', method: 'greet', status: 'success' };
      expect(count(theirs, 'method_duration_seconds', labels)).toBe(2);
      expect(count(mine, 'method_duration_seconds', labels)).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('exposes the same metric through CustomMetricsService', async () => {
    expect(await app.get(CustomMetricsService).getMetrics()).toContain(
      'method_duration_seconds_count{service="deco",class="Greeter",method="greet",status="success"}',
    );
  });
});
