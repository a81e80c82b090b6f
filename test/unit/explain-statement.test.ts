import { describe, expect, it } from 'vitest';
import { classifyStatement, stripSql } from '../../src/plan/statement.js';

describe('classifyStatement: accepted statements', () => {
  it.each([
    ['SELECT * FROM products WHERE category = $1', 'read', 'SELECT', 1],
    ['  select 1', 'read', 'SELECT', 0],
    ['(SELECT 1) UNION (SELECT 2)', 'read', 'SELECT', 0],
    ['VALUES (1), (2)', 'read', 'VALUES', 0],
    ['TABLE products', 'read', 'TABLE', 0],
    ['WITH c AS (SELECT 1) SELECT * FROM c', 'read', 'WITH', 0],
    ['SELECT * FROM t WHERE a = $2 AND b = $1', 'read', 'SELECT', 2],
    ['SELECT * FROM t WHERE id = $10', 'read', 'SELECT', 10],
    ['SELECT 1;', 'read', 'SELECT', 0],
    ['SELECT 1;  -- trailing comment', 'read', 'SELECT', 0],
    ['SELECT 1 /* c */ ;\n', 'read', 'SELECT', 0],
    // Locking clauses are not writes.
    ['SELECT * FROM t FOR UPDATE', 'read', 'SELECT', 0],
    ['SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED', 'read', 'SELECT', 0],
    // Keywords inside literals, comments and quoted identifiers decide nothing.
    ["SELECT 'DELETE FROM t; DROP TABLE t' AS s", 'read', 'SELECT', 0],
    ["SELECT 'it''s; DROP TABLE t'", 'read', 'SELECT', 0],
    ["SELECT E'\\'; DROP TABLE t; --'", 'read', 'SELECT', 0],
    ['SELECT $$; DROP TABLE t; $$', 'read', 'SELECT', 0],
    ['SELECT $body$ DELETE FROM t; $1 $body$', 'read', 'SELECT', 0],
    ['SELECT "delete", "a;b" FROM t', 'read', 'SELECT', 0],
    ['SELECT 1 -- ; DROP TABLE t\n', 'read', 'SELECT', 0],
    ['SELECT 1 /* outer /* nested ; */ still ; comment */', 'read', 'SELECT', 0],
    ["SELECT '$1' , a$1 FROM t", 'read', 'SELECT', 0],
    ['/* leading */ -- and a line\nSELECT 1', 'read', 'SELECT', 0],
    ['DELETE FROM t WHERE id < 10', 'write', 'DELETE', 0],
    ['delete from t where id < $1', 'write', 'DELETE', 1],
    ['INSERT INTO t SELECT * FROM t', 'write', 'INSERT', 0],
    ['INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1', 'write', 'INSERT', 0],
    ['UPDATE t SET price = price * 2', 'write', 'UPDATE', 0],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', 'write', 'MERGE', 0],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d', 'write', 'WITH', 0],
    ['WITH u AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM u', 'write', 'WITH', 0],
    ['WITH i AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM i', 'write', 'WITH', 0],
  ] as const)('%s -> %s', (query, kind, verb, parameters) => {
    expect(classifyStatement(query)).toEqual({ ok: true, kind, verb, parameters });
  });
});

describe('classifyStatement: refused statements', () => {
  it.each([
    ['CREATE TABLE x (a int)', 'ddl', 'CREATE'],
    ['create index on t (a)', 'ddl', 'CREATE'],
    ['CREATE TABLE x AS SELECT 1', 'ddl', 'CREATE'],
    ['ALTER TABLE t ADD COLUMN b int', 'ddl', 'ALTER'],
    ['DROP TABLE t', 'ddl', 'DROP'],
    ['TRUNCATE t', 'ddl', 'TRUNCATE'],
    ['GRANT SELECT ON t TO public', 'ddl', 'GRANT'],
    ['REVOKE SELECT ON t FROM public', 'ddl', 'REVOKE'],
    ['VACUUM t', 'ddl', 'VACUUM'],
    ['ANALYZE t', 'ddl', 'ANALYZE'],
    ['REFRESH MATERIALIZED VIEW v', 'ddl', 'REFRESH'],
    ['COMMENT ON TABLE t IS $$x$$', 'ddl', 'COMMENT'],
    ['SELECT * INTO newtable FROM t', 'ddl', 'SELECT … INTO'],
    ['BEGIN', 'transaction', 'BEGIN'],
    ['start transaction', 'transaction', 'START'],
    ['COMMIT', 'transaction', 'COMMIT'],
    ['ROLLBACK', 'transaction', 'ROLLBACK'],
    ['SAVEPOINT s', 'transaction', 'SAVEPOINT'],
    ['SET statement_timeout = 0', 'transaction', 'SET'],
    ['RESET ALL', 'transaction', 'RESET'],
    ['COPY t TO STDOUT', 'transaction', 'COPY'],
    ['CALL p()', 'transaction', 'CALL'],
    ["DO $$ BEGIN DELETE FROM t; END $$", 'transaction', 'DO'],
    ['EXECUTE s(1)', 'transaction', 'EXECUTE'],
    ['DECLARE c CURSOR FOR SELECT 1', 'transaction', 'DECLARE'],
    ['LOCK TABLE t', 'transaction', 'LOCK'],
    ['/* looks harmless */ DROP TABLE t', 'ddl', 'DROP'],
    ['-- SELECT\nDROP TABLE t', 'ddl', 'DROP'],
    ['SELECT 1; DROP TABLE t', 'multiple', 'more than one statement'],
    ['SELECT 1; SELECT 2;', 'multiple', 'more than one statement'],
    ["SELECT 'a'; COMMIT", 'multiple', 'more than one statement'],
    ['DELETE FROM t; COMMIT', 'multiple', 'more than one statement'],
    ['EXPLAIN SELECT 1', 'invalid', 'starts with EXPLAIN'],
    ['SHOW ALL', 'transaction', 'SHOW'],
    ['FOO bar', 'invalid', 'starts with FOO'],
    ['', 'invalid', 'empty'],
    ['  -- only a comment', 'invalid', 'empty'],
    [';', 'invalid', 'empty'],
    ["SELECT 'unterminated", 'invalid', 'unterminated string'],
    ['SELECT "unterminated', 'invalid', 'unterminated quoted identifier'],
    ['SELECT 1 /* unterminated', 'invalid', 'unterminated /* comment'],
    ['SELECT $x$ unterminated', 'invalid', 'unterminated dollar-quoted string $x$'],
  ] as const)('%s -> refused (%s)', (query, reason, words) => {
    const verdict = classifyStatement(query);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe(reason);
    expect(verdict.message).toContain(words);
    expect(verdict.message).not.toContain('\n');
  });
});

describe('stripSql', () => {
  it('blanks comments, literals, dollar quotes and quoted identifiers but keeps parameters', () => {
    expect(stripSql(`SELECT 'a;b', "x;y", $t$;$t$, $1 -- c;\nFROM t /* ; */`)).toEqual({
      ok: true,
      text: `SELECT '', "_", $$, $1  \nFROM t  `,
    });
  });

  it('reads an E-string backslash escape only after a standalone E', () => {
    // In a standard string a backslash is an ordinary character: the literal ends at the second quote.
    expect(stripSql(`SELECT 'a\\' ; x`)).toEqual({ ok: true, text: `SELECT '' ; x` });
    expect(stripSql(`SELECT E'a\\' ; x'`)).toEqual({ ok: true, text: `SELECT E''` });
    // "some'…'": the e ends an identifier, so it is not an E-string prefix (and this is no valid SQL anyway).
    expect(stripSql(`SELECT some'a\\' ; x`)).toEqual({ ok: true, text: `SELECT some'' ; x` });
  });
});
