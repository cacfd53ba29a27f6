/** A value the YAML writer can emit: JSON's data model. */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue | undefined };

/** Words a YAML 1.1 or 1.2 reader would not read back as the same string. */
const RESERVED = /^(?:~|null|true|false|yes|no|on|off|y|n|\.nan|\.inf|-\.inf|\+\.inf)$/i;
/** Plain scalars kept unquoted: letters, digits and a few harmless punctuation marks. */
const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./:-]*(?: [A-Za-z0-9_./:()-]+)*$/;
/** Durations such as `30s` or `5m` (digits then a unit letter) read back as strings. */
const DURATION = /^\d+(?:ms|[smhdwy])$/;
const NUMBER_LIKE = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0[xob]/i;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML cannot hold the number ${value}.`);
    return String(value);
  }
  if (DURATION.test(value)) return value;
  if (PLAIN.test(value) && !RESERVED.test(value) && !NUMBER_LIKE.test(value)) {
    // `a: b` and ` #` start a mapping or a comment inside a plain scalar.
    if (!value.includes(': ') && !value.includes(' #') && !value.endsWith(':')) return value;
  }
  // Single quotes keep PromQL's double quotes and backslashes readable; they cannot hold
  // line breaks or other control characters, which JSON's double-quoted form escapes.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) return JSON.stringify(value);
  return `'${value.replace(/'/g, "''")}'`;
}

function isScalar(value: YamlValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function entries(value: { readonly [key: string]: YamlValue | undefined }): [string, YamlValue][] {
  return Object.entries(value).filter(
    (entry): entry is [string, YamlValue] => entry[1] !== undefined,
  );
}

function emit(value: YamlValue, indent: string, lines: string[], prefix: string): void {
  if (isScalar(value)) {
    lines.push(`${prefix}${scalar(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    const items = value as readonly YamlValue[];
    if (items.length === 0) {
      lines.push(`${prefix}[]`);
      return;
    }
    if (prefix.trim() !== '') lines.push(prefix.trimEnd());
    for (const item of items) emit(item, `${indent}  `, lines, `${indent}- `);
    return;
  }
  const pairs = entries(value as { readonly [key: string]: YamlValue | undefined });
  if (pairs.length === 0) {
    lines.push(`${prefix}{}`);
    return;
  }
  // The first pair of a mapping that is a list item shares the line of its dash.
  let first = prefix.endsWith('- ') ? prefix : undefined;
  if (first === undefined && prefix.trim() !== '') lines.push(prefix.trimEnd());
  for (const [key, item] of pairs) {
    const head = `${first ?? indent}${scalar(key)}:`;
    first = undefined;
    if (isScalar(item) || (Array.isArray(item) && item.length === 0)) {
      emit(item, indent, lines, `${head} `);
    } else if (!Array.isArray(item) && entries(item as Record<string, YamlValue>).length === 0) {
      lines.push(`${head} {}`);
    } else {
      lines.push(head);
      emit(item, `${indent}  `, lines, '');
    }
  }
}

/**
 * Writes `value` as block-style YAML, indented by two spaces, with strings quoted only when a
 * reader would otherwise see something else (PromQL in single quotes, so it stays readable).
 * Keys whose value is `undefined` are left out.
 *
 * @example
 * ```ts
 * toYaml({ groups: [{ name: 'a', rules: [{ alert: 'X', expr: 'up == 0' }] }] });
 * // groups:
 * //   - name: a
 * //     rules:
 * //       - alert: X
 * //         expr: up == 0
 * ```
 */
export function toYaml(value: YamlValue): string {
  const lines: string[] = [];
  emit(value, '', lines, '');
  return `${lines.join('\n')}\n`;
}
