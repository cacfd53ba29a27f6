import { chooseIntegrations, type SentrySdk } from './sentry-sdk';

const named = (name: string) => ({ name, setupOnce: () => undefined });
const DEFAULTS = ['Nest', 'InboundFilters', 'Console', 'Http', 'NodeFetch'].map(named);

/** The part of the SDK `chooseIntegrations` calls: `httpIntegration(options)`. */
const sdk = {
  httpIntegration: (options: unknown) => ({ name: 'Http', options, setupOnce: () => undefined }),
} as unknown as SentrySdk;

const names = (integrations: Array<{ name: string }>) => integrations.map((i) => i.name);

describe('chooseIntegrations', () => {
  it('without tracing: no Nest, no Http server part; outgoing http requests still instrumented', () => {
    const chosen = chooseIntegrations(sdk, [...DEFAULTS], {
      tracing: false,
      requestSessions: false,
    });
    expect(names(chosen)).toEqual(['InboundFilters', 'Console', 'NodeFetch', 'HttpOutgoing']);
  });

  it('without tracing, with request sessions: Sentry’s Http integration recording them, no Nest', () => {
    const chosen = chooseIntegrations(sdk, [...DEFAULTS], {
      tracing: false,
      requestSessions: true,
    });
    expect(names(chosen)).toEqual(['InboundFilters', 'Console', 'Http', 'NodeFetch']);
    expect(chosen.find((i) => i.name === 'Http')).toMatchObject({
      options: { trackIncomingRequestsAsSessions: true },
    });
  });

  it('with tracing: every default integration; request sessions as configured', () => {
    const chosen = chooseIntegrations(sdk, [...DEFAULTS], {
      tracing: true,
      requestSessions: false,
    });
    expect(names(chosen)).toEqual(names(DEFAULTS));
    expect(chosen.find((i) => i.name === 'Http')).toMatchObject({
      options: { trackIncomingRequestsAsSessions: false },
    });
  });
});
