import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Counter, Registry } from 'prom-client';
import {
  PushgatewayClient,
  resolvePushgatewayOptions,
  validatePushgatewayOptions,
} from './pushgateway';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in Pushgateway on 127.0.0.1 that records requests and answers with `reply`. */
class FakeGateway {
  readonly received: Received[] = [];
  reply: { status: number; body?: string; headers?: Record<string, string> } | 'hang' = {
    status: 200,
  };
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        if (this.reply === 'hang') return;
        res.writeHead(this.reply.status, this.reply.headers);
        res.end(this.reply.body ?? '');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get last(): Received {
    return this.received[this.received.length - 1];
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function registryWithCounter(): { registry: Registry; counter: Counter } {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'billing' });
  const counter = new Counter({
    name: 'rows_imported_total',
    help: 'Rows imported.',
    registers: [registry],
  });
  return { registry, counter };
}

/** Resolves to the rejection message of `promise`, failing when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('PushgatewayClient', () => {
  let gateway: FakeGateway;

  beforeEach(async () => {
    gateway = await new FakeGateway().start();
  });

  afterEach(() => gateway.stop());

  it('push() PUTs the exposition text to /metrics/job/<job>/<label>/<value>', async () => {
    const { registry, counter } = registryWithCounter();
    counter.inc(42);
    const client = new PushgatewayClient(registry, {
      url: gateway.url,
      jobName: 'nightly-import',
      groupings: { instance: 'batch-1' },
    });
    await client.push();
    expect(gateway.last.method).toBe('PUT');
    expect(gateway.last.path).toBe('/metrics/job/nightly-import/instance/batch-1');
    expect(gateway.last.body.toString()).toBe(await registry.metrics());
    expect(gateway.last.body.toString()).toContain('rows_imported_total{service="billing"} 42');
    expect(gateway.last.headers['content-type']).toBe(registry.contentType);
  });

  it('pushAdd() POSTs and delete() DELETEs without a body', async () => {
    const { registry } = registryWithCounter();
    const client = new PushgatewayClient(registry, { url: gateway.url, jobName: 'job' });
    await client.pushAdd();
    expect(gateway.last).toMatchObject({ method: 'POST', path: '/metrics/job/job' });
    expect(gateway.last.body.toString()).toContain('# TYPE rows_imported_total counter');
    await client.delete();
    expect(gateway.last).toMatchObject({ method: 'DELETE', path: '/metrics/job/job' });
    expect(gateway.last.body.length).toBe(0);
  });

  it('URL-encodes the job and grouping values, and base64-encodes values with "/" and empty ones', async () => {
    const { registry } = registryWithCounter();
    const client = new PushgatewayClient(registry, {
      url: `${gateway.url}/`,
      jobName: 'import été',
      groupings: { instance: 'host:9 a&b', path: 'data/in/a.csv', shard: '' },
    });
    await client.push();
    expect(gateway.last.path).toBe(
      '/metrics/job/import%20%C3%A9t%C3%A9' +
        '/instance/host%3A9%20a%26b' +
        `/path%40base64/${Buffer.from('data/in/a.csv').toString('base64url')}` +
        '/shard%40base64/%3D',
    );
    expect(Buffer.from('ZGF0YS9pbi9hLmNzdg', 'base64url').toString()).toBe('data/in/a.csv');
  });

  it('keeps a path prefix of the URL', async () => {
    const { registry } = registryWithCounter();
    await new PushgatewayClient(registry, { url: `${gateway.url}/gw`, jobName: 'j' }).push();
    expect(gateway.last.path).toBe('/gw/metrics/job/j');
  });

  it('sends the configured headers and URL credentials, and keeps gzip after a delete()', async () => {
    const { registry } = registryWithCounter();
    const client = new PushgatewayClient(registry, {
      url: `http://pusher:s3cr%40t@127.0.0.1:${gateway.port}`,
      jobName: 'j',
      headers: { 'X-Scope-OrgID': 'tenant-1', 'Content-Encoding': 'gzip' },
    });
    await client.push();
    expect(gateway.last.headers.authorization).toBe(
      `Basic ${Buffer.from('pusher:s3cr@t').toString('base64')}`,
    );
    expect(gateway.last.headers['x-scope-orgid']).toBe('tenant-1');
    expect(gunzipSync(gateway.last.body).toString()).toBe(await registry.metrics());
    await client.delete();
    await client.pushAdd();
    expect(gateway.last.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gateway.last.body).toString()).toBe(await registry.metrics());
  });

  it('rejects on a 500, naming the gateway and group, the status and body, but no secret', async () => {
    const { registry } = registryWithCounter();
    const token = 'Bearer tok-123456';
    gateway.reply = {
      status: 500,
      body: `storage full; request had authorization ${token},\ntoken tok-123456 and user pusher:hunter2`,
    };
    const client = new PushgatewayClient(registry, {
      url: `http://pusher:hunter2@127.0.0.1:${gateway.port}`,
      jobName: 'nightly-import',
      groupings: { instance: 'batch-1' },
      headers: { Authorization: token },
    });
    const message = await rejection(client.push());
    expect(message).toContain(`http://***@127.0.0.1:${gateway.port}`);
    expect(message).toContain('group {job="nightly-import", instance="batch-1"}');
    expect(message).toContain('Pushing (PUT)');
    expect(message).toContain('HTTP 500');
    expect(message).toContain('storage full');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('pusher');
    expect(message).not.toContain('tok-123456');
  });

  it('does not garble the message with credentials too short to be secret', async () => {
    const { registry } = registryWithCounter();
    gateway.reply = { status: 503, body: 'unavailable, retry later' };
    const message = await rejection(
      new PushgatewayClient(registry, {
        url: `http://u:a@127.0.0.1:${gateway.port}`,
        jobName: 'j',
      }).push(),
    );
    expect(message).toContain('it answered HTTP 503 ("unavailable, retry later")');
    expect(message).toContain(`at http://***@127.0.0.1:${gateway.port} failed`);
  });

  it('rejects on a 3xx, which prom-client resolves', async () => {
    const { registry } = registryWithCounter();
    gateway.reply = { status: 302, headers: { Location: 'http://elsewhere/' } };
    const message = await rejection(
      new PushgatewayClient(registry, { url: gateway.url, jobName: 'j' }).delete(),
    );
    expect(message).toContain('Deleting (DELETE)');
    expect(message).toContain('HTTP 302');
  });

  it('rejects on a network error, naming the gateway', async () => {
    const { registry } = registryWithCounter();
    const url = gateway.url;
    await gateway.stop();
    const message = await rejection(
      new PushgatewayClient(registry, { url, jobName: 'j' }).pushAdd(),
    );
    expect(message).toContain(
      `Adding (POST) the metrics of group {job="j"} on the Pushgateway at ${url}`,
    );
    expect(message).toContain('ECONNREFUSED');
    gateway = await new FakeGateway().start();
  });

  it('rejects after timeoutMs when the gateway does not answer', async () => {
    const { registry } = registryWithCounter();
    gateway.reply = 'hang';
    const started = Date.now();
    const message = await rejection(
      new PushgatewayClient(registry, { url: gateway.url, jobName: 'j', timeoutMs: 200 }).push(),
    );
    expect(message).toContain('no answer within 200 ms ("pushgateway.timeoutMs")');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses invalid options, naming every field', () => {
    const { registry } = registryWithCounter();
    expect(() => new PushgatewayClient(registry, { url: 'ftp://x', jobName: '' } as never)).toThrow(
      /Invalid Pushgateway options:\n {2}- pushgateway\.url: expected an http\(s\) URL, got "ftp:\/\/x"\n {2}- pushgateway\.jobName: expected a non-empty string, got ""/,
    );
  });
});

describe('validatePushgatewayOptions', () => {
  it('accepts valid options', () => {
    expect(
      validatePushgatewayOptions({
        url: 'https://user:pw@push.example.com:9091/prefix',
        jobName: 'j',
        groupings: { instance: 'a', _x: 'b' },
        deleteOnSuccess: true,
        timeoutMs: 2_147_483_647,
        headers: { Authorization: 'Bearer x' },
      }),
    ).toEqual([]);
  });

  it('names every problem, masking credentials', () => {
    expect(
      validatePushgatewayOptions({
        url: 'ftp://admin:hunter2@host',
        jobName: 'a/b',
        groupings: { 'bad-name': 'x', __reserved: 'y', job: 'z', n: 1 },
        deleteOnSuccess: 'yes',
        timeoutMs: 2_147_483_648,
        headers: { Authorization: 12345, 'Bad Header': 'v', 'X-Token': 'ab\ncd' },
        jobname: 'typo',
      }),
    ).toEqual([
      'pushgateway.jobname: unknown option; expected one of url, jobName, groupings, deleteOnSuccess, pushOnExit, timeoutMs, headers',
      'pushgateway.url: expected an http(s) URL, got "ftp://***@host"',
      'pushgateway.jobName: expected a job name without "/", got "a/b"',
      'pushgateway.groupings.bad-name: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__", got "bad-name"',
      'pushgateway.groupings.__reserved: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__", got "__reserved"',
      'pushgateway.groupings.job: expected no "job" label (the job label is "pushgateway.jobName"), got "z"',
      'pushgateway.groupings.n: expected a string, got 1',
      'pushgateway.headers.Authorization: expected a string, got a number (not shown)',
      'pushgateway.headers.Bad Header: expected an HTTP header name (an RFC 9110 token), got "Bad Header"',
      'pushgateway.headers.X-Token: expected a string without line breaks or NUL, got a string (not shown)',
      'pushgateway.deleteOnSuccess: expected a boolean, got "yes"',
      'pushgateway.timeoutMs: expected a positive integer <= 2147483647, got 2147483648',
    ]);
  });

  it.each([
    [undefined, 'pushgateway.url: expected an http(s) URL (or set PUSHGATEWAY_URL), got undefined'],
    [42, 'pushgateway.url: expected an http(s) URL, got 42'],
    ['localhost:9091', 'pushgateway.url: expected an http(s) URL, got "localhost:9091"'],
    ['http://', 'pushgateway.url: expected an http(s) URL, got "http://"'],
    ['not a url user:pw@x', 'pushgateway.url: expected an http(s) URL, got "***@x"'],
    ['http://a:p/w@d@h', 'pushgateway.url: expected an http(s) URL, got "http://***@h"'],
    [
      'http://h:9091/?token=abc',
      'pushgateway.url: expected an http(s) URL without a query or fragment (prom-client drops them), got "http://h:9091/?***"',
    ],
  ])('rejects the url %p', (url, problem) => {
    expect(validatePushgatewayOptions({ url, jobName: 'j' })).toEqual([problem]);
  });

  it.each([0, -1, 1.5, '100', Number.NaN])('rejects timeoutMs %p', (timeoutMs) => {
    expect(validatePushgatewayOptions({ url: 'http://h', jobName: 'j', timeoutMs })).toEqual([
      expect.stringMatching(/^pushgateway\.timeoutMs: expected a positive integer <= 2147483647/),
    ]);
  });

  it('never echoes a header value of the wrong shape', () => {
    const problems = validatePushgatewayOptions({
      url: 'http://h',
      jobName: 'j',
      headers: { Authorization: ['Bearer secret-1'] },
    });
    expect(problems).toEqual([
      'pushgateway.headers.Authorization: expected a string, got an array',
    ]);
    expect(
      validatePushgatewayOptions({ url: 'http://h', jobName: 'j', headers: 'Bearer secret-2' }),
    ).toEqual([
      'pushgateway.headers: expected an object of header names to strings, got a string (not shown)',
    ]);
  });

  it('rejects a non-object', () => {
    expect(validatePushgatewayOptions('http://h')).toEqual([
      'pushgateway: expected an object, got "http://h"',
      'pushgateway.url: expected an http(s) URL (or set PUSHGATEWAY_URL), got undefined',
      'pushgateway.jobName: expected a non-empty string, got undefined',
    ]);
  });
});

describe('resolvePushgatewayOptions', () => {
  it('applies the defaults', () => {
    expect(resolvePushgatewayOptions({ url: 'http://h:9091', jobName: 'j' }, {})).toEqual({
      options: {
        url: 'http://h:9091',
        jobName: 'j',
        groupings: {},
        deleteOnSuccess: false,
        pushOnExit: false,
        timeoutMs: 5000,
        headers: {},
      },
      problems: [],
    });
  });

  it('takes the url from PUSHGATEWAY_URL when none is given, and the option over it', () => {
    const env = { PUSHGATEWAY_URL: ' http://env-gw:9091 ' };
    expect(resolvePushgatewayOptions({ jobName: 'j' }, env).options?.url).toBe(
      'http://env-gw:9091',
    );
    expect(resolvePushgatewayOptions({ url: 'http://opt:1', jobName: 'j' }, env).options?.url).toBe(
      'http://opt:1',
    );
    expect(resolvePushgatewayOptions({ jobName: 'j' }, { PUSHGATEWAY_URL: '' })).toEqual({
      options: undefined,
      problems: [
        'pushgateway.url: expected an http(s) URL (or set PUSHGATEWAY_URL), got undefined',
      ],
    });
  });

  it('names PUSHGATEWAY_URL when it is the bad value, masking its credentials', () => {
    expect(
      resolvePushgatewayOptions({ jobName: 'j' }, { PUSHGATEWAY_URL: 'gopher://u:secret@h' }),
    ).toEqual({
      options: undefined,
      problems: ['PUSHGATEWAY_URL (environment): expected an http(s) URL, got "gopher://***@h"'],
    });
  });
});
