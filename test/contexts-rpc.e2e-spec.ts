import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Controller, type INestMicroservice, Module, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type ClientProxy,
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  Transport,
} from '@nestjs/microservices';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Job, type Queue, Worker } from 'bullmq';
import { ObservabilityModule, traceJob, withTraceContext } from 'nestjs-observability';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { sampleValue } from './utils/exposition';
import { freePort } from './utils/free-port';
import { scrape } from './utils/metrics-client';
import { describeWithRedis, type RedisHandle, startRedis } from './utils/redis-server';
import { parentSpanId, startTracing, type TestTracing, waitFor } from './utils/tracing';

/** What each job's processor saw as its active span. */
const processed: Array<{ queue: string; traceId?: string; spanId?: string; job: string }> = [];

@Controller()
class OrdersController {
  readonly audits: string[] = [];

  constructor(
    @InjectQueue('renders') private readonly renders: Queue,
    @InjectQueue('plain') private readonly plain: Queue,
  ) {}

  @MessagePattern('sum')
  sum(@Payload() values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  }

  @MessagePattern({ cmd: 'refund' })
  async refund(): Promise<never> {
    await Promise.resolve();
    throw new RpcException('refund window closed');
  }

  @MessagePattern('count')
  count(@Payload() n: number) {
    return of(...Array.from({ length: n }, (_, i) => i + 1));
  }

  @EventPattern('audit')
  audit(@Payload() entry: string): void {
    this.audits.push(entry);
  }

  @MessagePattern('render')
  async render(@Payload() videoId: string): Promise<string> {
    const job = await this.renders.add('render', { videoId }, withTraceContext({ attempts: 1 }));
    await this.plain.add('thumbnail', { videoId }, withTraceContext());
    return String(job.id);
  }
}

/** A new instance per message. */
@Controller({ scope: Scope.REQUEST })
class SessionController {
  @MessagePattern('whoami')
  whoami(): string {
    return 'guest';
  }
}

@Processor('renders')
class RenderProcessor extends WorkerHost {
  async process(job: Job<{ videoId: string }>): Promise<string> {
    const active = trace.getActiveSpan()?.spanContext();
    processed.push({
      queue: 'renders',
      traceId: active?.traceId,
      spanId: active?.spanId,
      job: job.name,
    });
    return `rendered ${job.data.videoId}`;
  }
}

describeWithRedis('contexts: microservice (TCP) handlers and BullMQ trace continuation', () => {
  let redis: RedisHandle;
  let tracing: TestTracing;
  let app: INestMicroservice;
  let client: ClientProxy;
  let worker: Worker;

  beforeAll(async () => {
    tracing = startTracing();
    redis = await startRedis();
    const connection = { host: '127.0.0.1', port: redis.port };
    const port = await freePort();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'orders',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
        }),
        BullModule.forRoot({ connection }),
        BullModule.registerQueue({ name: 'renders' }, { name: 'plain' }),
      ],
      controllers: [OrdersController, SessionController],
      providers: [RenderProcessor],
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
    await client.connect();
    // A plain BullMQ worker, its processor wrapped by traceJob().
    worker = new Worker(
      'plain',
      traceJob(async (job: Job) => {
        const active = trace.getActiveSpan()?.spanContext();
        processed.push({
          queue: 'plain',
          traceId: active?.traceId,
          spanId: active?.spanId,
          job: job.name,
        });
      }),
      { connection },
    );
  });

  afterAll(async () => {
    await client?.close();
    await worker?.close();
    await app?.close();
    await redis?.stop();
    await tracing?.stop();
  });

  it('counts and times each message by pattern and status, with exact counts', async () => {
    expect(await firstValueFrom(client.send('sum', [1, 2, 3]))).toBe(6);
    expect(await firstValueFrom(client.send('sum', [4]))).toBe(4);
    await expect(firstValueFrom(client.send({ cmd: 'refund' }, {}))).rejects.toMatchObject({
      message: 'refund window closed',
    });
    expect(await lastValueFrom(client.send('count', 3).pipe(toArray()))).toEqual([1, 2, 3]);
    await firstValueFrom(client.emit('audit', 'login'));
    await waitFor(() => app.get(OrdersController).audits.length === 1, 'the event was handled');
    await waitFor(() => tracing.spans('OrdersController.audit').length === 1, 'the span ended');

    const { exposition } = await scrape(app);
    const s = { service: 'orders' };
    expect(
      sampleValue(exposition, 'rpc_requests_total', { ...s, pattern: 'sum', status: 'success' }),
    ).toBe(2);
    expect(
      sampleValue(exposition, 'rpc_requests_total', {
        ...s,
        pattern: '{"cmd":"refund"}',
        status: 'error',
      }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'rpc_requests_total', { ...s, pattern: 'count', status: 'success' }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'rpc_requests_total', { ...s, pattern: 'audit', status: 'success' }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'rpc_request_duration_seconds_count', {
        ...s,
        pattern: 'sum',
        status: 'success',
      }),
    ).toBe(2);
    expect(
      sampleValue(exposition, 'rpc_request_duration_seconds_count', {
        ...s,
        pattern: '{"cmd":"refund"}',
        status: 'error',
      }),
    ).toBe(1);
    expect(exposition.types.rpc_requests_total).toBe('counter');
    expect(exposition.types.rpc_request_duration_seconds).toBe('histogram');
    // The series that never happened are not there.
    expect(exposition.samples.filter((x) => x.name === 'rpc_requests_total')).toHaveLength(4);
  });

  it('records request-scoped handlers too', async () => {
    expect(await firstValueFrom(client.send('whoami', {}))).toBe('guest');
    expect(await firstValueFrom(client.send('whoami', {}))).toBe('guest');
    const { exposition } = await scrape(app);
    expect(
      sampleValue(exposition, 'rpc_requests_total', {
        service: 'orders',
        pattern: 'whoami',
        status: 'success',
      }),
    ).toBe(2);
    expect(tracing.spans('SessionController.whoami')).toHaveLength(2);
  });

  it('starts one server span per message, named Class.method, with RPC attributes and status', () => {
    const sums = tracing.spans('OrdersController.sum');
    expect(sums).toHaveLength(2);
    for (const span of sums) {
      expect(span.kind).toBe(SpanKind.SERVER);
      expect(span.instrumentationScope.name).toBe('nestjs-observability');
      expect(span.attributes).toEqual({
        'rpc.system': 'nestjs',
        'rpc.service': 'OrdersController',
        'rpc.method': 'sum',
        'nestjs.pattern': 'sum',
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    const refund = tracing.span('OrdersController.refund');
    expect(refund.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refund window closed' });
    expect(refund.events.map((e) => e.name)).toEqual(['exception']);
    expect(tracing.span('OrdersController.count').status.code).toBe(SpanStatusCode.UNSET);
    expect(tracing.span('OrdersController.audit').attributes['nestjs.pattern']).toBe('audit');
  });

  it('continues the trace of the handler that enqueued a job, in @nestjs/bullmq and plain workers', async () => {
    processed.length = 0;
    await firstValueFrom(client.send('render', 'v-42'));
    await waitFor(
      () =>
        tracing.spans('RenderProcessor.process').length === 1 &&
        tracing.spans('process plain').length === 1,
      'both jobs were processed',
    );
    const request = tracing.span('OrdersController.render');
    const nest = tracing.span('RenderProcessor.process');
    const plain = tracing.span('process plain');
    for (const job of [nest, plain]) {
      expect(job.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(parentSpanId(job)).toBe(request.spanContext().spanId);
      expect(job.kind).toBe(SpanKind.CONSUMER);
    }
    expect(nest.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'renders',
      'bullmq.job.name': 'render',
    });
    expect(plain.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'plain',
      'bullmq.job.name': 'thumbnail',
    });
    // The processors ran with their job's span active.
    expect(processed).toEqual(
      expect.arrayContaining([
        {
          queue: 'renders',
          traceId: request.spanContext().traceId,
          spanId: nest.spanContext().spanId,
          job: 'render',
        },
        {
          queue: 'plain',
          traceId: request.spanContext().traceId,
          spanId: plain.spanContext().spanId,
          job: 'thumbnail',
        },
      ]),
    );
  });
});
