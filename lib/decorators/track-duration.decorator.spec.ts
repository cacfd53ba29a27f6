import { Get, SetMetadata } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { firstValueFrom, type Observable, of, toArray } from 'rxjs';
import { CountCalls } from './count-calls.decorator';
import { TrackDuration } from './track-duration.decorator';
import { methodMetricsOf } from './method-metric.types';

const Marker = (value: string) => SetMetadata('marker', value);

class Subject {
  factor = 2;

  @Get('below')
  @Marker('below')
  @TrackDuration()
  decoratedAbove(a: number, b: number): number {
    return (a + b) * this.factor;
  }

  @TrackDuration()
  @Get('above')
  @Marker('above')
  decoratedBelow(a: number): number {
    return a * this.factor;
  }

  @TrackDuration()
  async asyncMethod(value: string): Promise<string> {
    return `${value}:${this.factor}`;
  }

  @CountCalls()
  @TrackDuration()
  throws(error: Error): never {
    throw error;
  }

  @TrackDuration()
  observable(): Observable<number> {
    return of(1, 2, this.factor);
  }
}

describe('@TrackDuration() and @CountCalls()', () => {
  const proto = Subject.prototype;

  it('keeps name and length of the method', () => {
    expect(proto.decoratedAbove.name).toBe('decoratedAbove');
    expect(proto.decoratedAbove.length).toBe(2);
    expect(proto.throws.name).toBe('throws');
  });

  it('keeps metadata of decorators applied before it (listed below it)', () => {
    expect(Reflect.getMetadata(PATH_METADATA, proto.decoratedBelow)).toBe('above');
    expect(Reflect.getMetadata(METHOD_METADATA, proto.decoratedBelow)).toBe(0);
    expect(Reflect.getMetadata('marker', proto.decoratedBelow)).toBe('above');
  });

  it('keeps metadata of decorators applied after it (listed above it)', () => {
    expect(Reflect.getMetadata(PATH_METADATA, proto.decoratedAbove)).toBe('below');
    expect(Reflect.getMetadata('marker', proto.decoratedAbove)).toBe('below');
  });

  it('keeps design-time metadata of the property', () => {
    expect(Reflect.getMetadata('design:paramtypes', proto, 'decoratedAbove')).toEqual([
      Number,
      Number,
    ]);
    expect(Reflect.getMetadata('design:returntype', proto, 'asyncMethod')).toBe(Promise);
  });

  it('declares one spec per decorator on the prototype', () => {
    const specs = methodMetricsOf(proto) ?? [];
    expect(specs.map((s) => `${s.kind}:${s.methodName}`)).toEqual([
      'duration:decoratedAbove',
      'duration:decoratedBelow',
      'duration:asyncMethod',
      'duration:throws',
      'calls:throws',
      'duration:observable',
    ]);
  });

  describe('without an application (nothing bound)', () => {
    const subject = new Subject();

    it('runs sync methods with their this, arguments and return value', () => {
      expect(subject.decoratedAbove(1, 2)).toBe(6);
    });

    it('runs async methods', async () => {
      await expect(subject.asyncMethod('v')).resolves.toBe('v:2');
    });

    it('rethrows the original error', () => {
      const error = new RangeError('boom');
      expect(() => subject.throws(error)).toThrow(error);
    });

    it('returns observables that still emit', async () => {
      await expect(firstValueFrom(subject.observable().pipe(toArray()))).resolves.toEqual([
        1, 2, 2,
      ]);
    });
  });

  it('refuses to decorate something that is not a method', () => {
    expect(() =>
      TrackDuration()({}, 'field', { value: 42, writable: true, configurable: true }),
    ).toThrow('@TrackDuration() can only decorate a method; "field" is not one.');
  });
});
