import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/**
 * Routes Nest's own logs (bootstrap, `ExceptionsHandler`, every `new Logger(context)`) through
 * the module's structured logger, and flushes what was buffered before. Create the app with
 * `bufferLogs: true` so bootstrap lines are not printed by Nest's default logger first.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * useStructuredLogger(app); // = app.useLogger(app.get(Logger)) with Logger from nestjs-pino
 * await app.listen(3000);
 * ```
 */
export function useStructuredLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(Logger));
  app.flushLogs();
}
