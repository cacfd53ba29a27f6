import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The messages of a listen failure, so each server names its own option. */
export interface ListenFailureMessages {
  portInUse(host: string, port: number): string;
  failed(host: string, port: number, reason: string): string;
}

/**
 * Creates an HTTP server for `handler` and resolves once it listens on `host`:`port`; rejects
 * with `messages`' text when it cannot (the port in use, or another error). Errors after that
 * go to `onError`, never unhandled.
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
  messages: ListenFailureMessages,
  onError: (error: Error) => void,
): Promise<Server> {
  const server = createServer(handler);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      server.removeListener('listening', listening);
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? messages.portInUse(host, port)
            : messages.failed(host, port, error.message),
        ),
      );
    };
    const listening = (): void => {
      server.removeListener('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(port, host);
  });
  server.on('error', onError);
  return server;
}

/** Closes `server` and its open connections (keep-alive ones included). */
export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Answers `res` with `body` of `type`, uncached (for `HEAD`, the headers alone). */
export function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  head = false,
): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(head ? undefined : body);
}
