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

  describe('common secret carriers, redacted by default', () => {
    const defaults = new Redactor();
    const sensitive = (names: string[], check: (name: string) => boolean) =>
      names.map((name) => [name, check(name)]);

    it('redacts short field names only as whole names (any case, `-` and `_` ignored)', () => {
      const secret = ['auth', 'AUTH', 'Auth', 'pin', 'PIN', 'ssn', 'SSN', 'pwd', 'jwt'];
      expect(sensitive(secret, (k) => defaults.isSensitive(k))).toEqual(
        secret.map((k) => [k, true]),
      );
      const visible = [
        'author',
        'authors',
        'authority',
        'spinner',
        'pinned',
        'shipping',
        'classname',
        'lessons',
        // Query carriers only: as fields they are error codes, cache keys, ...
        'code',
        'key',
        'session',
        'sig',
      ];
      expect(sensitive(visible, (k) => defaults.isSensitive(k))).toEqual(
        visible.map((k) => [k, false]),
      );
    });

    it('keeps matching longer field names that carry a fragment', () => {
      const secret = ['db_pwd', 'userPwd', 'id_jwt', 'jwtPayload'];
      expect(sensitive(secret, (k) => defaults.isSensitive(k))).toEqual(
        secret.map((k) => [k, true]),
      );
    });

    it('redacts query parameters by whole name, and leaves their look-alikes visible', () => {
      const secret = [
        'key',
        'KEY',
        'sig',
        'X-Amz-Signature',
        'x_amz_signature',
        'code',
        'Code',
        'jwt',
        'session',
        'auth',
      ];
      expect(sensitive(secret, (k) => defaults.isSensitiveParam(k))).toEqual(
        secret.map((k) => [k, true]),
      );
      const visible = ['monkey', 'keys', 'keyboard', 'signal', 'signup', 'barcode', 'codename'];
      expect(sensitive(visible, (k) => defaults.isSensitiveParam(k))).toEqual(
        visible.map((k) => [k, false]),
      );
      expect(
        defaults.scrubUrl(
          '/cb?key=K&sig=S&X-Amz-Signature=A&code=C&jwt=J&session=E&auth=U' +
            '&monkey=m&signal=1&author=ada&barcode=42&spinner=on',
        ),
      ).toBe(
        '/cb?key=%5BRedacted%5D&sig=%5BRedacted%5D&X-Amz-Signature=%5BRedacted%5D' +
          '&code=%5BRedacted%5D&jwt=%5BRedacted%5D&session=%5BRedacted%5D&auth=%5BRedacted%5D' +
          '&monkey=m&signal=1&author=ada&barcode=42&spinner=on',
      );
      expect(defaults.scrubParams({ sig: 'S', code: 'C', monkey: 'm' })).toEqual({
        sig: REDACTED,
        code: REDACTED,
        monkey: 'm',
      });
      expect(
        defaults.scrubParams([
          ['key', 'K'],
          ['signal', '1'],
        ]),
      ).toEqual([
        ['key', REDACTED],
        ['signal', '1'],
      ]);
    });

    it('redacts them in bodies and leaves their look-alikes visible', () => {
      expect(
        defaults.scrub({
          user: { pwd: 'p', auth: 'a', pin: '1234', ssn: '078-05-1120', author: 'ada' },
          error: { code: 'ECONNREFUSED' },
          key: 'cache:user:1',
          spinner: true,
          pinned: false,
          barcode: '4006381333931',
        }),
      ).toEqual({
        user: { pwd: REDACTED, auth: REDACTED, pin: REDACTED, ssn: REDACTED, author: 'ada' },
        error: { code: 'ECONNREFUSED' },
        key: 'cache:user:1',
        spinner: true,
        pinned: false,
        barcode: '4006381333931',
      });
    });
  });

  it('redacts secret query parameters', () => {
    expect(redactor.scrubUrl('/a?token=abc&page=2&api_key=z')).toBe(
      '/a?token=%5BRedacted%5D&page=2&api_key=%5BRedacted%5D',
    );
    expect(redactor.scrubUrl('/a')).toBe('/a');
  });
});
