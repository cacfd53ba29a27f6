// First: Sentry instruments HTTP and database clients as they load (no-op without SENTRY_DSN).
import 'nestjs-observability/instrument';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { useStructuredLogger } from 'nestjs-observability';
import { AppModule } from './app.module';

/**
 * Starts the sample API on `PORT` (3000). Metrics are served by the library on their own port,
 * `METRICS_PORT` (9091), away from public traffic: `curl localhost:9091/metrics`.
 */
async function bootstrap(): Promise<void> {
  // Nest's own logs (bootstrap, exceptions, every Logger) become JSON lines with the request id.
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  useStructuredLogger(app);
  // On SIGTERM, close the app: queued jobs finish and the metrics server stops cleanly.
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  new Logger('SampleApp').log(`Sample API listening on http://localhost:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('SampleApp').error('The sample API failed to start', (error as Error)?.stack);
  process.exitCode = 1;
});
