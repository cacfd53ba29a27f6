import { request } from 'node:http';

/** A response as the client received it. */
export interface ClientResponse {
  status: number;
  body: string;
}

/**
 * Sends one request over a fresh connection with `node:http` and resolves with the response.
 * A server that answers before reading the whole body (413) may reset the connection while the
 * body is still being written: the response, once received, wins over that error.
 */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(
      `${baseUrl}${path}`,
      { method, headers: { connection: 'close', ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          settled = true;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => !settled && reject(error));
      },
    );
    req.on('error', (error) => {
      // Wait a moment: a response may still arrive after an EPIPE/ECONNRESET on the body.
      setTimeout(() => !settled && reject(error), 200);
    });
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

/**
 * Starts a request and destroys its socket once the server has begun handling it (when
 * `entered` resolves): the client going away mid-request.
 */
export function sendAndAbort(
  baseUrl: string,
  path: string,
  entered: Promise<unknown>,
): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}${path}`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    void entered.then(() => {
      req.destroy();
      resolve();
    });
  });
}

/** Polls `check` every 20 ms until it returns true, at most `attempts` times. */
export async function eventually(check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Condition not met after ${attempts} attempts.`);
}
