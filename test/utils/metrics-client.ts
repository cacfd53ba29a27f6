import type { INestApplicationContext } from '@nestjs/common';
import { MetricsServer } from 'nestjs-observability';
import { type Exposition, parseExposition } from './exposition';

/** The base URL of the metrics server of `app` (started with `metrics.port: 0`). */
export function metricsUrl(app: INestApplicationContext): string {
  const port = app.get(MetricsServer).port;
  if (!port) throw new Error('The metrics server of this app is not running.');
  return `http://127.0.0.1:${port}`;
}

/** Scrapes `GET /metrics` of `app` over real HTTP and parses it. */
export async function scrape(
  app: INestApplicationContext,
  init?: RequestInit,
): Promise<{ status: number; text: string; exposition: Exposition; contentType: string | null }> {
  const response = await fetch(`${metricsUrl(app)}/metrics`, init);
  const text = await response.text();
  return {
    status: response.status,
    text,
    contentType: response.headers.get('content-type'),
    exposition:
      response.status === 200 ? parseExposition(text) : { samples: [], types: {}, help: {} },
  };
}
