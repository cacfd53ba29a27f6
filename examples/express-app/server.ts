/**
 * A plain Express API (no Nest) with HTTP metrics and error tracking.
 *
 * `createExpressMetricsMiddleware` records `http_requests_total`,
 * `http_request_duration_seconds` and `http_requests_in_progress` by method, route template
 * (`/users/:id`, never `/users/42`) and status code. The metrics are served on their own port
 * (`METRICS_PORT`, 9091 by default), away from the public one, so `/metrics` is never exposed
 * to the internet by accident.
 *
 *   npx ts-node -P examples/tsconfig.json examples/express-app/server.ts
 *   curl localhost:3000/users/1; curl localhost:3000/boom
 *   curl -s localhost:9091/metrics | grep http_requests_total
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import {
  createExpressMetricsMiddleware,
  Monitoring,
  type MonitoringOptions,
} from 'nestjs-observability/core';

export interface User {
  id: string;
  name: string;
}

/** The app's data access; an in-memory map here. */
export interface UserStore {
  find(id: string): Promise<User | undefined>;
}

/** The app, its monitoring, and how to start and stop both. */
export interface ExpressExample {
  app: Express;
  monitoring: Monitoring;
  /** Starts the metrics server, then the app on `port` (0 picks a free one). Returns the port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting requests, then closes the monitoring (metrics server included). */
  close(): Promise<void>;
}

/** Builds the Express app and its monitoring (service `express-app`; `options` override it). */
export function createExpressExample(
  users: UserStore,
  options: MonitoringOptions = {},
): ExpressExample {
  const monitoring = new Monitoring({ service: 'express-app', ...options });
  const app = express();

  // First, so that every response is measured, including those of later middleware. Health
  // checks are polled every few seconds and would drown the real traffic: they are not counted.
  app.use(createExpressMetricsMiddleware({ monitoring, ignorePaths: ['/health'] }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/users/:id', async (req, res) => {
    const user = await users.find(req.params.id);
    if (!user) {
      res.status(404).json({ message: `No user ${req.params.id}` });
      return;
    }
    monitoring.trackKpi({ type: 'active_user', data: { userId: user.id } });
    res.json(user);
  });

  // A route with a bug, to see a 500 in `http_requests_total` and `errors_total`.
  app.get('/boom', () => {
    throw new TypeError("Cannot read properties of undefined (reading 'plan')");
  });

  // Last: Express 5 sends errors thrown (or rejected) by handlers here.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    monitoring.handleError(error, { context: `${req.method} ${req.route?.path ?? req.path}` });
    res.status(500).json({ message: 'Internal server error' });
  });

  let server: Server | undefined;
  return {
    app,
    monitoring,
    async listen(port, host) {
      await monitoring.startMetricsServer();
      server = createServer(app);
      server.listen(port, host);
      await once(server, 'listening');
      return (server.address() as AddressInfo).port;
    },
    async close() {
      const listening = server;
      server = undefined;
      if (listening) {
        listening.closeIdleConnections();
        await new Promise<void>((resolve, reject) =>
          listening.close((error) => (error ? reject(error) : resolve())),
        );
      }
      await monitoring.close();
    },
  };
}

/** Serves on `PORT` (3000) until SIGTERM or Ctrl+C, then shuts down gracefully. */
async function main(): Promise<void> {
  const users = new Map<string, User>([
    ['1', { id: '1', name: 'Ada' }],
    ['2', { id: '2', name: 'Grace' }],
  ]);
  const example = createExpressExample({ find: async (id) => users.get(id) });
  const port = await example.listen(Number(process.env.PORT ?? 3000));
  example.monitoring.logger.info(
    { port, metricsPort: example.monitoring.metricsPort },
    'Listening',
  );

  const [signal] = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  example.monitoring.logger.info({ signal }, 'Shutting down');
  await example.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
