/**
 * Loaded by bench/http-server.ts before Nest: for the `lib-dsn` variant, initialises Sentry
 * the way `nestjs-observability/instrument` does in a user's `main.ts` (before the application
 * is imported, so its HTTP instrumentation is in place), with the module's default options and
 * a DSN. The DSN points at a closed port on 127.0.0.1: no error is thrown in the benchmark, so
 * nothing should be sent anyway.
 */
import { initSentry } from 'nestjs-observability/sentry';
import { startTracing } from 'nestjs-observability/tracing';
import { TRACED_SAMPLERS, TRACED_VARIANTS } from './http-variants';

/** The DSN of the `lib-dsn` variant. */
export const BENCH_DSN = 'http://k@127.0.0.1:9/1';

if (process.argv[3] === 'lib-dsn') initSentry({ service: 'bench', errors: { dsn: BENCH_DSN } });

// The traced variants start tracing as the instrument entry does: before Nest loads, every
// request sampled, exported in batches to the OTLP sink of bench/http.bench.ts.
if (TRACED_VARIANTS.includes(process.argv[3])) {
  startTracing({
    service: 'bench',
    tracing: {
      endpoint: process.env.BENCH_OTLP_URL,
      sampler: 'always_on',
      ...TRACED_SAMPLERS[process.argv[3]],
      // For investigations, e.g. '{"instrumentations":{"express":false}}'.
      ...JSON.parse(process.env.BENCH_TRACING_OPTIONS ?? '{}'),
    },
  });
} else if (process.argv[3] === 'lib-trace-off') {
  startTracing({ service: 'bench' });
}
