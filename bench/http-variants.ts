/** The server variants of `npm run bench:http`, with the label printed in the table. */
export const VARIANTS = {
  bare: 'bare Nest 11',
  'bare+process': 'bare + prom-client default process metrics only',
  'lib-noprocess': 'nestjs-observability, process metrics off',
  'lib-light': "nestjs-observability, defaultMetrics: 'light'",
  'lib-default': 'nestjs-observability, default configuration',
  peer: 'hand-written peer (@willsoto + interceptor)',
} as const;
export type Variant = keyof typeof VARIANTS;
