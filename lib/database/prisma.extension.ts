import type { QueryRecorder } from './database-metrics.types';

/** What Prisma passes to a `$allOperations` query extension. */
export interface PrismaOperationParams {
  /** The model, absent for raw queries (`$queryRaw`). */
  model?: string;
  operation: string;
  args: unknown;
  query: (args: unknown) => Promise<unknown>;
}

/**
 * A Prisma client extension (`prisma.$extends(extension)`) that records every operation:
 * model operations as `operation="findMany"`, `table="User"`; raw queries by the operation and
 * table of their SQL, sanitised. Typed structurally so that Prisma stays an optional peer.
 */
export interface PrismaQueryExtension {
  readonly name: string;
  readonly query: {
    $allOperations(params: PrismaOperationParams): Promise<unknown>;
  };
}

/** The SQL text of a raw query's arguments (`Prisma.sql` object, template, or unsafe string). */
function rawSql(args: unknown): string | undefined {
  if (typeof args === 'string') return args;
  if (Array.isArray(args)) {
    if (typeof args[0] === 'string') return args[0];
    const first = args[0] as { raw?: unknown } | undefined;
    if (Array.isArray(first) && first.every((part) => typeof part === 'string')) {
      return (first as string[]).join('?');
    }
    return rawSql(args[0]);
  }
  if (args && typeof args === 'object') {
    const { sql, text, strings } = args as { sql?: unknown; text?: unknown; strings?: unknown };
    if (typeof sql === 'string') return sql;
    if (typeof text === 'string') return text;
    if (Array.isArray(strings)) return strings.join('?');
  }
  return undefined;
}

/** Builds the extension over `recorder`. @internal */
export function createPrismaExtension(recorder: QueryRecorder): PrismaQueryExtension {
  return {
    name: 'nestjs-observability',
    query: {
      async $allOperations({ model, operation, args, query }) {
        let done;
        try {
          const sql = model ? undefined : rawSql(args);
          done =
            sql !== undefined
              ? recorder.start({ system: 'prisma', sql })
              : recorder.start({ system: 'prisma', operation, table: model ?? '' });
        } catch {
          done = undefined;
        }
        try {
          const result = await query(args);
          done?.();
          return result;
        } catch (error) {
          done?.(error);
          throw error;
        }
      },
    },
  };
}
