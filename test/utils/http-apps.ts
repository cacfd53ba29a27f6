import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** The HTTP adapters every HTTP-facing suite runs on. */
export const ADAPTERS = [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
] as const;

export type AdapterName = (typeof ADAPTERS)[number][0];

/** Boots `module` on `adapter`, listening on a free loopback port; returns the app and its URL. */
export async function listen(
  module: unknown,
  adapter: (typeof ADAPTERS)[number][1],
  options: { bufferLogs?: boolean; setup?: (app: INestApplication) => void } = {},
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(module as any, adapter() as any, {
    logger: options.bufferLogs ? undefined : false,
    bufferLogs: options.bufferLogs,
    abortOnError: false,
  });
  options.setup?.(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  return { app, url: `http://127.0.0.1:${address.port}` };
}
