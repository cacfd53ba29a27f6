import { sanitizeSql, summarizeSql } from './sql-statement';

describe('sanitizeSql', () => {
  it.each([
    [
      "SELECT * FROM users WHERE email = 'a@b.c' AND id = 42",
      'SELECT * FROM users WHERE email = ? AND id = ?',
    ],
    ["INSERT INTO t (a, b) VALUES ('it''s', -3.5e10)", 'INSERT INTO t (a, b) VALUES (?, -?)'],
    [
      "SELECT E'sec\\'ret', x'ff', 0xFF, $$dollar body$$, $tag$ secret $tag$",
      'SELECT ?, ?, ?, ?, ?',
    ],
    [
      'SELECT * FROM t WHERE a = $1 AND b = $2 -- password=hunter2\n',
      'SELECT * FROM t WHERE a = $1 AND b = $2',
    ],
    [
      'SELECT /* user=alice token=abc */ col1, t2.col3 FROM "Table9" t2',
      'SELECT col1, t2.col3 FROM "Table9" t2',
    ],
    [
      'SELECT * FROM `shop`.`orders` WHERE note = "kept identifier"',
      'SELECT * FROM `shop`.`orders` WHERE note = "kept identifier"',
    ],
    ["SELECT 'unterminated", 'SELECT ?'],
  ])('%j becomes %j', (sql, expected) => {
    expect(sanitizeSql(sql)).toBe(expected);
  });
});

describe('summarizeSql', () => {
  it.each([
    ['SELECT * FROM users WHERE id = $1', 'SELECT', 'users'],
    ['select "User"."id" AS "User_id" FROM "public"."user" "User"', 'SELECT', 'public.user'],
    ['SELECT * FROM (SELECT id FROM inner_t) sub JOIN other ON true', 'SELECT', ''],
    ['INSERT INTO "articles"("title") VALUES ($1) RETURNING "id"', 'INSERT', 'articles'],
    ['UPDATE ONLY accounts SET balance = 0', 'UPDATE', 'accounts'],
    ['DELETE FROM sessions WHERE expires < now()', 'DELETE', 'sessions'],
    ['CREATE TABLE IF NOT EXISTS audit (id int)', 'CREATE', 'audit'],
    ['CREATE UNIQUE INDEX idx_email ON users (email)', 'CREATE', 'users'],
    ['TRUNCATE TABLE logs', 'TRUNCATE', 'logs'],
    ['WITH recent AS (SELECT * FROM orders) SELECT * FROM recent', 'WITH', 'orders'],
    ['START TRANSACTION', 'START', ''],
    ['COMMIT', 'COMMIT', ''],
    ['SELECT 1', 'SELECT', ''],
    ['vacuum analyze', 'VACUUM', ''],
    ['VACUUM ANALYZE events', 'VACUUM', 'events'],
    ['frobnicate the database', 'OTHER', ''],
    ['', 'OTHER', ''],
  ])('%j is %s on %j', (sql, operation, table) => {
    const summary = summarizeSql(sql);
    expect([summary.operation, summary.table]).toEqual([operation, table]);
  });

  it('keeps no literal of the statement', () => {
    const summary = summarizeSql(
      "UPDATE users SET password = 'hunter2', pin = 1234 WHERE email = 'ceo@corp.example'",
    );
    expect(summary).toEqual({
      operation: 'UPDATE',
      table: 'users',
      statement: 'UPDATE users SET password = ?, pin = ? WHERE email = ?',
    });
  });

  it('reads the head of a huge statement only, cut inside a literal without leaking it', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `(${i}, 'secret-${i}')`).join(', ');
    const summary = summarizeSql(`INSERT INTO events (id, token) VALUES ${rows}`);
    expect(summary.operation).toBe('INSERT');
    expect(summary.table).toBe('events');
    expect(summary.statement.length).toBeLessThanOrEqual(4096);
    expect(summary.statement.endsWith(' …')).toBe(true);
    expect(summary.statement).not.toContain('secret');
    expect(
      summary.statement.startsWith('INSERT INTO events (id, token) VALUES (?, ?), (?, ?)'),
    ).toBe(true);
  });
});
