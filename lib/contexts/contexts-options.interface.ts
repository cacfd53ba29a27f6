/**
 * Spans and RED metrics of the application's non-HTTP entry points: microservice handlers,
 * WebSocket gateway messages, GraphQL root resolvers, `@nestjs/schedule` jobs and
 * `@nestjs/bullmq` processors.
 *
 * @example
 * ```ts
 * ObservabilityModule.forRoot({ contexts: { enabled: false } });
 * ```
 */
export interface ContextsOptions {
  /**
   * Instrument microservice, WebSocket, GraphQL, scheduled and BullMQ processor handlers (spans
   * and RED metrics). No interceptor is involved: HTTP requests pay nothing for it.
   * @default true
   */
  enabled?: boolean;
}

/** Contexts options after validation. @internal */
export interface ResolvedContextsOptions {
  enabled: boolean;
}
