import { readConfigureBody, targetError } from './channel-admin';

const rules = { allowedOrigins: ['https://hooks.example.com'], allowLoopbackHttp: false };

describe('runtime channel targets', () => {
  it('accepts https on the configured origin or an allowed one, nothing else', () => {
    const configured = 'https://api.twilio.com';
    expect(targetError('https://api.twilio.com/other', configured, rules)).toBeUndefined();
    expect(targetError('https://hooks.example.com/in', configured, rules)).toBeUndefined();
    expect(targetError('https://evil.example/', configured, rules)).toBe(
      'expected the channel\'s configured origin (https://api.twilio.com) or one of "alerting.admin.allowedOrigins"',
    );
    expect(targetError('https://hooks.example.com:8443/', configured, rules)).toMatch(/^expected/);
    expect(targetError('http://api.twilio.com/', configured, rules)).toMatch(
      /^expected an https URL/,
    );
    expect(targetError('http://169.254.169.254/latest/meta-data/', configured, rules)).toMatch(
      /^expected an https URL/,
    );
    expect(targetError('https://u:p@api.twilio.com/', configured, rules)).toMatch(
      /^expected a URL without "user:password@"/,
    );
    expect(targetError('file:///etc/passwd', configured, rules)).toBe('expected an http(s) URL');
    // A custom channel has no configured origin: only the allow-list.
    expect(targetError('https://hooks.example.com/', undefined, rules)).toBeUndefined();
    expect(targetError('https://other.example/', undefined, rules)).toBe(
      'expected an origin listed in "alerting.admin.allowedOrigins"',
    );
  });

  it('allows plain http only to loopback, and only with allowLoopbackHttp', () => {
    const loopback = { allowedOrigins: [], allowLoopbackHttp: true };
    expect(targetError('http://127.0.0.1:9/x', 'http://127.0.0.1:9', loopback)).toBeUndefined();
    expect(targetError('http://localhost:9/x', 'http://localhost:9', loopback)).toBeUndefined();
    expect(targetError('http://10.0.0.1:9/x', 'http://10.0.0.1:9', loopback)).toMatch(/https/);
    expect(targetError('http://127.0.0.1:9/x', 'http://127.0.0.1:9', rules)).toMatch(/https/);
  });

  it('reads the configure body in both shapes', () => {
    expect(
      readConfigureBody({ channel: 'slack', url: 'https://hooks.slack.com/services/x' }),
    ).toEqual({
      channel: 'slack',
      patch: { enabled: undefined, url: 'https://hooks.slack.com/services/x', config: undefined },
    });
    expect(
      readConfigureBody({ channel: 'slack', enabled: true, config: { webhook_url: 'https://x' } }),
    ).toEqual({
      channel: 'slack',
      patch: { enabled: true, url: undefined, config: { webhook_url: 'https://x' } },
    });
    expect(readConfigureBody({ channel: 'slack' })).toEqual({
      errors: { enabled: 'expected "enabled", "url" or "config"' },
    });
    expect(readConfigureBody({ channel: 'slack', config: 'x' })).toEqual({
      errors: { config: "expected an object of the channel's options" },
    });
    expect(readConfigureBody([])).toEqual({
      errors: { body: 'expected a JSON object { channel, enabled?, url?, config? }' },
    });
  });
});
