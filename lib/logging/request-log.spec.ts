import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { resolveOptions } from '../config/resolve-options';
import { ContextStore } from './request-context';
import { RequestLog } from './request-log';
import { StructuredLogger } from './structured-logger';

/** Lines written to a stream, `time` and `responseTime` replaced (the two paths run at other times). */
function capture() {
  const lines: string[] = [];
  const stream = {
    write: (line: string) =>
      void lines.push(
        line
          .replace(/"time":"[^"]+"/, '"time":"T"')
          .replace(/"responseTime":[\d.]+/, '"responseTime":1'),
      ),
  };
  return { lines, stream };
}

function loggerWith(stream: { write(line: string): void }, logging: Record<string, unknown> = {}) {
  return new StructuredLogger(
    resolveOptions(
      {
        service: 'orders-api',
        environment: 'staging',
        version: '1.2.3',
        logging: { stream, ...logging },
      },
      {},
    ),
    () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }),
  );
}

interface Shape {
  name: string;
  method?: string;
  url: string;
  statusCode: number;
  finished: boolean;
  headers: Record<string, string>;
  remoteAddress?: string;
  user?: { userId?: unknown; workspaceId?: unknown };
  requestId?: string;
}

const SHAPES: Shape[] = [
  {
    name: 'completed, with user, query secret and user agent',
    method: 'GET',
    url: '/orders/1?token=s3cret&page=2',
    statusCode: 200,
    finished: true,
    headers: { 'user-agent': 'curl/8 "quoted" \\ \u2028' },
    remoteAddress: '127.0.0.1',
    user: { userId: 'u-1', workspaceId: 7 },
    requestId: 'req-1',
  },
  {
    name: 'errored, no user agent, no request id',
    method: 'POST',
    url: '/orders',
    statusCode: 503,
    finished: true,
    headers: {},
  },
  {
    name: 'client error without a method',
    url: '/x\n"y"',
    statusCode: 404,
    finished: true,
    headers: { 'user-agent': 'ü' },
    user: { userId: null },
    requestId: 'r',
  },
  { name: 'aborted', method: 'GET', url: '/slow', statusCode: 200, finished: false, headers: {} },
];

/** Writes the request line of `shape` through `log` and returns what was written. */
function writeLine(
  structured: StructuredLogger,
  shape: Shape,
  prepared: boolean,
  logger = structured.root,
): void {
  const log = new RequestLog({
    root: structured.root,
    traceContext: structured.traceContext,
    redactor: structured.redactor,
    excludePaths: [],
    userContext: () => shape.user as never,
    preparedLine: prepared ? structured.preparedLine : undefined,
  });
  const req = Object.assign(new EventEmitter(), {
    method: shape.method,
    url: shape.url,
    headers: shape.headers,
    socket: { remoteAddress: shape.remoteAddress },
  }) as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), {
    statusCode: shape.statusCode,
    writableFinished: shape.finished,
  }) as unknown as ServerResponse;
  const store = shape.requestId ? new ContextStore(logger, shape.requestId, req) : undefined;
  log.watch(req, res, req, store);
  res.emit('close');
}

describe('RequestLog', () => {
  it.each(SHAPES)('writes the same line as pino would: $name', (shape) => {
    const { lines, stream } = capture();
    const structured = loggerWith(stream);
    expect(structured.preparedLine).toBeDefined();
    writeLine(structured, shape, true);
    writeLine(structured, shape, false);
    expect(lines).toHaveLength(2);
    const [prepared, viaPino] = lines;
    expect(prepared).toBe(viaPino);
    const line = JSON.parse(prepared);
    expect(line).toMatchObject({
      service: 'orders-api',
      environment: 'staging',
      version: '1.2.3',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      res: { statusCode: shape.finished ? shape.statusCode : 499 },
    });
    expect(prepared).not.toContain('s3cret');
  });

  it('writes through pino for user ids it does not serialise itself, and for a child logger', () => {
    const { lines, stream } = capture();
    const structured = loggerWith(stream);
    writeLine(structured, { ...SHAPES[0], user: { userId: { nested: true } } }, true);
    expect(JSON.parse(lines[0]).user_id).toEqual({ nested: true });
    // `RequestContext.assign()` gives the request a child logger: its fields are on the line.
    writeLine(structured, SHAPES[0], true, structured.root.child({ tenant: 't-9' }));
    expect(JSON.parse(lines[1])).toMatchObject({ tenant: 't-9', request_id: 'req-1' });
  });

  it('honours the level: no info line when the logger is at warn, errors still written', () => {
    const { lines, stream } = capture();
    const structured = loggerWith(stream, { level: 'warn' });
    writeLine(structured, SHAPES[0], true);
    expect(lines).toHaveLength(0);
    writeLine(structured, SHAPES[1], true);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', msg: 'request errored' });
    structured.root.level = 'silent';
    writeLine(structured, SHAPES[1], true);
    expect(lines).toHaveLength(1);
  });

  it('leaves streams that need pino’s metadata (multistream) to pino', () => {
    const { lines, stream } = capture();
    const structured = loggerWith(pino.multistream([{ stream }]) as never);
    expect(structured.preparedLine).toBeUndefined();
    writeLine(structured, SHAPES[0], true);
    expect(JSON.parse(lines[0]).msg).toBe('request completed');
  });
});
