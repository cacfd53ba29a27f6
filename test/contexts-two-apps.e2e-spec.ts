import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  Transport,
} from '@nestjs/microservices';
import { ObservabilityModule } from 'nestjs-observability';
import { firstValueFrom } from 'rxjs';
import { sampleValue } from './utils/exposition';
import { freePort } from './utils/free-port';
import { scrape } from './utils/metrics-client';

/** One controller class, declared by both applications. */
@Controller()
class PingController {
  @MessagePattern('ping')
  ping(): string {
    return 'pong';
  }
}

async function start(service: string): Promise<{ app: INestMicroservice; client: ClientProxy }> {
  const port = await freePort();
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        service,
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
        health: { enabled: false },
      }),
    ],
    controllers: [PingController],
  })
  class AppModule {}
  const app = await NestFactory.createMicroservice(AppModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  await app.listen();
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
  });
  return { app, client };
}

describe('contexts: two applications in one process sharing a handler class', () => {
  let a: { app: INestMicroservice; client: ClientProxy };
  let b: { app: INestMicroservice; client: ClientProxy };

  beforeAll(async () => {
    a = await start('alpha');
    b = await start('beta');
  });

  afterAll(async () => {
    for (const side of [a, b]) {
      await side?.client.close();
      await side?.app.close();
    }
  });

  it('each application counts only the calls it handled', async () => {
    for (let i = 0; i < 3; i++) await firstValueFrom(a.client.send('ping', {}));
    await firstValueFrom(b.client.send('ping', {}));
    const labels = { pattern: 'ping', status: 'success' };
    const alpha = (await scrape(a.app)).exposition;
    const beta = (await scrape(b.app)).exposition;
    expect(sampleValue(alpha, 'rpc_requests_total', { service: 'alpha', ...labels })).toBe(3);
    expect(sampleValue(beta, 'rpc_requests_total', { service: 'beta', ...labels })).toBe(1);
  });
});
