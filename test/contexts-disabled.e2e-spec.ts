import { Controller, type INestMicroservice, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  Transport,
} from '@nestjs/microservices';
import { Interval, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { ObservabilityModule } from 'nestjs-observability';
import { firstValueFrom } from 'rxjs';
import { findSamples } from './utils/exposition';
import { freePort } from './utils/free-port';
import { scrape } from './utils/metrics-client';
import { startTracing, type TestTracing, waitFor } from './utils/tracing';

@Controller()
class EchoController {
  @MessagePattern('echo')
  echo(text: string): string {
    return text;
  }
}

@Injectable()
class Ticker {
  ticks = 0;
  constructor(private readonly registry: SchedulerRegistry) {}

  @Interval('tick', 10)
  tick(): void {
    if (++this.ticks === 2) this.registry.deleteInterval('tick');
  }
}

describe.each([
  ['forRoot', false],
  ['forRootAsync', true],
])('contexts: { enabled: false } (%s)', (_door, async) => {
  let tracing: TestTracing;
  let app: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    tracing = startTracing();
    const port = await freePort();
    const options = {
      service: 'quiet',
      metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
      health: { enabled: false },
      contexts: { enabled: false },
    };
    @Module({
      imports: [
        ScheduleModule.forRoot(),
        async
          ? ObservabilityModule.forRootAsync({ useFactory: () => options })
          : ObservabilityModule.forRoot(options),
      ],
      controllers: [EchoController],
      providers: [Ticker],
    })
    class AppModule {}
    app = await NestFactory.createMicroservice(AppModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
    });
    await app.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await tracing?.stop();
  });

  it('handlers and jobs run as usual, with no span and no context series', async () => {
    expect(await firstValueFrom(client.send('echo', 'hi'))).toBe('hi');
    await waitFor(() => app.get(Ticker).ticks === 2, 'the interval ran twice');
    const { exposition } = await scrape(app);
    expect(findSamples(exposition, 'rpc_requests_total')).toHaveLength(0);
    expect(findSamples(exposition, 'scheduled_job_runs_total')).toHaveLength(0);
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
  });
});
