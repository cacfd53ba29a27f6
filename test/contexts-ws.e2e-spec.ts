import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';
import { ObservabilityModule } from 'nestjs-observability';
import { map, type Observable, of } from 'rxjs';
import WebSocket from 'ws';
import { findSamples, sampleValue } from './utils/exposition';
import { scrape } from './utils/metrics-client';
import { startTracing, type TestTracing, waitFor } from './utils/tracing';

@WebSocketGateway({ path: '/chat' })
class ChatGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() text: string): { event: string; data: string } {
    return { event: 'echo', data: text.toUpperCase() };
  }

  @SubscribeMessage('slow-echo')
  async slowEcho(@MessageBody() text: string): Promise<{ event: string; data: string }> {
    await new Promise((resolve) => setImmediate(resolve));
    return { event: 'slow-echo', data: text };
  }

  @SubscribeMessage('countdown')
  countdown(@MessageBody() from: string): Observable<{ event: string; data: number }> {
    return of(3, 2, 1).pipe(map((n) => ({ event: `${from}-tick`, data: n })));
  }

  @SubscribeMessage('ban')
  ban(): never {
    throw new WsException('not a moderator');
  }
}

@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function reply(socket: WebSocket, event: string, data: string): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (raw) => resolve(JSON.parse(String(raw))));
    socket.send(JSON.stringify({ event, data }));
  });
}

describe('contexts: WebSocket gateway messages (@nestjs/platform-ws)', () => {
  let tracing: TestTracing;
  let app: INestApplication;
  let socket: WebSocket;
  let base: string;

  beforeAll(async () => {
    tracing = startTracing();
    @Module({
      imports: [
        ObservabilityModule.forRoot({
          service: 'chat',
          metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
          health: { enabled: false },
        }),
      ],
      controllers: [PingController],
      providers: [ChatGateway],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    socket = await openSocket(`${base.replace('http', 'ws')}/chat`);
  });

  afterAll(async () => {
    socket?.close();
    await app?.close();
    await tracing?.stop();
  });

  it('counts and times each message by gateway, event and status, with exact counts', async () => {
    expect(await reply(socket, 'echo', 'hi')).toEqual({ event: 'echo', data: 'HI' });
    expect(await reply(socket, 'echo', 'yo')).toEqual({ event: 'echo', data: 'YO' });
    expect(await reply(socket, 'slow-echo', 'hm')).toEqual({ event: 'slow-echo', data: 'hm' });
    const ticks: unknown[] = [];
    const gotTicks = new Promise<void>((resolve) => {
      const onMessage = (raw: WebSocket.RawData): void => {
        ticks.push(JSON.parse(String(raw)));
        if (ticks.length === 3) {
          socket.off('message', onMessage);
          resolve();
        }
      };
      socket.on('message', onMessage);
    });
    socket.send(JSON.stringify({ event: 'countdown', data: 'launch' }));
    await gotTicks;
    expect(ticks).toEqual([3, 2, 1].map((data) => ({ event: 'launch-tick', data })));
    socket.send(JSON.stringify({ event: 'ban', data: 'x' }));
    await waitFor(() => tracing.spans('ChatGateway.ban').length === 1, 'the ban span ended');

    const { exposition } = await scrape(app);
    const g = { service: 'chat', gateway: 'ChatGateway' };
    expect(
      sampleValue(exposition, 'ws_messages_total', { ...g, event: 'echo', status: 'success' }),
    ).toBe(2);
    expect(
      sampleValue(exposition, 'ws_messages_total', { ...g, event: 'slow-echo', status: 'success' }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'ws_messages_total', { ...g, event: 'ban', status: 'error' }),
    ).toBe(1);
    expect(
      sampleValue(exposition, 'ws_messages_total', { ...g, event: 'countdown', status: 'success' }),
    ).toBe(1);
    expect(findSamples(exposition, 'ws_messages_total')).toHaveLength(4);
    expect(
      sampleValue(exposition, 'ws_message_duration_seconds_count', {
        ...g,
        event: 'echo',
        status: 'success',
      }),
    ).toBe(2);
    expect(exposition.types.ws_message_duration_seconds).toBe('histogram');
  });

  it('starts one span per message, named Class.method, failed for a WsException', () => {
    const echoes = tracing.spans('ChatGateway.echo');
    expect(echoes).toHaveLength(2);
    expect(echoes[0].kind).toBe(SpanKind.SERVER);
    expect(echoes[0].attributes).toEqual({
      'messaging.system': 'websocket',
      'nestjs.gateway': 'ChatGateway',
      'nestjs.event': 'echo',
    });
    const ban = tracing.span('ChatGateway.ban');
    expect(ban.status).toEqual({ code: SpanStatusCode.ERROR, message: 'not a moderator' });
  });

  it('lets HTTP requests through untouched: no span and no context series', async () => {
    const before = tracing.exporter.getFinishedSpans().length;
    const response = await fetch(`${base}/ping`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pong');
    const { exposition } = await scrape(app);
    expect(
      sampleValue(exposition, 'http_requests_total', {
        service: 'chat',
        method: 'GET',
        route: '/ping',
        status_code: '200',
      }),
    ).toBe(1);
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(before);
    expect(findSamples(exposition, 'rpc_requests_total')).toHaveLength(0);
    expect(findSamples(exposition, 'graphql_requests_total')).toHaveLength(0);
  });
});
