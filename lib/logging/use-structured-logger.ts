import type { INestApplicationContext } from '@nestjs/common';
import { StructuredNestLogger } from './structured-nest.logger';

/**
 * Routes Nest's own logs (bootstrap, `ExceptionsHandler`, every `new Logger(context)`) through
 * the module's structured logger, and flushes what was buffered before. Create the app with
 * `bufferLogs: true` so bootstrap lines are not printed by Nest's default logger first.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * useStructuredLogger(app);
 * await app.listen(3000);
 * ```
 */
export function useStructuredLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(StructuredNestLogger));
  app.flushLogs();
}
