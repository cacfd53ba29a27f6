/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of the OpenMetrics 1.0 text format. */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Whether an `Accept` header asks for OpenMetrics. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

/**
 * Rewrites Prometheus text exposition as OpenMetrics 1.0: counter families lose their
 * `_total` suffix in `# HELP`/`# TYPE` while their samples keep (or gain) it, `untyped`
 * becomes `unknown`, and the text ends with `# EOF`.
 *
 * prom-client can render OpenMetrics itself only by renaming counters in place, which would
 * corrupt the Prometheus output served from the same metrics; this rewrite leaves them alone.
 */
export function toOpenMetrics(prometheusText: string): string {
  const lines = prometheusText.split('\n').filter((line) => line !== '');
  const counters = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('# TYPE ') && line.endsWith(' counter')) counters.add(line.split(' ')[2]);
  }
  const family = (name: string): string =>
    counters.has(name) ? name.replace(/_total$/, '') : name;

  const out: string[] = [];
  let counter: string | undefined;
  for (const line of lines) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, keyword, name, ...rest] = line.split(' ');
      let value = rest.join(' ');
      if (keyword === 'TYPE') {
        counter = counters.has(name) ? name : undefined;
        if (value === 'untyped') value = 'unknown';
      }
      out.push(`# ${keyword} ${family(name)} ${value}`.trimEnd());
    } else if (counter !== undefined && !line.startsWith('#')) {
      const end = line.search(/[{ ]/);
      const sample = line.slice(0, end);
      const base = family(counter);
      out.push(sample === counter || sample === base ? `${base}_total${line.slice(end)}` : line);
    } else {
      out.push(line);
    }
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}
