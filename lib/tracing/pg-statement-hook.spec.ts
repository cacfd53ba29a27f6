import { Redactor } from '../logging/redaction';
import { redisSpanStatement, sanitizePgSpanStatement, scrubSpanUrls } from './pg-statement-hook';

function span(attributes: Record<string, unknown>) {
  return {
    attributes,
    setAttribute(key: string, value: string) {
      attributes[key] = value;
    },
  };
}

describe('sanitizePgSpanStatement (requestHook of the pg instrumentation)', () => {
  it('replaces the statement as sent by its text without literals or comments', () => {
    const target = span({
      'db.query.text': "SELECT * FROM users WHERE token = 'sk_live_x' AND pin = 1234 /* u=ceo */",
    });
    sanitizePgSpanStatement(target, {
      query: { text: "SELECT * FROM users WHERE token = 'sk_live_x' AND pin = 1234 /* u=ceo */" },
    });
    expect(target.attributes).toEqual({
      'db.query.text': 'SELECT * FROM users WHERE token = ? AND pin = ?',
    });
  });

  it('also rewrites db.statement when the instrumentation wrote it (older conventions)', () => {
    const target = span({ 'db.statement': "SELECT 'secret'", 'db.query.text': "SELECT 'secret'" });
    sanitizePgSpanStatement(target, { query: { text: "SELECT 'secret'" } });
    expect(target.attributes).toEqual({ 'db.statement': 'SELECT ?', 'db.query.text': 'SELECT ?' });
  });

  it('keeps placeholders, and never throws on what it cannot read', () => {
    const target = span({});
    sanitizePgSpanStatement(target, { query: { text: 'SELECT name FROM t WHERE a = $1' } });
    expect(target.attributes['db.query.text']).toBe('SELECT name FROM t WHERE a = $1');
    expect(() => sanitizePgSpanStatement(target, { query: { text: 42 } })).not.toThrow();
    expect(() => sanitizePgSpanStatement(target, undefined as never)).not.toThrow();
    const broken = {
      setAttribute: () => {
        throw new Error('ended');
      },
    };
    expect(() => sanitizePgSpanStatement(broken, { query: { text: 'SELECT 1' } })).not.toThrow();
  });
});

describe('redisSpanStatement', () => {
  it('keeps the command name and none of its arguments', () => {
    expect(redisSpanStatement('evalsha')).toBe('evalsha');
    expect(redisSpanStatement(undefined)).toBe('unknown');
  });
});

describe('scrubSpanUrls', () => {
  it('removes the values of secret query parameters from URL attributes', () => {
    const attributes: Record<string, unknown> = {
      'url.full': 'https://api.example.com/stock/7?token=sk_live_1&page=2',
      'url.query': '?token=sk_live_1&page=2',
      'url.path': '/stock/7',
    };
    const span = {
      attributes,
      setAttribute: (key: string, value: string) => (attributes[key] = value),
    };
    scrubSpanUrls(new Redactor())(span);
    expect(attributes).toEqual({
      'url.full': 'https://api.example.com/stock/7?token=%5BRedacted%5D&page=2',
      'url.query': 'token=%5BRedacted%5D&page=2',
      'url.path': '/stock/7',
    });
  });
});
