import * as http from 'node:http';
import { REDACTED, Redactor } from './redaction';

describe('Redactor', () => {
  const redactor = new Redactor(['ssn']);

  it('replaces secret fields at any depth without touching the original', () => {
    const original = {
      user: { name: 'ada', password: 'p', profile: { ssn: '123', apiKey: 'k' } },
      list: [{ access_token: 't' }, { ok: 1 }],
      'X-Api-Key': 'k2',
      Authorization: 'Bearer x',
      card_number: '4111',
      safe: 'yes',
    };
    const frozen = JSON.stringify(original);
    expect(redactor.scrub(original)).toEqual({
      user: { name: 'ada', password: REDACTED, profile: { ssn: REDACTED, apiKey: REDACTED } },
      list: [{ access_token: REDACTED }, { ok: 1 }],
      'X-Api-Key': REDACTED,
      Authorization: REDACTED,
      card_number: REDACTED,
      safe: 'yes',
    });
    expect(JSON.stringify(original)).toBe(frozen);
  });

  it('returns the same object when there is nothing to redact, and survives cycles', () => {
    const value: Record<string, unknown> = { a: 1, b: { c: [1, 2] } };
    value.self = value;
    expect(redactor.scrub(value)).toBe(value);
  });

  it('leaves class instances, errors and dates alone', () => {
    class Socketish {
      token = 'kept';
    }
    const error = Object.assign(new Error('x'), { password: 'kept' });
    const date = new Date(0);
    const value = { s: new Socketish(), error, date };
    expect(redactor.scrub(value)).toBe(value);
  });

  it("walks Node's header objects", async () => {
    const headers = await new Promise<http.IncomingHttpHeaders>((resolve) => {
      const server = http.createServer((req, res) => {
        resolve(req.headers);
        res.end();
        server.close();
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        void fetch(`http://127.0.0.1:${port}/`, {
          headers: { authorization: 'Bearer x', cookie: 'a=b' },
        });
      });
    });

    expect(redactor.scrub({ headers }).headers).toMatchObject({
      authorization: REDACTED,
      cookie: REDACTED,
      host: expect.any(String),
    });
  });

  it('redacts secret query parameters', () => {
    expect(redactor.scrubUrl('/a?token=abc&page=2&api_key=z')).toBe(
      '/a?token=%5BRedacted%5D&page=2&api_key=%5BRedacted%5D',
    );
    expect(redactor.scrubUrl('/a')).toBe('/a');
  });
});
