import { Messages } from '../observability.messages';
import { installAround, prepareRequestHook } from './adapter-request-hook';

type Hook = (req: any, res: any, next: () => void) => void;

/**
 * Nest's Express or Fastify adapter as the hook sees it: a request hook slot that the adapter
 * calls from its own first middleware (`first`), from a later one (`last`) or not at all
 * (`never`, a release that dropped it), then the middleware added through the public API.
 */
class FakeAdapter {
  onRequestHook?: Hook;
  readonly added: Hook[] = [];

  constructor(
    private readonly type: 'express' | 'fastify' | 'other',
    private readonly callsHook: 'first' | 'last' | 'never' = 'first',
  ) {}

  getType(): string {
    return this.type;
  }

  getInstance(): unknown {
    if (this.type === 'express') return { use: (hook: Hook) => this.added.push(hook) };
    if (this.type === 'fastify') {
      return {
        addHook: (name: string, hook: Hook) => name === 'onRequest' && this.added.push(hook),
      };
    }
    return {};
  }

  setOnRequestHook(hook: Hook): void {
    this.onRequestHook = hook;
  }

  /** Runs one request through the adapter; returns what ran, in order. */
  handle(req: object = {}): string[] {
    const ran: string[] = [];
    const own: Hook = (request, response, next) =>
      this.onRequestHook ? this.onRequestHook(request, response, next) : next();
    const layers = [
      ...(this.callsHook === 'first' ? [own] : []),
      ...this.added,
      ...(this.callsHook === 'last' ? [own] : []),
    ];
    let i = 0;
    const next = (): void => {
      const layer = layers[i++];
      if (layer) layer(req, {}, next);
      else ran.push('handler');
    };
    (req as { ran?: string[] }).ran = ran;
    next();
    return ran;
  }
}

const around =
  (name: string) =>
  (req: { ran: string[] }, _res: unknown, proceed: () => void): void => {
    req.ran.push(name);
    proceed();
  };

function logger() {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => warnings.push(message) };
}

describe.each(['express', 'fastify'] as const)('the request hook of a %s adapter', (type) => {
  it('runs through the adapter hook, and the sentinel only passes requests on', () => {
    const adapter = new FakeAdapter(type);
    const log = logger();
    expect(installAround(adapter, around('metrics'), log)).toBe(true);
    expect(installAround(adapter, around('context'), log)).toBe(true);
    expect(adapter.added).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      expect(adapter.handle()).toEqual(['context', 'metrics', 'handler']);
    }
    expect(log.warnings).toEqual([]);
  });

  it('runs an outermost around outside every other, added before or after it', () => {
    for (const fallback of [false, true]) {
      const adapter = new FakeAdapter(type, fallback ? 'never' : 'first');
      const log = logger();
      installAround(adapter, around('metrics'), log);
      installAround(adapter, around('span'), log, true);
      installAround(adapter, around('context'), log);
      expect(adapter.handle()).toEqual(['span', 'context', 'metrics', 'handler']);
      expect(adapter.handle()).toEqual(['span', 'context', 'metrics', 'handler']);
    }
  });

  it('keeps a hook the application sets afterwards, inside its own', () => {
    const adapter = new FakeAdapter(type);
    installAround(adapter, around('metrics'), logger());
    adapter.setOnRequestHook((req, _res, next) => {
      req.ran.push('app');
      next();
    });
    expect(adapter.handle()).toEqual(['metrics', 'app', 'handler']);
    expect(adapter.handle()).toEqual(['metrics', 'app', 'handler']);
  });

  it('falls back to the sentinel, with one warning, when the adapter never calls its hook', () => {
    const adapter = new FakeAdapter(type, 'never');
    const log = logger();
    // Prepared when the adapter is known; the hooks themselves come later.
    expect(prepareRequestHook(adapter, log)).toBe(true);
    installAround(adapter, around('metrics'), log);
    installAround(adapter, around('context'), log);
    for (let i = 0; i < 3; i++) {
      expect(adapter.handle()).toEqual(['context', 'metrics', 'handler']);
    }
    expect(log.warnings).toEqual([Messages.adapterRequestHookFallback(type)]);
  });

  it('runs the hooks once when the adapter calls its hook only after the sentinel', () => {
    const adapter = new FakeAdapter(type, 'last');
    const log = logger();
    installAround(adapter, around('metrics'), log);
    adapter.setOnRequestHook((req, _res, next) => {
      req.ran.push('app');
      next();
    });
    expect(adapter.handle()).toEqual(['metrics', 'app', 'handler']);
    expect(adapter.handle()).toEqual(['metrics', 'app', 'handler']);
    expect(log.warnings).toEqual([Messages.adapterRequestHookFallback(type)]);
  });

  it('falls back at once when the hook field cannot be replaced', () => {
    const adapter = new FakeAdapter(type);
    Object.defineProperty(adapter, 'onRequestHook', { value: undefined, configurable: false });
    const log = logger();
    installAround(adapter, around('metrics'), log);
    expect(log.warnings).toEqual([Messages.adapterRequestHookFallback(type)]);
    expect(adapter.handle()).toEqual(['metrics', 'handler']);
    expect(log.warnings).toHaveLength(1);
  });

  it('keeps each adapter to itself', () => {
    const working = new FakeAdapter(type);
    const broken = new FakeAdapter(type, 'never');
    const log = logger();
    installAround(working, around('a'), log);
    installAround(broken, around('b'), log);
    expect(broken.handle()).toEqual(['b', 'handler']);
    expect(working.handle()).toEqual(['a', 'handler']);
    expect(log.warnings).toHaveLength(1);
  });
});

describe('the request hook of another adapter', () => {
  it('trusts the adapter hook when no public fallback exists', () => {
    const adapter = new FakeAdapter('other');
    const log = logger();
    expect(installAround(adapter, around('context'), log)).toBe(true);
    expect(adapter.handle()).toEqual(['context', 'handler']);
    expect(log.warnings).toEqual([]);
  });

  it('refuses an adapter without any request hook', () => {
    expect(installAround({ getType: () => 'other' }, around('context'), logger())).toBe(false);
    expect(installAround(undefined, around('context'), logger())).toBe(false);
  });
});
