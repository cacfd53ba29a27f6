import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { MetricsServer } from './metrics-server.service';
import type { MetricsRegistry } from './metrics-registry';

type Auth = ResolvedObservabilityOptions['metrics']['auth'];

const registry = {
  metrics: async () => 'up 1\n',
  exposition: async () => 'up 1\n',
  expositionChunks: async () => ['up 1\n'],
} as unknown as MetricsRegistry;
const quiet = () => ({ log: () => undefined, warn: () => undefined, error: () => undefined });

async function serve(auth: Auth): Promise<{ server: MetricsServer; url: string }> {
  const options = {
    service: 'api',
    metrics: { enabled: true, host: '127.0.0.1', port: 0, path: '/metrics', auth },
  } as unknown as ResolvedObservabilityOptions;
  const server = new MetricsServer(options, registry, quiet);
  await server.start();
  return { server, url: `http://127.0.0.1:${server.port}/metrics` };
}

const statusWith = async (url: string, authorization?: string): Promise<number> =>
  (await fetch(url, { headers: authorization === undefined ? {} : { authorization } })).status;

describe('MetricsServer authentication', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('accepts the bearer scheme in any case (RFC 9110 §11.1), and only the right token', async () => {
    const started = await serve({ type: 'bearer', token: 's3cret' });
    server = started.server;
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(await statusWith(started.url, `${scheme} s3cret`)).toBe(200);
    }
    expect(await statusWith(started.url, 'bearer  s3cret ')).toBe(200);
    for (const wrong of [
      undefined,
      '',
      'bearer',
      'bearer ',
      'bearer S3CRET',
      'bearer s3cret2',
      'Basic s3cret',
      'Bearers3cret',
      's3cret',
    ]) {
      expect(await statusWith(started.url, wrong)).toBe(401);
    }
  });

  it('accepts the basic scheme in any case, with case-sensitive credentials', async () => {
    const started = await serve({ type: 'basic', username: 'prom', password: 'pw' });
    server = started.server;
    const credentials = Buffer.from('prom:pw').toString('base64');
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      expect(await statusWith(started.url, `${scheme} ${credentials}`)).toBe(200);
    }
    const wrongPassword = Buffer.from('prom:PW').toString('base64');
    for (const wrong of [
      `basic ${wrongPassword}`,
      `bearer ${credentials}`,
      `basic ${credentials.toLowerCase()}`,
      'basic',
    ]) {
      expect(await statusWith(started.url, wrong)).toBe(401);
    }
    const denied = await fetch(started.url);
    expect(denied.headers.get('www-authenticate')).toBe('Basic realm="metrics"');
  });
});
