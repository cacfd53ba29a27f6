import { resolveOptions } from '../config/resolve-options';

const noEnv = { SERVICE_NAME: 'svc', APP_VERSION: '1.2.3' };

describe('contexts options', () => {
  it('defaults to instrumenting every context', () => {
    expect(resolveOptions({}, noEnv).contexts).toEqual({ enabled: true });
  });

  it('can be switched off', () => {
    expect(resolveOptions({ contexts: { enabled: false } }, noEnv).contexts).toEqual({
      enabled: false,
    });
  });

  it('names a bad field and an unknown key in the boot error', () => {
    expect(() =>
      resolveOptions({ contexts: { enabled: 'yes', rpc: true } as never }, noEnv),
    ).toThrow(/contexts\.enabled[\s\S]*contexts\.rpc|contexts\.rpc[\s\S]*contexts\.enabled/);
  });
});
