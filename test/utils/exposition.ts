/** One sample line of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: samples plus the `# TYPE` and `# HELP` of each family. */
export interface Exposition {
  samples: Sample[];
  types: Record<string, string>;
  help: Record<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(raw: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

/** Parses Prometheus text format 0.0.4 (also accepts OpenMetrics text). Throws on a bad line. */
export function parseExposition(text: string): Exposition {
  const result: Exposition = { samples: [], types: {}, help: {} };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line === '# EOF') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      result.types[name] = type;
      continue;
    }
    if (line.startsWith('# HELP ')) {
      const [, , name, ...help] = line.split(' ');
      result.help[name] = help.join(' ');
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`Not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key] = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    result.samples.push({ name: match[1], labels, value: parseValue(match[3]) });
  }
  return result;
}

/**
 * The samples named `name` whose labels include every pair of `labels`.
 */
export function findSamples(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/**
 * The value of the one sample named `name` with exactly `labels` (besides those listed in
 * `ignore`, by default none). Throws when there is not exactly one.
 */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const wanted = Object.keys(labels).sort().join(',');
  const found = exposition.samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).sort().join(',') === wanted &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) {
    const near = exposition.samples
      .filter((s) => s.name === name)
      .map((s) => JSON.stringify(s.labels))
      .join('\n  ');
    throw new Error(
      `Expected exactly one sample ${name}${JSON.stringify(labels)}, found ${found.length}.` +
        (near ? `\nSamples of ${name}:\n  ${near}` : ` No sample of ${name} at all.`),
    );
  }
  return found[0].value;
}
