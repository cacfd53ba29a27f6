/** What a query is, read from its SQL text: the label values and the span name of a query. */
export interface SqlSummary {
  /** The SQL verb, upper case (`SELECT`, `INSERT`, ...), or `OTHER`. */
  readonly operation: string;
  /** The first table the statement names (`users`, `public.users`), or `''` when none. */
  readonly table: string;
  /** The statement with every literal replaced by `?` and comments removed. */
  readonly statement: string;
}

/** Characters of a statement read (and kept in its sanitised text); the rest is left out. */
export const MAX_SQL_LENGTH = 4096;

/** Verbs reported as the `operation`; any other first word is reported as `OTHER`. */
const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'UPSERT',
  'REPLACE',
  'WITH',
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'SET',
  'SHOW',
  'CALL',
  'EXPLAIN',
  'COPY',
  'LISTEN',
  'NOTIFY',
  'VACUUM',
  'ANALYZE',
  'GRANT',
  'REVOKE',
  'LOCK',
  'DO',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
]);

/** Words after which the next identifier is the table, by operation. */
const TABLE_AFTER: Record<string, readonly string[]> = {
  SELECT: ['FROM'],
  DELETE: ['FROM'],
  WITH: ['FROM', 'INTO', 'UPDATE'],
  EXPLAIN: ['FROM', 'INTO', 'UPDATE'],
  INSERT: ['INTO'],
  REPLACE: ['INTO'],
  MERGE: ['INTO'],
  UPSERT: ['INTO'],
  UPDATE: ['UPDATE'],
  CREATE: ['TABLE', 'VIEW', 'ON'],
  ALTER: ['TABLE', 'VIEW', 'INDEX'],
  DROP: ['TABLE', 'VIEW', 'INDEX'],
  TRUNCATE: ['TRUNCATE', 'TABLE'],
  COPY: ['COPY'],
  LOCK: ['LOCK', 'TABLE'],
  VACUUM: ['VACUUM'],
  ANALYZE: ['ANALYZE'],
};

/** Words that may sit between the keyword and the table name. */
const SKIPPED = new Set([
  'ONLY',
  'IF',
  'NOT',
  'EXISTS',
  'TEMP',
  'TEMPORARY',
  'UNLOGGED',
  'LOW_PRIORITY',
  'IGNORE',
  'CONCURRENTLY',
  'UNIQUE',
  'OR',
  'MATERIALIZED',
  'TABLE',
  'FULL',
  'VERBOSE',
  'ANALYZE',
]);

/**
 * Removes from `sql` everything that may carry a value: string literals (`'...'`, `E'...'`,
 * dollar-quoted bodies), numbers, hexadecimal and bit strings, and comments (which ORMs and
 * users fill with request data). Each literal becomes `?`; placeholders (`$1`, `?`, `:name`)
 * and identifiers (`"users"`, `` `users` ``) are kept, so the text groups queries by shape and
 * never carries a secret.
 */
export function sanitizeSql(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out += ' ';
      continue;
    }
    if (
      c === "'" ||
      ((c === 'E' ||
        c === 'e' ||
        c === 'B' ||
        c === 'b' ||
        c === 'X' ||
        c === 'x' ||
        c === 'N' ||
        c === 'n') &&
        next === "'" &&
        !isWordChar(sql[i - 1]))
    ) {
      i = skipQuoted(sql, c === "'" ? i : i + 1, "'", c === 'E' || c === 'e');
      out += '?';
      continue;
    }
    if (c === '"' || c === '`') {
      const end = skipQuoted(sql, i, c, false);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
        out += '?';
        continue;
      }
      // `$1`: a placeholder, kept with its number.
      let j = i + 1;
      while (j < n && isDigit(sql[j])) j++;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(next))) {
      if (isWordChar(sql[i - 1])) {
        out += c;
        i++;
        continue;
      }
      let j = i;
      if (c === '0' && (next === 'x' || next === 'X')) {
        j += 2;
        while (j < n && /[0-9a-fA-F_]/.test(sql[j])) j++;
      } else {
        while (j < n && /[0-9._]/.test(sql[j])) j++;
        if ((sql[j] === 'e' || sql[j] === 'E') && /[-+0-9]/.test(sql[j + 1] ?? '')) {
          j += 2;
          while (j < n && isDigit(sql[j])) j++;
        }
      }
      out += '?';
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Index just past the quoted run opening at `start`; doubled quotes (and `\'` in `E''`) escape. */
function skipQuoted(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$]/.test(c);
}

const PART = '(?:"(?:[^"]|"")*"|`[^`]*`|[A-Za-z_][A-Za-z0-9_$]*)';
const TOKEN = new RegExp(`${PART}(?:\\s*\\.\\s*${PART})*|\\(|\\)|;`, 'g');

function unquote(identifier: string): string {
  return identifier
    .split(/\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((part) =>
      (part.startsWith('"') && part.endsWith('"')) || (part.startsWith('`') && part.endsWith('`'))
        ? part.slice(1, -1).replace(/""/g, '"')
        : part,
    )
    .join('.');
}

/**
 * The operation, table and sanitised text of `sql` (see {@link sanitizeSql}). The table is the
 * first one named after the operation's keyword (`FROM`, `INTO`, `UPDATE`, `TABLE`), at the top
 * level of the statement; a statement without one (`SELECT 1`, `BEGIN`) has `''`.
 */
export function summarizeSql(sql: string): SqlSummary {
  // A bulk insert can be megabytes: its shape is in its head. Cut inside a literal, the rest
  // of the literal still becomes `?` (an unterminated literal runs to the end).
  const head = sql.length > MAX_SQL_LENGTH ? sql.slice(0, MAX_SQL_LENGTH) : sql;
  const sanitized = sanitizeSql(head);
  const statement = head === sql ? sanitized : `${sanitized} …`;
  const tokens = statement.match(TOKEN) ?? [];
  const first = (tokens[0] ?? '').toUpperCase();
  const operation = OPERATIONS.has(first) ? first : 'OTHER';
  const keywords = TABLE_AFTER[operation];
  let table = '';
  if (keywords) {
    let depth = 0;
    // The first keyword token is the operation itself for UPDATE/TRUNCATE/COPY/LOCK/VACUUM.
    for (let i = 0; i < tokens.length && !table; i++) {
      const token = tokens[i];
      if (token === '(') depth++;
      else if (token === ')') depth = Math.max(0, depth - 1);
      else if (token === ';') break;
      else if ((depth === 0 || operation === 'WITH') && keywords.includes(token.toUpperCase())) {
        let j = i + 1;
        while (j < tokens.length && SKIPPED.has(tokens[j].toUpperCase())) j++;
        const candidate = tokens[j];
        if (candidate && candidate !== '(' && candidate !== ')' && candidate !== ';') {
          table = unquote(candidate);
        }
      }
    }
  }
  return { operation, table, statement };
}
