/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of the OpenMetrics 1.0 text format. */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * Whether an `Accept` header asks for OpenMetrics: it lists `application/openmetrics-text` with
 * a quality above 0, at least as high as `text/plain`'s. `q=0` means "not acceptable"
 * (RFC 9110), and wildcards alone keep the Prometheus text format.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('application/openmetrics-text')) return false;
  let openMetrics = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      if (!param.startsWith('q=')) continue;
      const value = Number(param.slice(2));
      q = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    }
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}

/**
 * Rewrites Prometheus text exposition as OpenMetrics 1.0: counter families lose their
 * `_total` suffix in `# HELP`/`# TYPE` while their samples keep (or gain) it, `untyped`
 * becomes `unknown`, `"` in HELP text is escaped, and the text ends with `# EOF`.
 *
 * prom-client can render OpenMetrics itself only by renaming counters in place, which would
 * corrupt the Prometheus output served from the same metrics; this rewrite leaves them alone.
 */
export function toOpenMetrics(prometheusText: string): string {
  const out = convertLines(prometheusText);
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/**
 * Rewrites one metric family, as prom-client's `getSingleMetricAsString` renders it, the way
 * {@link toOpenMetrics} rewrites it within a whole exposition; the result ends with a line
 * break. Joining the families' results and appending `# EOF\n` gives `toOpenMetrics` of the
 * whole text, byte for byte.
 *
 * Only the `# HELP` and `# TYPE` lines usually change, so when the samples need no rewrite
 * (not a counter, or a counter already named `..._total`) they are copied as one string
 * instead of being split into lines: this keeps OpenMetrics about as cheap as the text form.
 */
export function familyToOpenMetrics(family: string): string {
  const helpEnd = family.indexOf('\n');
  const typeEnd = helpEnd < 0 ? -1 : family.indexOf('\n', helpEnd + 1);
  if (typeEnd < 0 || !family.startsWith('# HELP ') || !family.startsWith('# TYPE ', helpEnd + 1)) {
    return generalFamily(family);
  }
  const typeLine = family.slice(helpEnd + 1, typeEnd);
  if (typeLine.endsWith(' counter') && !typeLine.split(' ')[2].endsWith('_total')) {
    return generalFamily(family);
  }
  const samples = family.slice(typeEnd + 1);
  const plain =
    samples !== '' &&
    !samples.startsWith('\n') &&
    !samples.endsWith('\n') &&
    !samples.includes('\n\n') &&
    !samples.startsWith('#') &&
    !samples.includes('\n#');
  if (!plain) return generalFamily(family);
  const header = convertLines(family.slice(0, typeEnd));
  return `${header.join('\n')}\n${samples}\n`;
}

function generalFamily(family: string): string {
  const out = convertLines(family);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The line-by-line rewrite behind {@link toOpenMetrics}, without the closing `# EOF`. */
function convertLines(prometheusText: string): string[] {
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
      } else {
        // The text format escapes only `\\` and line breaks in HELP; OpenMetrics escapes `"` too.
        value = value.replace(/"/g, '\\"');
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
  return out;
}
