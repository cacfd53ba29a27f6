import { createHmac } from 'node:crypto';
import { maskSecret, maskUrl, parseRetryAfter } from './http-delivery';
import { signWebhookBody } from './webhook.channel';

describe('http delivery helpers', () => {
  it('parses Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('masks URLs to their origin and secrets to their ends', () => {
    expect(maskUrl('https://hooks.slack.com/services/T0/B0/xoxb?token=1')).toBe(
      'https://hooks.slack.com/***',
    );
    expect(maskUrl('http://127.0.0.1:9093')).toBe('http://127.0.0.1:9093');
    expect(maskUrl('not a url')).toBe('***');
    // The last 4 characters of long secrets only: a short one shows nothing.
    expect(maskSecret('R0UTINGKEY0123456789')).toBe('***6789');
    expect(maskSecret('shortsecret12345')).toBe('***2345');
    expect(maskSecret('short-secret')).toBe('***');
  });

  it('signs webhook bodies as t=<ts>,v1=HMAC-SHA256(secret, "<ts>.<body>")', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signWebhookBody('k', '{"a":1}', 1700000000)).toBe(`t=1700000000,v1=${expected}`);
  });
});
