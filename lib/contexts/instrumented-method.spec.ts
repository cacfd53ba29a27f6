import 'reflect-metadata';
import { instrumentMethod } from './instrumented-method';

const Tag =
  (value: string): MethodDecorator =>
  (target, key, descriptor) => {
    Reflect.defineMetadata('tag', value, descriptor.value as object);
  };

class Base {
  @Tag('inherited')
  greet(name: string, punctuation = '!'): string {
    return `hello ${name}${punctuation}`;
  }
}

class Child extends Base {}

describe('instrumentMethod', () => {
  const runners = instrumentMethod(Child.prototype, 'greet')!;

  it('wraps the method where it is defined, keeping its name, length and metadata', () => {
    expect(Object.prototype.hasOwnProperty.call(Child.prototype, 'greet')).toBe(false);
    const wrapped = Base.prototype.greet;
    expect(wrapped.name).toBe('greet');
    expect(wrapped.length).toBe(1);
    expect(Reflect.getMetadata('tag', wrapped)).toBe('inherited');
  });

  it('wraps once: instrumenting again returns the same runners', () => {
    expect(instrumentMethod(Base.prototype, 'greet')).toBe(runners);
  });

  it('runs bound instances through their own runner and leaves others untouched', () => {
    const first = new Child();
    const second = new Child();
    const unbound = new Base();
    const calls: string[] = [];
    runners.set(first, (fn, self, args) => {
      calls.push(`first:${String(args[0])}`);
      return `[${String(Reflect.apply(fn, self, args))}]`;
    });
    runners.set(second, (fn, self, args) => {
      calls.push(`second:${String(args[0])}`);
      return Reflect.apply(fn, self, args);
    });
    expect(first.greet('ada')).toBe('[hello ada!]');
    expect(second.greet('bob', '?')).toBe('hello bob?');
    expect(unbound.greet('cy')).toBe('hello cy!');
    expect(calls).toEqual(['first:ada', 'second:bob']);
  });

  it('refuses what is not a method', () => {
    expect(instrumentMethod({ value: 1 }, 'value')).toBeUndefined();
    expect(instrumentMethod({}, 'missing')).toBeUndefined();
  });
});
