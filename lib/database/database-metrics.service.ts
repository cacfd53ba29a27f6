import { performance } from 'node:perf_hooks';
import type { DiagnosticLogger, DiagnosticLoggerFactory } from '../logging/diagnostic-logger';
import type { Gauge } from 'prom-client';
import type { GuardedCounter, GuardedHistogram } from '../metrics/guarded-metrics';
import { MetricCatalog } from '../metrics/metric-catalog';
import type { MetricsRegistry } from '../metrics/metrics-registry';
import { OVERFLOW_LABEL_VALUE } from '../observability.constants';
import type { QueryDescription, QueryDone } from './database-metrics.types';
import type { ResolvedDatabaseMetricsOptions } from './database-options.interface';
import { DatabaseMessages } from './database.messages';
import {
  type PgPoolLike,
  instrumentPgClient,
  instrumentPgPool,
  isPgPool,
} from './pg.instrumentation';
import { type PrismaQueryExtension, createPrismaExtension } from './prisma.extension';
import {
  instrumentMySqlConnection,
  instrumentMySqlPool,
  mySqlPoolOf,
  mySqlPoolStats,
} from './mysql2.instrumentation';
import { startQuerySpan } from './query-span';
import { MAX_SQL_LENGTH, type SqlSummary, summarizeSql } from './sql-statement';

/** Options of one instrumented pool or client. */
export interface InstrumentOptions {
  /**
   * The `pool` label of `database_connections` (unique per service; a taken name gets a suffix).
   * @default 'default'
   */
  name?: string;
}

interface QuerySeries {
  readonly duration: { observe(value: number): void };
  slow: { inc(value?: number): void } | undefined;
}

interface DatabaseInstruments {
  readonly duration: GuardedHistogram;
  readonly errors: GuardedCounter;
  readonly slow: GuardedCounter;
}

interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number | undefined;
}

interface PoolEntry {
  readonly pool: object;
  /** The pool's connections now, or `undefined` once it is closed. */
  stats(): PoolStats | undefined;
}

function pgPoolStats(pool: PgPoolLike): PoolStats | undefined {
  if (pool.ended) return undefined;
  const max = pool.options?.max;
  return {
    total: pool.totalCount ?? 0,
    idle: pool.idleCount ?? 0,
    waiting: pool.waitingCount ?? 0,
    max: typeof max === 'number' ? max : undefined,
  };
}

/** Summaries of recent statements: the SQL of an application is a small set of shapes. */
const SUMMARY_CACHE_SIZE = 500;
/** Statement shapes already logged as slow (each is logged once). */
const SLOW_LOGGED_LIMIT = 1000;

/**
 * The error type of a failed query, a bounded label value: the SQLSTATE code of a PostgreSQL or
 * MySQL error (`23505`), a Prisma error code (`P2002`), a Node.js system error code
 * (`ECONNREFUSED`), else the error's class name.
 */
export function databaseErrorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)) return code;
    if (typeof name === 'string' && /^[A-Za-z0-9_]{1,60}$/.test(name)) return name;
  }
  return 'Error';
}

/**
 * Database metrics of one monitoring instance: records `database_query_duration_seconds`
 * (by operation and table or model), `database_errors_total` (by operation and error type),
 * `database_slow_queries_total` and, at scrape time, `database_connections` (by pool and state:
 * active, idle, total, waiting, max) for the clients given to it.
 *
 * SQL text is reduced to its shape before it goes anywhere: literals become `?`, so no
 * parameter value or literal reaches a label, a log line or a span. The `table` label keeps at
 * most `database.maxTables` values. Recording never throws into the query and never delays it.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Db implements OnModuleInit {
 *   constructor(
 *     private readonly dataSource: DataSource,
 *     private readonly metrics: DatabaseMetricsService,
 *   ) {}
 *   onModuleInit(): void {
 *     this.metrics.instrumentTypeOrm(this.dataSource);
 *   }
 * }
 *
 * // Prisma: extend the client once.
 * const prisma = new PrismaClient({ adapter }).$extends(metrics.prismaExtension());
 * ```
 */
export class DatabaseMetricsService {
  private instruments: DatabaseInstruments | undefined;
  private poolGauge = false;
  private readonly logger: DiagnosticLogger;
  private readonly pools = new Map<string, PoolEntry>();
  private readonly tables = new Set<string>();
  private readonly series = new Map<string, QuerySeries>();
  private readonly summaries = new Map<string, SqlSummary>();
  private readonly slowLogged = new Set<string>();
  private readonly slowSeconds: number;

  /** @internal */
  constructor(
    private readonly options: ResolvedDatabaseMetricsOptions,
    private readonly registry: MetricsRegistry,
    log: DiagnosticLoggerFactory,
  ) {
    this.logger = log('Observability');
    this.slowSeconds = options.slowQueryThresholdMs / 1000;
  }

  /** The metrics, created on first use: an application without a database exposes none. */
  private get metrics(): DatabaseInstruments {
    this.instruments ??= {
      duration: this.registry.fromCatalog(MetricCatalog.databaseQueryDuration) as GuardedHistogram,
      errors: this.registry.fromCatalog(MetricCatalog.databaseErrors) as GuardedCounter,
      slow: this.registry.fromCatalog(MetricCatalog.databaseSlowQueries) as GuardedCounter,
    };
    return this.instruments;
  }

  private watchPools(): void {
    if (this.poolGauge) return;
    this.poolGauge = true;
    const collectPools = (gauge: Gauge): void => this.collectPools(gauge);
    this.registry.fromCatalog(MetricCatalog.databaseConnections, {
      collect(this: Gauge) {
        collectPools(this);
      },
    });
  }

  /**
   * Records every query of a `pg` `Pool` (its pooled clients, `pool.query()` and
   * `pool.connect()`; connection failures count as `operation="CONNECT"` errors) and reports its
   * connections in `database_connections`, or every query of a single `pg` `Client`. Covers what
   * runs on `pg`: TypeORM, MikroORM, Drizzle, Knex and Kysely on PostgreSQL. Call it once, before
   * the first query; the pool is returned unchanged otherwise.
   */
  instrumentPg<T extends object>(poolOrClient: T, options: InstrumentOptions = {}): T {
    try {
      if (isPgPool(poolOrClient)) {
        const pool = poolOrClient;
        void this.metrics;
        if (instrumentPgPool(pool, this)) {
          const name = this.poolName(options.name ?? 'default', pool);
          this.pools.set(name, { pool, stats: () => pgPoolStats(pool) });
          this.watchPools();
        }
      } else {
        void this.metrics;
        instrumentPgClient(poolOrClient, this);
      }
    } catch (error) {
      this.logger.warn(DatabaseMessages.instrumentFailed('pg', error));
    }
    return poolOrClient;
  }

  /**
   * Records every query (`query()` and `execute()`) of a mysql2 pool (callback or promise API,
   * `mysql2` or `mysql2/promise`) and reports its connections in `database_connections`, or
   * every query of a single mysql2 connection. Connection failures count as
   * `operation="CONNECT"` errors. Call it once, before the first query.
   */
  instrumentMySql<T extends object>(poolOrConnection: T, options: InstrumentOptions = {}): T {
    try {
      const pool = mySqlPoolOf(poolOrConnection);
      void this.metrics;
      if (pool) {
        if (instrumentMySqlPool(pool, this)) {
          const name = this.poolName(options.name ?? 'default', pool);
          this.pools.set(name, { pool, stats: () => mySqlPoolStats(pool) });
          this.watchPools();
        }
      } else {
        // A connection of the promise API wraps the callback one in `.connection`.
        const connection =
          (poolOrConnection as { connection?: object }).connection ?? poolOrConnection;
        instrumentMySqlConnection(connection, this);
      }
    } catch (error) {
      this.logger.warn(DatabaseMessages.instrumentFailed('mysql2', error));
    }
    return poolOrConnection;
  }

  /**
   * Records the queries of a TypeORM `DataSource` on PostgreSQL (through its `pg` pools, the
   * primary and any replicas named `<name>`, `<name>_replica_<n>`). A data source not yet
   * initialised is instrumented as soon as `initialize()` resolves.
   */
  instrumentTypeOrm<T extends object>(dataSource: T, options: InstrumentOptions = {}): T {
    const source = dataSource as unknown as TypeOrmDataSourceLike;
    const name = options.name ?? 'default';
    const instrument = (): void => {
      const driver = source.driver;
      const type = source.options?.type;
      if ((type === 'mysql' || type === 'mariadb') && driver?.pool) {
        this.instrumentMySql(driver.pool, { name });
        return;
      }
      if (type !== 'postgres' && type !== 'cockroachdb') {
        this.logger.warn(DatabaseMessages.typeOrmUnsupported(String(type)));
        return;
      }
      if (driver?.master) this.instrumentPg(driver.master, { name });
      (driver?.slaves ?? []).forEach((pool, index) =>
        this.instrumentPg(pool, { name: `${name}_replica_${index + 1}` }),
      );
    };
    try {
      if (source.isInitialized) {
        instrument();
      } else if (typeof source.initialize === 'function') {
        const initialize = source.initialize;
        source.initialize = async function (this: unknown, ...args: unknown[]) {
          const result = await initialize.apply(this, args);
          instrument();
          return result;
        };
      }
    } catch (error) {
      this.logger.warn(DatabaseMessages.instrumentFailed('TypeORM', error));
    }
    return dataSource;
  }

  /**
   * A Prisma client extension recording every model operation (`operation="findMany"`,
   * `table="User"`) and raw query (operation and table read from the SQL): pass it to
   * `prisma.$extends()`.
   */
  prismaExtension(): PrismaQueryExtension {
    void this.metrics;
    return createPrismaExtension(this);
  }

  /**
   * Starts measuring one query of any client (a driver this library does not instrument) and
   * returns the function that ends it. The span of the query starts here.
   */
  start(query: QueryDescription): QueryDone {
    let summary: SqlSummary;
    try {
      summary =
        query.sql !== undefined
          ? this.summarize(query.sql)
          : { operation: query.operation ?? 'OTHER', table: query.table ?? '', statement: '' };
    } catch {
      summary = { operation: 'OTHER', table: '', statement: '' };
    }
    const span = startQuerySpan({
      system: query.system,
      operation: summary.operation,
      table: summary.table,
      statement: summary.statement || undefined,
    });
    const started = performance.now();
    let ended = false;
    return (error?: unknown) => {
      if (ended) return;
      ended = true;
      try {
        const seconds = (performance.now() - started) / 1000;
        const errorType = error === undefined ? undefined : databaseErrorType(error);
        this.record(summary, seconds, errorType);
        span.end(errorType);
      } catch {
        // recording never breaks a query
      }
    };
  }

  /** Records one finished query (`errorType` set when it failed). @internal */
  record(summary: SqlSummary, seconds: number, errorType?: string): void {
    const operation = summary.operation;
    const table = this.boundTable(summary.table);
    const series = this.seriesOf(operation, table);
    series.duration.observe(seconds);
    if (errorType !== undefined) this.metrics.errors.inc({ operation, error_type: errorType });
    if (seconds >= this.slowSeconds) {
      series.slow ??= this.metrics.slow.bind({ operation, table });
      series.slow.inc();
      const shape = summary.statement || `${operation} ${table}`;
      if (!this.slowLogged.has(shape) && this.slowLogged.size < SLOW_LOGGED_LIMIT) {
        this.slowLogged.add(shape);
        this.logger.warn(
          DatabaseMessages.slowQuery(shape, seconds, this.options.slowQueryThresholdMs),
        );
      }
    }
  }

  /** The series of one operation and table, bound once (hot path: no per-query label checks). */
  private seriesOf(operation: string, table: string): QuerySeries {
    const key = `${operation}\u0000${table}`;
    let series = this.series.get(key);
    if (!series) {
      series = { duration: this.metrics.duration.bind({ operation, table }), slow: undefined };
      this.series.set(key, series);
    }
    return series;
  }

  /** Counts a failure to get a connection (`operation="CONNECT"`). @internal */
  connectionFailed(error: unknown): void {
    try {
      this.metrics.errors.inc({ operation: 'CONNECT', error_type: databaseErrorType(error) });
    } catch {
      // recording never breaks a query
    }
  }

  /** Forgets the instrumented pools (their clients stay instrumented but record nothing new). */
  close(): void {
    this.pools.clear();
  }

  /** Sets `database_connections` from the pools at scrape time; forgets ended pools. */
  private collectPools(gauge: Gauge): void {
    gauge.reset();
    for (const [name, entry] of this.pools) {
      const stats = entry.stats();
      if (!stats) {
        this.pools.delete(name);
        continue;
      }
      gauge.set({ pool: name, state: 'total' }, stats.total);
      gauge.set({ pool: name, state: 'idle' }, stats.idle);
      gauge.set({ pool: name, state: 'active' }, Math.max(0, stats.total - stats.idle));
      gauge.set({ pool: name, state: 'waiting' }, stats.waiting);
      if (stats.max !== undefined) gauge.set({ pool: name, state: 'max' }, stats.max);
    }
  }

  private summarize(sql: string): SqlSummary {
    const known = this.summaries.get(sql);
    if (known) return known;
    const summary = summarizeSql(sql);
    // Long statements (bulk inserts) are summarised each time rather than kept as keys.
    if (sql.length > MAX_SQL_LENGTH) return summary;
    if (this.summaries.size >= SUMMARY_CACHE_SIZE) this.summaries.clear();
    this.summaries.set(sql, summary);
    return summary;
  }

  private boundTable(table: string): string {
    if (table === '' || this.tables.has(table)) return table;
    if (this.tables.size < this.options.maxTables) {
      this.tables.add(table);
      return table;
    }
    this.registry.overflow(this.registry.fullName(MetricCatalog.databaseQueryDuration.name));
    return OVERFLOW_LABEL_VALUE;
  }

  private poolName(wanted: string, pool: object): string {
    for (const [name, entry] of this.pools) if (entry.pool === pool) return name;
    let name = wanted;
    for (let n = 2; this.pools.has(name); n++) name = `${wanted}_${n}`;
    return name;
  }
}

/** The parts of a TypeORM `DataSource` read here. */
interface TypeOrmDataSourceLike {
  isInitialized?: boolean;
  initialize?: (...args: unknown[]) => Promise<unknown>;
  options?: { type?: unknown };
  driver?: { master?: object; slaves?: object[]; pool?: object };
}
