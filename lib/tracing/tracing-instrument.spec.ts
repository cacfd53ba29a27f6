import 'reflect-metadata';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Controller, Get, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ContextsExplorer } from '../contexts/contexts.explorer';
import { CustomMetricsService } from '../metrics/custom-metrics.service';
import { tracingInstrument } from './tracing-instrument';

@Injectable()
class TokenGuard {
  canActivate(): boolean {
    return true;
  }
}

@Controller('items')
class ItemsController {
  @Get(':id')
  get(): string {
    return 'item';
  }

  helper(): string {
    return 'helper';
  }
}

@Injectable()
class ItemsService {
  onModuleInit(): void {}
  find(): number {
    return 1;
  }
}

class NotInjectable {
  find(): number {
    return 2;
  }
}

describe('tracingInstrument()', () => {
  const exporter = new InMemorySpanExporter();
  const names = () => exporter.getFinishedSpans().map((s) => s.name);

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('traces guards and route handlers, keeping route metadata; other controller methods only with providers', () => {
    const { instanceDecorator } = tracingInstrument();
    const guard = instanceDecorator(new TokenGuard()) as TokenGuard;
    const controller = instanceDecorator(new ItemsController()) as ItemsController;
    expect(guard.canActivate()).toBe(true);
    expect(controller.get()).toBe('item');
    expect(controller.helper()).toBe('helper');
    expect(names()).toEqual(['TokenGuard.canActivate', 'ItemsController.get']);
    expect(exporter.getFinishedSpans()[0].attributes).toEqual({
      'nestjs.type': 'guard',
      'code.function.name': 'TokenGuard.canActivate',
    });
    expect(Reflect.getMetadata('path', controller.get)).toBe(':id');
    expect(Reflect.getMetadata('method', controller.get)).toBe(0);
    // The class is untouched: the wrapper is the instance's own property.
    expect(Object.prototype.hasOwnProperty.call(controller, 'get')).toBe(true);
    expect(ItemsController.prototype.get.name).toBe('get');
  });

  it('traces provider methods only when asked, never lifecycle hooks', () => {
    const plain = tracingInstrument().instanceDecorator(new ItemsService()) as ItemsService;
    plain.find();
    expect(names()).toEqual([]);
    const traced = tracingInstrument({ providers: true }).instanceDecorator(
      new ItemsService(),
    ) as ItemsService;
    traced.onModuleInit();
    traced.find();
    expect(names()).toEqual(['ItemsService.find']);
    const notInjectable = tracingInstrument({ providers: true }).instanceDecorator(
      new NotInjectable(),
    ) as NotInjectable;
    notInjectable.find();
    expect(names()).toEqual(['ItemsService.find']);
  });

  it("never traces Nest's classes or this library's", () => {
    const { instanceDecorator } = tracingInstrument({ providers: true });
    const reflector = new Reflector();
    expect(instanceDecorator(reflector)).toBe(reflector);
    expect(Object.getOwnPropertyNames(reflector)).not.toContain('get');
    const metrics = Object.create(CustomMetricsService.prototype) as object;
    instanceDecorator(metrics);
    expect(Object.getOwnPropertyNames(metrics)).toEqual([]);
    // The explorer that wraps @MessagePattern, @Cron, @Processor... handlers: its own methods
    // (`instrumentClass`, `runnerOf`, ...) run hundreds of times at startup.
    const explorer = Object.create(ContextsExplorer.prototype) as object;
    instanceDecorator(explorer);
    expect(Object.getOwnPropertyNames(explorer)).toEqual([]);
  });

  it('runs a given instance decorator first, and leaves values that are not class instances', () => {
    const seen: unknown[] = [];
    const { instanceDecorator } = tracingInstrument({
      instanceDecorator: (instance) => (seen.push(instance), instance),
    });
    const fn = () => 1;
    expect(instanceDecorator(fn)).toBe(fn);
    expect(instanceDecorator({ plain: true })).toEqual({ plain: true });
    expect(seen).toHaveLength(2);
  });

  it('leaves every instance alone when tracing is off', () => {
    trace.disable();
    try {
      const guard = tracingInstrument().instanceDecorator(new TokenGuard()) as TokenGuard;
      expect(Object.getOwnPropertyNames(guard)).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider(
        new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      );
    }
  });
});
