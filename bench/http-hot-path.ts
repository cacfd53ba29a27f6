/**
 * The recorder's own cost per request, measured in one process without a server: a noise-robust
 * complement to the CPU-per-request table of bench/http.bench.ts, whose differences under ~10 %
 * drown in the noise of a shared machine. Each iteration is one request through the same calls
 * as the Fastify hook (ignore check, start, the response's `close`, counter + histogram), against
 * a baseline that only creates and closes the response object.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { resolveOptions } from '../lib/config/resolve-options';
import { HttpMetricsRecorder } from '../lib/http/http-metrics.recorder';
import { PathMatcher } from '../lib/http/path-matcher';
import { StructuredLogger } from '../lib/logging/structured-logger';
import { RequestLog } from '../lib/logging/request-log';
import { MetricsRegistry } from '../lib/metrics/metrics-registry';
import { counterFastPath, histogramFastPath } from '../lib/metrics/prom-client-fast-path';

/** Nanoseconds per request spent in the recorder (median of `rounds`). */
export async function hotPathNanos(iterations = 200_000, rounds = 5): Promise<number> {
  const options = resolveOptions({ service: 'bench', metrics: { defaultMetrics: false } }, {});
  const silent = { log: () => {}, warn: () => {}, error: () => {} };
  const registry = new MetricsRegistry(options, () => silent);
  // As in a booted application: the fast path turns on once prom-client passed its self-check.
  await Promise.all([counterFastPath().verdict, histogramFastPath().verdict]);
  const recorder = new HttpMetricsRecorder(registry, options.http);
  const ignore = new PathMatcher(options.http.ignorePaths);
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/users/42';
  const response = (): ServerResponse => {
    const res = new ServerResponse(req);
    res.statusCode = 200;
    return res;
  };
  const run = (withRecorder: boolean): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const res = response();
      if (withRecorder && !ignore.matches(req.url)) recorder.start(req, res, '/users/:id');
      res.emit('close');
    }
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  run(true);
  run(false);
  const overheads: number[] = [];
  for (let r = 0; r < rounds; r++) overheads.push(run(true) - run(false));
  overheads.sort((a, b) => a - b);
  registry.dispose();
  return overheads[rounds >> 1];
}

/**
 * Nanoseconds per request spent on the request log line (median of `rounds`): the module's
 * `RequestLog` watching a response and writing its line through the application's pino logger
 * into a stream that drops it (so the figure is the line's CPU, not the terminal's or the pipe's).
 */
export function requestLineNanos(iterations = 100_000, rounds = 5): number {
  const options = resolveOptions(
    {
      service: 'bench',
      metrics: { defaultMetrics: false },
      logging: { stream: { write: () => true } },
    },
    {},
  );
  const structured = new StructuredLogger(options);
  const log = new RequestLog({
    root: structured.root,
    traceContext: structured.traceContext,
    redactor: structured.redactor,
    excludePaths: options.logging.excludePaths,
    userContext: options.logging.userContext,
    preparedLine: structured.preparedLine,
  });
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/users/42';
  req.headers = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', accept: '*/*' };
  const run = (withLine: boolean): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const res = new ServerResponse(req);
      res.statusCode = 200;
      if (withLine) log.watch(req, res, req);
      res.emit('close'); // not ended: logged as `request aborted`, the same work as a completed line
    }
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  run(true);
  run(false);
  const overheads: number[] = [];
  for (let r = 0; r < rounds; r++) overheads.push(run(true) - run(false));
  overheads.sort((a, b) => a - b);
  return overheads[rounds >> 1];
}
