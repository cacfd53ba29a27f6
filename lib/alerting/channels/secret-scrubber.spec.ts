import { redactSecretPatterns, SecretScrubber } from './secret-scrubber';

describe('SecretScrubber', () => {
  it('finds secrets by rule: secret-looking keys, header values, URL userinfo and query, webhook paths', () => {
    const scrubber = new SecretScrubber().addOptions(
      {
        url: 'https://hooks.example.com/in/hook-path-value?token=query-value&plain=x-value-1',
        headers: { 'X-Api': 'Bearer header-token-value' },
        secret: 'signing-value',
        routingKey: 'routing-value',
        accountSid: 'sid-value-0001',
        authToken: 'auth-token-value',
        from: '+15550000000',
      },
      'alerting.channels.webhook',
    );
    const echoed = [
      '/in/hook-path-value?token=query-value&plain=x-value-1',
      'header-token-value',
      'signing-value',
      'routing-value',
      'sid-value-0001',
      'auth-token-value',
      encodeURIComponent('auth-token-value'),
    ].join(' | ');
    const scrubbed = scrubber.scrub(echoed);
    for (const secret of ['hook-path-value', 'query-value', 'x-value-1', 'header-token-value']) {
      expect(scrubbed).not.toContain(secret);
    }
    for (const secret of ['signing-value', 'routing-value', 'sid-value-0001', 'auth-token-value']) {
      expect(scrubbed).not.toContain(secret);
    }
    // Not secret by any rule: the sender number is kept.
    expect(scrubber.scrub('from +15550000000')).toBe('from +15550000000');
  });

  it('covers basic-auth pairs and their base64, and the path of non-webhook URLs is kept', () => {
    const scrubber = new SecretScrubber()
      .addOptions({ baseUrl: 'https://api.example.com/v1' }, 'alerting.channels.sms')
      .addBasicAuth('ACuser', 'twilio-token');
    const base64 = Buffer.from('ACuser:twilio-token').toString('base64');
    expect(scrubber.scrub(`auth ${base64} for ACuser:twilio-token at /v1`)).toBe(
      'auth [Redacted] for [Redacted] at /v1',
    );
  });

  it('keeps a one-line excerpt of at most 200 characters, none when a secret is too short to search', () => {
    const scrubber = new SecretScrubber().add('long-enough-secret');
    expect(scrubber.excerpt(`error:\n  long-enough-secret ${'word '.repeat(60)}`)).toMatch(
      /^error: \[Redacted\] (word )+w?o?r?d?…$/,
    );
    expect(scrubber.excerpt('word '.repeat(60))).toHaveLength(200);
    expect(new SecretScrubber().add('abc').excerpt('anything with abc')).toBe('');
  });

  it('redacts secret-looking patterns that no known value covers', () => {
    expect(
      redactSecretPatterns(
        'see https://evil.example/path?token=1 Authorization: Bearer abc.def ' +
          'routing_key=R123 {"password":"p4ss"} eyJhbGciOi.eyJzdWIiOi.sig xoxb-123-abc ' +
          'AC0123456789abcdef0123456789abcdef',
      ),
    ).toBe(
      'see https://evil.example/*** Authorization: Bearer [Redacted] ' +
        'routing_key=[Redacted] {"password":"[Redacted]"} [Redacted] [Redacted] [Redacted]',
    );
  });
});
