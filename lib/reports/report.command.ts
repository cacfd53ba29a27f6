import { PrometheusApiError } from './prometheus-api.client';
import { reportsToCsv } from './report-csv';
import { ReportRangeError, type ReportRangeInput } from './report-range';
import { ReportService } from './report.service';
import { REPORT_KINDS, type Report, type ReportKind } from './report.types';

/** Where the command writes (the same shape as the generate command's output). */
export interface ReportCommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `nestjs-observability report --help`. */
export const REPORT_USAGE = [
  'Usage: nestjs-observability report --prometheus <url> [--since <24h> | --start <time> [--end <time>]]',
  '         [--report dashboard|business-intelligence|performance] [--format json|csv]',
  '         [--service <service>] [--prefix <prefix>] [--timeout-ms <ms>]',
  '',
  'Prints the overview (dashboard), business-intelligence and performance reports (all three',
  'unless --report names one) over the range, computed from the Prometheus HTTP API.',
  "--prometheus defaults to PROMETHEUS_URL; --since to each report's default (7d, 30d, 24h);",
  'times are RFC 3339 or Unix seconds.',
].join('\n');

const FLAGS: Record<string, string> = {
  '--prometheus': 'prometheus',
  '--since': 'since',
  '--start': 'start',
  '--end': 'end',
  '--report': 'report',
  '--format': 'format',
  '--service': 'service',
  '--prefix': 'prefix',
  '--timeout-ms': 'timeoutMs',
};

class UsageError extends Error {}

function parse(args: string[]): Record<string, string> | 'help' {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = FLAGS[flag];
    if (!key) {
      throw new UsageError(
        `Unknown flag "${flag}"; expected ${Object.keys(FLAGS).join(', ')} or --help.`,
      );
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`The flag "${flag}" needs a value.`);
    }
    flags[key] = value;
  }
  return flags;
}

/**
 * `nestjs-observability report ...`: the reports from a Prometheus server, printed as JSON (one
 * object by report name) or CSV. Resolves with the exit code: 0 on success, 1 when Prometheus
 * fails, 2 on a usage error (bad flag, range or format).
 *
 * @example
 * ```ts
 * process.exitCode = await reportMain(['--prometheus', 'http://prometheus:9090', '--since', '24h']);
 * ```
 */
export async function reportMain(
  args: string[],
  output: ReportCommandOutput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  try {
    const flags = parse(args);
    if (flags === 'help') {
      output.out(REPORT_USAGE);
      return 0;
    }
    const url = flags.prometheus ?? env.PROMETHEUS_URL?.trim();
    if (!url) {
      throw new UsageError('Give the Prometheus server: --prometheus <url> or PROMETHEUS_URL.');
    }
    if (!/^https?:\/\/[^/\s]+/i.test(url)) {
      throw new UsageError(`"--prometheus" must be an http(s) URL.`);
    }
    const format = flags.format ?? 'json';
    if (format !== 'json' && format !== 'csv') {
      throw new UsageError(`"--format" must be json or csv, got ${JSON.stringify(format)}.`);
    }
    const kinds = flags.report === undefined ? [...REPORT_KINDS] : [flags.report as ReportKind];
    if (!REPORT_KINDS.includes(kinds[0])) {
      throw new UsageError(
        `"--report" must be one of ${REPORT_KINDS.join(', ')}, got ${JSON.stringify(flags.report)}.`,
      );
    }
    const timeoutMs = flags.timeoutMs === undefined ? 10_000 : Number(flags.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new UsageError(`"--timeout-ms" must be a positive whole number of milliseconds.`);
    }
    const service = new ReportService({
      prefix: flags.prefix ?? '',
      service: flags.service,
      prometheusUrl: url.replace(/\/+$/, ''),
      timeoutMs,
    });
    const range: ReportRangeInput = { since: flags.since, start: flags.start, end: flags.end };
    // Every report ends at the same instant, so the three agree with each other.
    range.end ??= String(Date.now() / 1000);
    const reports: Report[] = [];
    for (const kind of kinds) reports.push(await service.report(kind, range));
    if (format === 'csv') {
      output.out(reportsToCsv(reports).replace(/\r\n$/, ''));
    } else {
      const byName = Object.fromEntries(reports.map((r) => [r.report, r]));
      output.out(JSON.stringify(kinds.length === 1 ? reports[0] : byName, null, 2));
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ReportRangeError) {
      output.err(error.message);
      output.err('');
      output.err(REPORT_USAGE);
      return 2;
    }
    if (error instanceof PrometheusApiError) {
      output.err(error.message);
      return 1;
    }
    throw error;
  }
}
