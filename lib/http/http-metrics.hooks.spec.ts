import { installFirst } from './http-metrics.hooks';

/** The request-hook slot of Nest's Express and Fastify adapters. */
class FakeAdapter {
  onRequestHook?: (req: unknown, res: unknown, next: () => void) => void;
  setOnRequestHook(hook: (req: unknown, res: unknown, next: () => void) => void): void {
    this.onRequestHook = hook;
  }
  handle(req: unknown): string[] {
    const calls: string[] = [];
    if (this.onRequestHook) this.onRequestHook(req, {}, () => calls.push('next'));
    else calls.push('next');
    return calls;
  }
}

const logger = { warn: jest.fn() };

describe('installFirst', () => {
  it('observes every request first and keeps the hook already set', () => {
    const adapter = new FakeAdapter();
    const seen: unknown[] = [];
    adapter.setOnRequestHook((req, _res, next) => {
      seen.push(`user:${String(req)}`);
      next();
    });
    expect(installFirst(adapter, (req) => seen.push(`metrics:${String(req)}`), logger)).toBe(true);
    expect(adapter.handle('a')).toEqual(['next']);
    expect(seen).toEqual(['metrics:a', 'user:a']);
  });

  it('keeps observing when the application sets its own hook afterwards', () => {
    const adapter = new FakeAdapter();
    const seen: string[] = [];
    installFirst(adapter, () => seen.push('metrics'), logger);
    expect(adapter.handle('a')).toEqual(['next']);
    adapter.setOnRequestHook((_req, _res, next) => {
      seen.push('user');
      next();
    });
    expect(adapter.handle('b')).toEqual(['next']);
    expect(seen).toEqual(['metrics', 'metrics', 'user']);
  });

  it('refuses an adapter without a request hook', () => {
    expect(installFirst({}, () => undefined, logger)).toBe(false);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
