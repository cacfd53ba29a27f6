/**
 * The library leans on two private internals of its dependencies for speed: prom-client's
 * series state (bound children update it in place) and the request hook field of Nest's HTTP
 * adapters (`onRequestHook`). Each suite here simulates a release that changes one of them and
 * checks that metrics, request ids and request logs stay exact through the public-API
 * fallback, with one warning.
 */
import {
  Controller,
  Get,
  type INestApplication,
  type LoggerService,
  Module,
  Param,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { MetricsServer, ObservabilityModule, RequestContext } from 'nestjs-observability';
import { Messages } from '../lib/observability.messages';
import { type Exposition, parseExposition, sampleValue } from './utils/exposition';
import { LogCapture } from './utils/log-capture';
import { loadChangedPromClient, type PromClientChange } from './utils/prom-client-changes';

type Hook = (request: unknown, response: unknown, next: () => void) => void;
const passOn: Hook = (_request, _response, next) => next();

/**
 * Replaces the first hook `register` adds (the adapter's own, which calls `onRequestHook`)
 * with one that passes requests on: a release that no longer calls `onRequestHook`.
 */
function dropFirstHook(target: Record<string, any>, method: string, name?: string): void {
  const register = target[method] as (...args: unknown[]) => unknown;
  target[method] = (...args: unknown[]) => {
    if (name !== undefined && args[0] !== name) return register.apply(target, args);
    target[method] = register;
    return register.apply(target, name === undefined ? [passOn] : [name, passOn]);
  };
}

/** Nest's Express adapter as a release that no longer calls `onRequestHook` would be. */
class ExpressAdapterWithoutRequestHook extends ExpressAdapter {
  constructor() {
    const app = express();
    dropFirstHook(app, 'use');
    super(app);
  }
}

/** Nest's Fastify adapter as a release that no longer calls `onRequestHook` would be. */
class FastifyAdapterWithoutRequestHook extends FastifyAdapter {
  constructor() {
    const instance = Fastify();
    dropFirstHook(instance, 'addHook', 'onRequest');
    super(instance as never);
  }
}

/** Nest's own log lines, by level. */
class NestLogs implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Scrapes the metrics server of `app`; `server` is the `MetricsServer` class `app` was built with. */
async function scrape(app: INestApplication, server: unknown = MetricsServer): Promise<Exposition> {
  const { port } = app.get<any, { port: number }>(server as any);
  return parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

const SERVICE = 'internals';
const count = (exposition: Exposition, route: string, status: number): number | undefined =>
  sampleValue(exposition, 'http_requests_total', {
    service: SERVICE,
    method: 'GET',
    route,
    status_code: String(status),
  });

const ADAPTERS = [
  ['Express', 'express', () => new ExpressAdapter(), () => new ExpressAdapterWithoutRequestHook()],
  ['Fastify', 'fastify', () => new FastifyAdapter(), () => new FastifyAdapterWithoutRequestHook()],
] as const;

describe.each(ADAPTERS)('Nest %s adapter request hook', (_name, type, current, changed) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it.each([
    ['a release that calls onRequestHook', current, 0],
    ['a release that no longer calls onRequestHook', changed, 1],
  ] as const)(
    'keeps HTTP metrics, request ids and request logs exact on %s',
    async (_release, adapter, expectedWarnings) => {
      const capture = new LogCapture();
      @Controller('items')
      class ItemsController {
        @Get(':id')
        get(@Param('id') id: string) {
          return { id, requestId: RequestContext.requestId };
        }
      }
      @Module({
        imports: [
          ObservabilityModule.forRoot({
            service: SERVICE,
            metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
            health: { enabled: false },
            logging: { stream: capture },
          }),
        ],
        controllers: [ItemsController],
      })
      class AppModule {}
      const nest = new NestLogs();
      const app = await NestFactory.create(AppModule, adapter() as never, {
        logger: nest,
        abortOnError: false,
      });
      apps.push(app);
      const url = await listen(app);

      const responses: Array<{ header: string | null; body: { requestId?: string } }> = [];
      for (const id of ['1', '2', '3']) {
        const headers: Record<string, string> = id === '2' ? { 'x-request-id': 'given-id' } : {};
        const response = await fetch(`${url}/items/${id}`, { headers });
        responses.push({
          header: response.headers.get('x-request-id'),
          body: (await response.json()) as { requestId?: string },
        });
      }
      expect((await fetch(`${url}/missing`)).status).toBe(404);

      expect(responses[1].header).toBe('given-id');
      for (const { header, body } of responses) {
        expect(header).toEqual(expect.any(String));
        // The request context reaches the handler.
        expect(body.requestId).toBe(header);
      }
      const exposition = await scrape(app);
      expect(count(exposition, '/items/:id', 200)).toBe(3);
      expect(count(exposition, 'UNMATCHED', 404)).toBe(1);
      const logged = capture.lines.filter((line) => line.req?.url?.startsWith('/'));
      expect(logged.map((line) => [line.req.url, line.res.statusCode, line.request_id])).toEqual([
        ['/items/1', 200, responses[0].header],
        ['/items/2', 200, 'given-id'],
        ['/items/3', 200, responses[2].header],
        ['/missing', 404, expect.any(String)],
      ]);
      const fallbackWarning = Messages.adapterRequestHookFallback(type);
      expect(nest.warnings.filter((w) => w === fallbackWarning)).toHaveLength(expectedWarnings);
      expect(nest.warnings.filter((w) => w !== fallbackWarning)).toEqual([]);
    },
  );
});

/**
 * Boots the whole library on a freshly loaded prom-client (with `change` applied, or none) and
 * a freshly loaded Nest, so the change stays inside this test.
 */
function isolatedNest(change?: PromClientChange) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  let modules!: {
    common: typeof import('@nestjs/common');
    core: typeof import('@nestjs/core');
    express: typeof import('@nestjs/platform-express');
    fastify: typeof import('@nestjs/platform-fastify');
    lib: typeof import('nestjs-observability');
  };
  jest.isolateModules(() => {
    loadChangedPromClient(change);
    modules = {
      common: require('@nestjs/common'),
      core: require('@nestjs/core'),
      express: require('@nestjs/platform-express'),
      fastify: require('@nestjs/platform-fastify'),
      lib: require('nestjs-observability'),
    };
  });
  /* eslint-enable @typescript-eslint/no-require-imports */
  return modules;
}

/** HTTP requests, decorated method calls and jobs through one app; returns what it recorded. */
async function driveApp(change: PromClientChange | undefined, adapterName: 'express' | 'fastify') {
  const {
    common,
    core,
    express: platformExpress,
    fastify: platformFastify,
    lib,
  } = isolatedNest(change);
  const { Controller, Get, Injectable, Module, Param } = common;
  const { CountCalls, ObservabilityModule, TrackDuration, TrackJob } = lib;

  @Injectable()
  class Worker {
    @TrackJob('render', 'thumbnail')
    render(input: number): number {
      if (input < 0) throw new RangeError('negative input');
      return input * 2;
    }
  }

  @Controller('items')
  class ItemsController {
    constructor(private readonly worker: Worker) {}

    @Get(':id')
    @TrackDuration()
    @CountCalls()
    get(@Param('id') id: string) {
      return { id, rendered: this.worker.render(Number(id)) };
    }
  }

  @Module({
    imports: [
      ObservabilityModule.forRoot({
        service: SERVICE,
        metrics: { port: 0, host: '127.0.0.1', defaultMetrics: false },
        health: { enabled: false },
        logging: { requestLogs: false },
      }),
    ],
    controllers: [ItemsController],
    providers: [Worker],
  })
  class AppModule {}

  const nest = new NestLogs();
  const adapter =
    adapterName === 'express'
      ? new platformExpress.ExpressAdapter()
      : new platformFastify.FastifyAdapter();
  const app = await core.NestFactory.create(AppModule, adapter as never, {
    logger: nest,
    abortOnError: false,
  });
  try {
    const url = await listen(app as INestApplication);
    for (const id of ['1', '2', '1', '-1', '3', '1']) await fetch(`${url}/items/${id}`);
    await fetch(`${url}/missing`);
    return { exposition: await scrape(app as INestApplication, lib.MetricsServer), nest };
  } finally {
    await app.close();
  }
}

const fastPathWarnings = (nest: NestLogs) => nest.warnings.filter((w) => w.includes('fast path'));

/** The samples that do not depend on time: every counter and every `_count`/`+Inf` bucket. */
function timeless(exposition: Exposition) {
  return exposition.samples
    .filter(
      (s) =>
        exposition.types[s.name] === 'counter' ||
        s.name.endsWith('_count') ||
        (s.name.endsWith('_bucket') && s.labels.le === '+Inf'),
    )
    .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`)
    .sort();
}

describe.each(['express', 'fastify'] as const)('prom-client internals on %s', (adapterName) => {
  let reference: string[];
  beforeAll(async () => {
    const { exposition, nest } = await driveApp(undefined, adapterName);
    reference = timeless(exposition);
    expect(fastPathWarnings(nest)).toEqual([]);
    expect(count(exposition, '/items/:id', 200)).toBe(5);
    expect(count(exposition, '/items/:id', 500)).toBe(1);
    expect(
      sampleValue(exposition, 'queue_jobs_completed_total', {
        service: SERVICE,
        queue_name: 'render',
        job_type: 'thumbnail',
      }),
    ).toBe(5);
    expect(
      sampleValue(exposition, 'method_duration_seconds_count', {
        service: SERVICE,
        class: 'ItemsController',
        method: 'get',
        status: 'success',
      }),
    ).toBe(5);
  });

  it.each(['hidden-series-map', 'new-key-format', 'exposition-copy'] as const)(
    'keeps HTTP, method and queue metrics exact through the public API, with one warning (%s)',
    async (change) => {
      const { exposition, nest } = await driveApp(change, adapterName);
      expect(timeless(exposition)).toEqual(reference);
      expect(fastPathWarnings(nest)).toHaveLength(1);
      expect(fastPathWarnings(nest)[0]).toMatch(
        /^prom-client \S+ does not keep its series the way nestjs-observability's fast path updates them \(Counter: .+; Histogram: .+\), so the fast path is off/,
      );
    },
  );

  it('needs no fallback when prom-client moves inc/observe to its prototype', async () => {
    const { exposition, nest } = await driveApp('prototype-methods', adapterName);
    expect(timeless(exposition)).toEqual(reference);
    expect(fastPathWarnings(nest)).toEqual([]);
  });
});
