import { OnWorkerEvent } from '@nestjs/bullmq';
import { SetMetadata } from '@nestjs/common';
import { methodMetricsOf } from '../decorators/method-metric.types';
import { TrackDuration } from '../decorators/track-duration.decorator';
import { TrackJob } from './track-job.decorator';

const ON_WORKER_EVENT_METADATA = 'bullmq:worker_events_metadata';
/** Stands in for `@Process()` of `@nestjs/bull`, which sets metadata the same way. */
const Process = (name: string) => SetMetadata('bull:module_process', { name });

interface Job {
  id: string;
  data: { n: number };
}

class Consumer {
  factor = 10;

  @OnWorkerEvent('completed')
  @Process('below')
  @TrackJob('q', 'below')
  decoratedAbove(job: Job, token?: string): number {
    return job.data.n * this.factor + (token ? 1 : 0);
  }

  @TrackJob('q', 'above')
  @OnWorkerEvent('failed')
  @Process('above')
  async decoratedBelow(job: Job): Promise<number> {
    return job.data.n * this.factor;
  }

  @TrackJob('q')
  @TrackDuration()
  async fails(error: Error): Promise<never> {
    throw error;
  }
}

describe('@TrackJob()', () => {
  const proto = Consumer.prototype;

  it('keeps name and length of the method', () => {
    expect(proto.decoratedAbove.name).toBe('decoratedAbove');
    expect(proto.decoratedAbove.length).toBe(2);
    expect(proto.decoratedBelow.name).toBe('decoratedBelow');
  });

  it('keeps @OnWorkerEvent() and @Process() metadata on either side of it', () => {
    expect(Reflect.getMetadata(ON_WORKER_EVENT_METADATA, proto.decoratedAbove)).toEqual({
      eventName: 'completed',
    });
    expect(Reflect.getMetadata('bull:module_process', proto.decoratedAbove)).toEqual({
      name: 'below',
    });
    expect(Reflect.getMetadata(ON_WORKER_EVENT_METADATA, proto.decoratedBelow)).toEqual({
      eventName: 'failed',
    });
    expect(Reflect.getMetadata('bull:module_process', proto.decoratedBelow)).toEqual({
      name: 'above',
    });
  });

  it('keeps design-time metadata of the property', () => {
    expect(Reflect.getMetadata('design:paramtypes', proto, 'decoratedAbove')).toEqual([
      Object,
      String,
    ]);
    expect(Reflect.getMetadata('design:returntype', proto, 'decoratedBelow')).toBe(Promise);
  });

  it('declares a job spec that builds its recorder at bootstrap, next to other decorators', () => {
    const specs = methodMetricsOf(proto) ?? [];
    expect(specs.map((s) => `${s.kind}:${s.methodName}`)).toEqual([
      'job:decoratedAbove',
      'job:decoratedBelow',
      'duration:fails',
      'job:fails',
    ]);
    expect(
      specs.filter((s) => s.kind === 'job').every((s) => typeof s.recorder === 'function'),
    ).toBe(true);
  });

  describe('without an application (nothing bound)', () => {
    const consumer = new Consumer();

    it('runs sync and async methods with their this, arguments and return value', async () => {
      expect(consumer.decoratedAbove({ id: '1', data: { n: 4 } }, 't')).toBe(41);
      await expect(consumer.decoratedBelow({ id: '2', data: { n: 5 } })).resolves.toBe(50);
    });

    it('rethrows the original error', async () => {
      const error = new TypeError('bad job');
      await expect(consumer.fails(error)).rejects.toBe(error);
    });
  });

  it('refuses to decorate something that is not a method', () => {
    expect(() =>
      TrackJob('q')({}, 'field', { value: 42, writable: true, configurable: true }),
    ).toThrow('@TrackJob() can only decorate a method; "field" is not one.');
  });
});
