/**
 * A nightly batch job that pushes its metrics to a Prometheus Pushgateway.
 *
 * A cron job ends long before Prometheus would scrape it, so it starts no metrics server:
 * it records its counters, histograms and KPIs in its own registry, pushes them once at the
 * end (`monitoring.push()`), and Prometheus scrapes the Pushgateway, which keeps the last push
 * of each group (job name plus grouping labels) until the next run replaces it.
 *
 * The job builds one usage report per customer from yesterday's AI usage and e-mails it.
 *
 *   PUSHGATEWAY_URL=http://localhost:9091 npx ts-node -P examples/tsconfig.json examples/batch-job/nightly-report.ts
 *   curl -s localhost:9091/metrics | grep -E 'job="nightly-report"'
 */
import { Monitoring, type MonitoringOptions } from 'nestjs-observability/core';

/** One row of yesterday's usage export. */
export interface UsageRecord {
  customerId: string;
  model: string;
  tokens: number;
}

/** A customer's report, as mailed. */
export interface UsageReport {
  customerId: string;
  totalTokens: number;
  byModel: Record<string, number>;
}

/** Where the job reads its input and sends its output; injected so tests can fake them. */
export interface ReportDeps {
  loadUsage(): Promise<UsageRecord[]>;
  sendReport(report: UsageReport): Promise<void>;
  /** The clock, for `nightly_report_last_run_timestamp_seconds`. @default Date.now */
  now?(): number;
}

/** What one run did, also logged at the end. */
export interface ReportSummary {
  rows: number;
  skippedRows: number;
  reportsSent: number;
  reportsFailed: number;
}

/**
 * Creates the job's monitoring. The Pushgateway URL comes from `PUSHGATEWAY_URL` unless
 * `options.pushgateway.url` is given; `groupings` keep runs of different regions apart.
 */
export function createReportMonitoring(
  options: MonitoringOptions & { region?: string } = {},
): Monitoring {
  const { region = 'eu-west-1', ...monitoringOptions } = options;
  return new Monitoring({
    service: 'nightly-report',
    ...monitoringOptions,
    // Process and runtime metrics of a job that is about to exit tell nothing: skip them.
    metrics: { defaultMetrics: false, ...monitoringOptions.metrics },
    pushgateway: {
      jobName: 'nightly-report',
      groupings: { region },
      ...monitoringOptions.pushgateway,
      // Alternative to the explicit `monitoring.push()` in `main()`: let `monitoring.close()`
      // push the final values. Add `deleteOnSuccess: true` to delete the group instead when
      // the process ends with exit code 0, for jobs watched only through their failed runs.
      //   pushOnExit: true,
    },
  });
}

/** Runs the job once, recording into `monitoring`. Rejects when the input cannot be read. */
export async function runNightlyReport(
  monitoring: Monitoring,
  deps: ReportDeps,
): Promise<ReportSummary> {
  const rows = monitoring.metrics.createCounter({
    name: 'nightly_report_rows_total',
    help: 'Usage rows read by the nightly report, by outcome.',
    labelNames: ['status'],
  });
  const stepDuration = monitoring.metrics.createHistogram({
    name: 'nightly_report_step_duration_seconds',
    help: 'Duration of each step of the nightly report, in seconds.',
    labelNames: ['step'],
    buckets: [0.1, 1, 10, 60, 300],
  });
  // Every push replaces the group, so this is set on every run, failed ones included: alert
  // when it is more than a day old (the job did not run), not on its value.
  const lastRun = monitoring.metrics.createGauge({
    name: 'nightly_report_last_run_timestamp_seconds',
    help: 'Unix time at which the nightly report last started.',
  });
  lastRun.set(Math.floor((deps.now ?? Date.now)() / 1000));

  const endLoad = stepDuration.startTimer({ step: 'load' });
  const records = await deps.loadUsage();
  endLoad();

  // Aggregate: rows with no customer or a non-positive count are skipped, not fatal.
  const endAggregate = stepDuration.startTimer({ step: 'aggregate' });
  const reports = new Map<string, UsageReport>();
  let skippedRows = 0;
  for (const record of records) {
    if (!record.customerId || !(record.tokens > 0)) {
      skippedRows++;
      rows.inc({ status: 'skipped' });
      continue;
    }
    rows.inc({ status: 'ok' });
    const report = reports.get(record.customerId) ?? {
      customerId: record.customerId,
      totalTokens: 0,
      byModel: {},
    };
    report.totalTokens += record.tokens;
    report.byModel[record.model] = (report.byModel[record.model] ?? 0) + record.tokens;
    reports.set(record.customerId, report);
  }
  endAggregate();

  // Deliver: each report is a "generation" in the KPI catalog, so the usual dashboards and
  // alerts on generation failures cover this job too.
  const endDeliver = stepDuration.startTimer({ step: 'deliver' });
  let reportsSent = 0;
  let reportsFailed = 0;
  for (const report of reports.values()) {
    try {
      await deps.sendReport(report);
      reportsSent++;
      monitoring.trackKpi({ type: 'generation_success', data: { type: 'usage_report' } });
    } catch (error) {
      reportsFailed++;
      const errorType = error instanceof Error ? error.name : 'UnknownError';
      monitoring.trackKpi({
        type: 'generation_failure',
        data: { type: 'usage_report', errorType },
      });
      monitoring.handleError(error, { customerId: report.customerId, context: 'nightly-report' });
    }
  }
  endDeliver();

  const summary = { rows: records.length, skippedRows, reportsSent, reportsFailed };
  monitoring.logger.info(summary, 'Nightly report finished');
  return summary;
}

/** Reads a demo export, "mails" the reports to the console, pushes, and exits. */
async function main(): Promise<void> {
  const monitoring = createReportMonitoring({ region: process.env.REGION });
  try {
    const summary = await runNightlyReport(monitoring, {
      loadUsage: async () => [
        { customerId: 'acme', model: 'gpt-4', tokens: 12_000 },
        { customerId: 'acme', model: 'dall-e-3', tokens: 4 },
        { customerId: 'globex', model: 'gpt-4', tokens: 800 },
        { customerId: '', model: 'gpt-4', tokens: 50 },
      ],
      sendReport: async (report) => console.log('report', JSON.stringify(report)),
    });
    if (summary.reportsFailed > 0) process.exitCode = 1;
  } catch (error) {
    monitoring.handleError(error, { severity: 'critical', context: 'nightly-report' });
    process.exitCode = 1;
  } finally {
    // Push whatever was recorded, failed runs included: that is what alerts look at. A push
    // failure must not hide the job's own outcome, so it is reported, not thrown.
    await monitoring.push().catch((error: unknown) => {
      monitoring.handleError(error, { context: 'pushgateway' });
      process.exitCode = 1;
    });
    await monitoring.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // Invalid options, e.g. no Pushgateway URL: the message names the option to set.
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
