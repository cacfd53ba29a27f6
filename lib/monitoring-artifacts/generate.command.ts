import { readFile } from 'node:fs/promises';
import { Messages } from '../observability.messages';
import { reportMain } from '../reports/report.command';
import { generateMonitoringArtifacts } from './generate-monitoring-artifacts';
import type { MonitoringArtifactsOptions } from './monitoring-artifacts-options.interface';

/** Where the command writes: injectable so tests read what a user would see. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const STDIO: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const FLAGS: Record<string, keyof MonitoringArtifactsOptions | 'config'> = {
  '--out': 'out',
  '--prefix': 'prefix',
  '--service': 'service',
  '--runbook-url': 'runbookUrl',
  '--config': 'config',
};

class UsageError extends Error {}

function parseFlags(args: string[]): { flags: Record<string, string>; help: boolean } {
  const flags: Record<string, string> = {};
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = FLAGS[flag];
    if (!key) throw new UsageError(Messages.cliUnknownFlag(flag));
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    // `--prefix ''` is a valid (empty) prefix; a missing value or another flag is not.
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(Messages.cliMissingValue(flag));
    }
    flags[key] = value;
  }
  return { flags, help };
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(Messages.cliBadConfig(file, (error as Error).message));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(Messages.cliBadConfig(file, 'it is not a JSON object'));
  }
  return parsed as Record<string, unknown>;
}

/**
 * `nestjs-observability generate --out <dir> [--prefix p] [--service s] [--runbook-url u]
 * [--config options.json]`. Resolves with the process exit code: 0 on success, 1 on invalid
 * options (every bad field named), 2 on a usage error (unknown flag or command).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export async function main(argv: string[], output: CommandOutput = STDIO): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    output.out(Messages.cliUsage());
    return command === undefined ? 2 : 0;
  }
  if (command === 'report') return reportMain(args, output);
  try {
    if (command !== 'generate') throw new UsageError(Messages.cliUnknownCommand(command));
    const { flags, help } = parseFlags(args);
    if (help) {
      output.out(Messages.cliUsage());
      return 0;
    }
    const { config, ...fromFlags } = flags;
    const options = { ...(config ? await readConfig(config) : {}), ...fromFlags };
    if (options.out === undefined) throw new UsageError(Messages.cliMissingOut());
    const { written } = await generateMonitoringArtifacts(options as MonitoringArtifactsOptions);
    output.out(Messages.cliWrote(written.length, String(options.out)));
    for (const file of written) output.out(`  ${file}`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(error.message);
      output.err('');
      output.err(Messages.cliUsage());
      return 2;
    }
    output.err((error as Error).message);
    return 1;
  }
}
