import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Controller, type INestApplication, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  MessagePattern,
  Transport,
} from '@nestjs/microservices';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { Job, Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { ObservabilityModule, withTraceContext } from 'nestjs-observability';
import { firstValueFrom } from 'rxjs';
import { findSamples, sampleValue } from './utils/exposition';
import { freePort } from './utils/free-port';
import { scrape } from './utils/metrics-client';
import { describeWithRedis, type RedisHandle, startRedis } from './utils/redis-server';
import { parentSpanId, startTracing, type TestTracing, waitFor } from './utils/tracing';

@Controller()
class ExportsController {
  constructor(@InjectQueue('exports') private readonly exports: Queue) {}

  @Post('exports/:id')
  async start(@Param('id') id: string): Promise<{ job: string }> {
    const job = await this.exports.add('csv', { id }, withTraceContext({ removeOnComplete: true }));
    return { job: String(job.id) };
  }

  @MessagePattern('export.status')
  status(id: string): string {
    return `export ${id}: done`;
  }
}

@Processor('exports')
class ExportProcessor extends WorkerHost {
  async process(job: Job<{ id: string }>): Promise<string> {
    return `exported ${job.data.id}`;
  }
}

/**
 * What a tracing setup's HTTP instrumentation does: a server span per request, child of the
 * caller's `traceparent`, active while the request is handled.
 */
function serverSpans(req: Request, res: Response, next: NextFunction): void {
  const parent = propagation.extract(context.active(), req.headers);
  const span = trace
    .getTracer('http-instrumentation')
    .startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER }, parent);
  res.on('finish', () => span.end());
  context.with(trace.setSpan(parent, span), next);
}

describeWithRedis('contexts: hybrid application (HTTP + TCP microservice) and BullMQ', () => {
  let redis: RedisHandle;
  let tracing: TestTracing;
  let app: INestApplication;
  let client: ClientProxy;
  let base: string;

  beforeAll(async () => {
    tracing = startTracing();
    redis = await startRedis();
    const connection = { host: '127.0.0.1', port: redis.port };
    const port = await freePort();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'exports',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
          health: { enabled: false },
          logging: { level: 'silent' },
        }),
        BullModule.forRoot({ connection }),
        BullModule.registerQueue({ name: 'exports' }),
      ],
      controllers: [ExportsController],
      providers: [ExportProcessor],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    app.use(serverSpans);
    // No `inheritAppConfig`: the handlers are instrumented where they are declared.
    app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await redis?.stop();
    await tracing?.stop();
  });

  it('a job enqueued during an HTTP request continues the caller’s trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${base}/exports/77`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(201);
    await waitFor(() => tracing.spans('ExportProcessor.process').length === 1, 'the job ran');
    const request = tracing.span('POST /exports/77');
    const job = tracing.span('ExportProcessor.process');
    expect(request.spanContext().traceId).toBe(traceId);
    expect(job.spanContext().traceId).toBe(traceId);
    expect(parentSpanId(job)).toBe(request.spanContext().spanId);
    expect(job.attributes['messaging.destination.name']).toBe('exports');
  });

  it('records the connected microservice’s handlers, and nothing for HTTP routes', async () => {
    expect(await firstValueFrom(client.send('export.status', '77'))).toBe('export 77: done');
    const { exposition } = await scrape(app);
    expect(
      sampleValue(exposition, 'rpc_requests_total', {
        service: 'exports',
        pattern: 'export.status',
        status: 'success',
      }),
    ).toBe(1);
    expect(findSamples(exposition, 'rpc_requests_total')).toHaveLength(1);
    expect(tracing.span('ExportsController.status').kind).toBe(SpanKind.SERVER);
    expect(tracing.spans('ExportsController.start')).toHaveLength(0);
  });
});
