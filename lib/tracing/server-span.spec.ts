import { trace } from '@opentelemetry/api';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, type TestTracing } from '../../test/utils/tracing';
import { PathMatcher } from '../http/path-matcher';
import { Redactor } from '../logging/redaction';
import { ServerSpans } from './server-span';

describe('ServerSpans on the request event of a node:http server', () => {
  let tracing: TestTracing;
  let spans: ServerSpans;

  beforeEach(() => {
    tracing = startTracing();
    spans = new ServerSpans(
      trace.getTracer('test'),
      new PathMatcher(['/health']),
      new Redactor(),
      undefined,
      false,
    );
    spans.patchServers([[http.Server.prototype, 'http']]);
  });

  afterEach(async () => {
    spans.close();
    await tracing.stop();
  });

  async function get(server: http.Server, path: string): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('runs the handler inside the span and ends it with the status', async () => {
    let active: string | undefined;
    const server = http.createServer((_req, res) => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      res.statusCode = 503;
      res.end();
    });
    expect(await get(server, '/jobs?page=2')).toBe(503);
    await waitForSpan(tracing, 'GET');
    const span = tracing.span('GET');
    expect(span.spanContext().spanId).toBe(active);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/jobs',
      'url.query': 'page=2',
      'http.response.status_code': 503,
    });
    expect(span.status.code).toBe(2);
  });

  it('carries a sampled-out trace without recording it or listening to the response', async () => {
    const seen: Array<{ traceId?: string; recording?: boolean; closeListeners: number }> = [];
    const server = http.createServer((_req, res) => {
      const span = trace.getActiveSpan();
      seen.push({
        traceId: span?.spanContext().traceId,
        recording: span?.isRecording(),
        closeListeners: res.listenerCount('close'),
      });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      for (const flags of ['00', '01']) {
        const traceparent = `00-${traceId}-00f067aa0ba902b7-${flags}`;
        await fetch(`http://127.0.0.1:${port}/jobs`, { headers: { traceparent } });
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await waitForSpan(tracing, 'GET');
    const [unsampled, sampled] = seen;
    expect(unsampled).toMatchObject({ traceId, recording: false });
    expect(sampled).toMatchObject({ traceId, recording: true });
    // The recorded request's span listens for the response's end; the other adds nothing.
    expect(unsampled.closeListeners).toBe(sampled.closeListeners - 1);
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(1);
    expect(tracing.span('GET').attributes).toMatchObject({ 'url.path': '/jobs' });
  });

  it('skips ignored paths and servers handed to a Nest hook, and unpatches on close', async () => {
    expect(
      await get(
        http.createServer((_req, res) => res.end()),
        '/health',
      ),
    ).toBe(200);
    const app = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end();
    spans.own(app);
    expect(await get(http.createServer(app), '/owned')).toBe(200);
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
    spans.close();
    expect(Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit')).toBe(false);
  });
});

async function waitForSpan(tracing: TestTracing, name: string): Promise<void> {
  for (let i = 0; i < 100 && tracing.spans(name).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
