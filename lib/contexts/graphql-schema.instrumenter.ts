import { context as otelContext, SpanKind } from '@opentelemetry/api';
import type { ContextMetrics } from './context-metrics';
import { runTraced } from './traced-call';

type Resolve = (source: unknown, args: unknown, ctx: unknown, info: unknown) => unknown;

/** The parts of a graphql-js `GraphQLField` read and replaced here. */
interface FieldLike {
  name: string;
  resolve?: Resolve;
}

/** The parts of a graphql-js `GraphQLObjectType` read here. */
interface ObjectTypeLike {
  name: string;
  getFields(): Record<string, FieldLike>;
}

/** The parts of a graphql-js `GraphQLSchema` read here. */
export interface GraphqlSchemaLike {
  getQueryType(): ObjectTypeLike | null | undefined;
  getMutationType(): ObjectTypeLike | null | undefined;
}

/** The parts of graphql-js' `GraphQLResolveInfo` read here. */
interface ResolveInfoLike {
  operation?: { operation?: string; name?: { value?: string } };
}

/** Root fields already wrapped (a schema shared by two instrumenters is wrapped once). */
const WRAPPED = new WeakSet<object>();

/**
 * Wraps the resolver of every root query and mutation field of `schema`, so each root field
 * resolved runs in a span and is counted in `graphql_requests_total` and timed in
 * `graphql_request_duration_seconds` by operation type and name (`anonymous` without one).
 * `handlerNames` maps `query:video` to the span name of the Nest resolver method
 * (`VideoResolver.video`); other fields are named `Query.video`. The wrapper calls whatever
 * resolver the field had (a GraphQL server's plugin wrapper included) and returns or rethrows
 * its result untouched.
 *
 * @returns the number of fields wrapped.
 */
export function instrumentGraphqlSchema(
  schema: GraphqlSchemaLike,
  metrics: ContextMetrics,
  handlerNames: ReadonlyMap<string, string>,
): number {
  let wrapped = 0;
  const roots: Array<[string, ObjectTypeLike | null | undefined]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ];
  for (const [kind, type] of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const original = field.resolve;
      if (typeof original !== 'function' || WRAPPED.has(field)) continue;
      const spanName = handlerNames.get(`${kind}:${field.name}`) ?? `${type.name}.${field.name}`;
      const fieldName = field.name;
      field.resolve = function resolveRootField(this: unknown, source, args, ctx, info) {
        const operation = (info as ResolveInfoLike | undefined)?.operation;
        const operationType = operation?.operation ?? kind;
        const name = operation?.name?.value;
        const operationName = typeof name === 'string' && name !== '' ? name : 'anonymous';
        return runTraced(
          {
            name: spanName,
            kind: SpanKind.INTERNAL,
            attributes: {
              'graphql.operation.type': operationType,
              'graphql.operation.name': operationName,
              'graphql.field.name': fieldName,
            },
          },
          otelContext.active(),
          metrics.graphql(operationType, operationName),
          () => original.call(this, source, args, ctx, info),
        );
      };
      WRAPPED.add(field);
      wrapped++;
    }
  }
  return wrapped;
}
