/**
 * Reading pgbench scripts: where statements end (quotes, comments, dollar quotes, parentheses),
 * how :variables become $n parameters (and where they do not: casts, literals, comments), statement
 * names and lines, the access classification the executor's cache decision rests on, and the
 * meta-commands perfbench runs. Refusals and their wording are golden files (pgbench-refusals.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { ScriptError } from '../../src/workload/pgbench/script-error.js';
import { hasSleep, parseScript, type Command, type Script } from '../../src/workload/pgbench/script.js';

const parse = (text: string, name = 't.sql'): Script => parseScript(text, { name });
const statements = (text: string): [string, string[]][] => parse(text).statements.map((s) => [s.text, [...s.parameters]]);
const texts = (text: string): string[] => parse(text).statements.map((s) => s.text);

function refusal(text: string, name = 't.sql'): ScriptError {
  try {
    parse(text, name);
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptError);
    return error as ScriptError;
  }
  throw new Error('the script was accepted');
}

describe('where a statement ends', () => {
  it('ends at ; and at the end of the script, several per line or one over several lines', () => {
    expect(texts('SELECT 1; SELECT 2;\nSELECT\n  3\n  ;\nSELECT 4')).toEqual(['SELECT 1', 'SELECT 2', 'SELECT\n  3', 'SELECT 4']);
  });

  it('does not end at a ; inside quotes, identifiers, dollar quotes, comments or parentheses', () => {
    const sql = [
      "SELECT 'a;b', \"c;d\", $$e;f$$, $tag$g;$$;h$tag$, E'i\\';j' -- k;",
      '  , /* l; /* nested; */ m; */ 1,',
      '  (SELECT 2; )',
      ';',
      'SELECT 3',
    ].join('\n');
    expect(texts(sql)).toEqual([sql.slice(0, sql.indexOf('\n;')), 'SELECT 3']);
  });

  it("reads '' inside a literal and \"\" inside an identifier as the quote itself", () => {
    expect(texts("SELECT 'it''s;', \"a\"\";b\"; SELECT 2")).toEqual(["SELECT 'it''s;', \"a\"\";b\"", 'SELECT 2']);
  });

  it("takes backslash escapes only in E'…' strings (standard_conforming_strings)", () => {
    expect(texts("SELECT E'\\'; :x'; SELECT 2")).toEqual(["SELECT E'\\'; :x'", 'SELECT 2']);
    expect(texts("SELECT '\\'; SELECT 2")).toEqual(["SELECT '\\'", 'SELECT 2']);
    // An identifier ending in e is not an E prefix.
    expect(texts("SELECT some'x'; SELECT 2")).toEqual(["SELECT some'x'", 'SELECT 2']);
  });

  it('keeps $ inside identifiers and does not read it as a dollar quote', () => {
    expect(statements('SELECT a$b$ FROM t$1 WHERE x = :v;')).toEqual([['SELECT a$b$ FROM t$1 WHERE x = $1', ['v']]]);
    expect(statements('SELECT 1 $ 2;')).toEqual([['SELECT 1 $ 2', []]]);
  });

  it('drops leading comments and blank lines, and empty statements', () => {
    expect(texts('-- a comment\n\n/* another */\n  SELECT 1;;\n;\n-- trailing')).toEqual(['SELECT 1']);
  });

  it('keeps comments inside a statement and trims trailing space', () => {
    expect(texts('SELECT 1 -- one\n  + 2 /* two */   ;')).toEqual(['SELECT 1 -- one\n  + 2 /* two */']);
  });

  it('ends a statement where a meta-command starts on the same line, as pgbench does', () => {
    const script = parse('SELECT 1 \\sleep 2 ms\nSELECT 2;');
    expect(script.statements.map((s) => s.text)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(script.commands.map((c) => c.kind)).toEqual(['sql', 'sleep', 'sql']);
  });
});

describe('the statements pgbench 15 sends for the same script', () => {
  it('splits and numbers as pgbench -M prepared does (from the server log of a pgbench 15.20 run, closing ; dropped)', () => {
    const script = [
      '\\set a 1',
      '\\set b 2',
      '-- name: first',
      'SELECT :a::int AS x, (1',
      '  +2) AS y -- trailing ; comment',
      "  , 'semi;colon' AS z, $$dollar;$$ AS w; SELECT :b, :a, :a",
      ';',
      'SELECT 3 \\sleep 1 ms',
      `SELECT E'it\\'s;' AS e, "x;y".* FROM (SELECT 1) AS "x;y"; SELECT arr[1:2] FROM (SELECT ARRAY[1,2,3] AS arr) s, f(:b) g`,
      ';',
    ].join('\n');
    // The server's log of `pgbench -M prepared -f split.sql`: execute P_0 … P_4 with these texts and parameters.
    expect(statements(script)).toEqual([
      ["SELECT $1::int AS x, (1\n  +2) AS y -- trailing ; comment\n  , 'semi;colon' AS z, $$dollar;$$ AS w", ['a']],
      ['SELECT $1, $2, $3', ['b', 'a', 'a']],
      ['SELECT 3', []],
      [`SELECT E'it\\'s;' AS e, "x;y".* FROM (SELECT 1) AS "x;y"`, []],
      ['SELECT arr[1:2] FROM (SELECT ARRAY[1,2,3] AS arr) s, f($1) g', ['b']],
    ]);
  });
});

describe(':variables become parameters', () => {
  it('numbers each occurrence $1…$n in order, a repeated variable bound again (pgbench -M prepared)', () => {
    expect(statements('UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid AND :aid > 0;')).toEqual([
      ['UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2 AND $3 > 0', ['delta', 'aid', 'aid']],
    ]);
  });

  it('starts again at $1 in each statement', () => {
    expect(statements('SELECT :a; SELECT :b, :a')).toEqual([
      ['SELECT $1', ['a']],
      ['SELECT $1, $2', ['b', 'a']],
    ]);
  });

  it('leaves ::type casts, := and a run of colons alone', () => {
    expect(statements('SELECT :x::int, 1::text, f(a := :y), :::z')).toEqual([['SELECT $1::int, 1::text, f(a := $2), :::z', ['x', 'y']]]);
  });

  it('reads names of letters, digits, _ and non-ASCII characters, not starting with a digit', () => {
    expect(statements('SELECT :größe_1, :_x, arr[1:2], arr[lo:hi]')).toEqual([['SELECT $1, $2, arr[1:2], arr[lo$3]', ['größe_1', '_x', 'hi']]]);
  });

  it('does not substitute inside literals, identifiers, dollar quotes and comments (pgbench would, and PostgreSQL would reject it)', () => {
    expect(statements(`SELECT ':a', "b:c", $$ :d $$, $q$:e$q$, E'\\':f' -- :g\n , /* :h */ :i`)).toEqual([
      [`SELECT ':a', "b:c", $$ :d $$, $q$:e$q$, E'\\':f' -- :g\n , /* :h */ $1`, ['i']],
    ]);
  });

  it("reads psql's \\: as a literal colon", () => {
    expect(statements('SELECT 1 \\:x')).toEqual([['SELECT 1 :x', []]]);
  });
});

describe('statement names, indexes and lines', () => {
  it('names a statement by the -- name: comment above it, else <script name>#<k>', () => {
    const script = parse(['-- name: get_balance', 'SELECT 1;', 'SELECT 2;', '--name:bump.v2', '-- other comment', '', 'UPDATE t SET x = 1;'].join('\n'), 'tpcb.sql');
    expect(script.statements.map((s) => [s.name, s.named, s.index, s.line])).toEqual([
      ['get_balance', true, 0, 2],
      ['tpcb.sql#2', false, 1, 3],
      ['bump.v2', true, 2, 7],
    ]);
  });

  it('carries a name across meta-commands to the next statement', () => {
    const script = parse(['-- name: by_id', '\\set aid random(1, 10)', 'SELECT :aid;'].join('\n'));
    expect(script.statements[0]!.name).toBe('by_id');
  });

  it('counts lines from 1 at the statement\'s first word, across meta-commands and continuation lines', () => {
    const script = parse(['\\set a 1 + \\', '   2', '', '  -- note', '  SELECT', '  :a;', 'SELECT 2; SELECT 3;'].join('\n'));
    expect(script.statements.map((s) => s.line)).toEqual([5, 7, 7]);
    expect(script.commands.map((c) => c.line)).toEqual([1, 5, 7, 7]);
  });

  it('counts statements inside \\if branches in the order written', () => {
    const script = parse(['\\if :x', 'SELECT 1;', '\\else', 'SELECT 2;', '\\endif', 'SELECT 3;'].join('\n'));
    expect(script.statements.map((s) => s.name)).toEqual(['t.sql#1', 't.sql#2', 't.sql#3']);
  });
});

describe('what a statement does: the cache decision', () => {
  it.each([
    ['SELECT abalance FROM pgbench_accounts WHERE aid = :aid', 'read', 'SELECT reads only'],
    ['select 1', 'read', 'SELECT reads only'],
    ['(SELECT 1) UNION (SELECT 2)', 'read', 'SELECT reads only'],
    ['WITH t AS (SELECT 1) SELECT * FROM t', 'read', 'WITH reads only'],
    ['VALUES (1), (2)', 'read', 'VALUES reads only'],
    ['TABLE pgbench_branches', 'read', 'TABLE reads only'],
    ['SHOW work_mem', 'read', 'SHOW reads only'],
    ["SELECT 'FOR UPDATE', \"insert\" FROM t", 'read', 'SELECT reads only'],
    ['SELECT * FROM t FOR UPDATE', 'write', 'SELECT … FOR UPDATE locks rows'],
    ['SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED', 'write', 'SELECT … FOR NO KEY UPDATE locks rows'],
    ['select * from t for share', 'write', 'SELECT … FOR SHARE locks rows'],
    ['SELECT * FROM t FOR KEY SHARE', 'write', 'SELECT … FOR KEY SHARE locks rows'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d', 'write', 'WITH … DELETE changes rows'],
    ['WITH u AS MATERIALIZED (UPDATE t SET x = 1 RETURNING x) SELECT * FROM u', 'write', 'WITH … UPDATE changes rows'],
    ['SELECT * INTO copy FROM t', 'write', 'SELECT … INTO creates a table'],
    ["SELECT nextval('s')", 'write', 'nextval() changes a sequence'],
    ["SELECT set_config('a.b', '1', false)", 'write', 'set_config() changes a setting'],
    ['SELECT pg_advisory_xact_lock(1)', 'write', 'pg_advisory_xact_lock() takes an advisory lock'],
    ['UPDATE pgbench_tellers SET tbalance = 0', 'write', 'UPDATE changes rows'],
    ['INSERT INTO t VALUES (1)', 'write', 'INSERT changes rows'],
    ['DELETE FROM t', 'write', 'DELETE changes rows'],
    ['MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', 'write', 'MERGE changes rows'],
    ['CALL proc()', 'write', 'CALL is not a read-only query'],
    ['SET work_mem = 1', 'write', 'SET is not a read-only query'],
    ['EXPLAIN SELECT 1', 'write', 'EXPLAIN is not a read-only query'],
    ['BEGIN', 'transaction', 'BEGIN controls the transaction'],
    ['begin isolation level serializable', 'transaction', 'BEGIN controls the transaction'],
    ['START TRANSACTION READ ONLY', 'transaction', 'START TRANSACTION controls the transaction'],
    ['END', 'transaction', 'END controls the transaction'],
    ['COMMIT', 'transaction', 'COMMIT controls the transaction'],
    ['ROLLBACK', 'transaction', 'ROLLBACK controls the transaction'],
    ['ABORT', 'transaction', 'ABORT controls the transaction'],
    ['SAVEPOINT a', 'transaction', 'SAVEPOINT controls the transaction'],
    ['RELEASE SAVEPOINT a', 'transaction', 'RELEASE controls the transaction'],
    ["PREPARE TRANSACTION 'x'", 'transaction', 'PREPARE TRANSACTION controls the transaction'],
    ['PREPARE p AS SELECT 1', 'write', 'PREPARE is not a read-only query'],
  ])('%s: %s (%s)', (sql, access, reason) => {
    const [statement] = parse(sql).statements;
    expect([statement!.access, statement!.accessReason]).toEqual([access, reason]);
  });
});

describe('meta-commands', () => {
  const only = (text: string): Command => {
    const { commands } = parse(text);
    expect(commands).toHaveLength(1);
    return commands[0]!;
  };

  it('reads \\set NAME EXPRESSION, in any case, continued over lines with a final backslash', () => {
    expect(only('\\SET aid random(1, \\\n 100000 * :scale)')).toMatchObject({ kind: 'set', line: 1, variable: 'aid', expression: { kind: 'call', fn: 'random' } });
    expect(only('  \\set x 1')).toMatchObject({ kind: 'set', variable: 'x' });
  });

  it.each([
    ['\\sleep 10', { amount: 10 }, 's'],
    ['\\sleep 10 ms', { amount: 10 }, 'ms'],
    ['\\sleep 10ms', { amount: 10 }, 'ms'],
    ['\\sleep 250 US', { amount: 250 }, 'us'],
    ['\\sleep :pause', { variable: 'pause' }, 's'],
    ['\\sleep :pause us', { variable: 'pause' }, 'us'],
    ['\\sleep -5 s', { amount: -5 }, 's'],
  ])('reads %s', (text, duration, unit) => {
    expect(only(text)).toEqual({ kind: 'sleep', line: 1, duration, unit });
  });

  it('nests \\if / \\elif / \\else / \\endif into branches', () => {
    const script = parse(['\\if :a = 1', 'SELECT 1;', '\\if :b', 'SELECT 2;', '\\endif', '\\elif :a = 2', '\\set x 1', '\\else', 'SELECT 3;', '\\endif'].join('\n'));
    expect(script.commands).toHaveLength(1);
    const outer = script.commands[0] as Extract<Command, { kind: 'if' }>;
    expect(outer.branches.map((b) => [b.line, b.condition === undefined, b.body.map((c) => c.kind)])).toEqual([
      [1, false, ['sql', 'if']],
      [6, false, ['set']],
      [8, true, ['sql']],
    ]);
  });

  it('reads \\pb_from NAME RELATION.COLUMN [uniform | zipf S], names written as in SQL', () => {
    const script = parse(['\\pb_from cid "Sales"."Order Items"."Customer Id" zipf 1.1', '\\pb_from cat Products.Category', '\\pb_from u public.t.c UNIFORM', '\\pb_from z t."select" zipf', 'SELECT :cid, :cat, :u, :z;'].join('\n'));
    expect(script.pbFrom.map((s) => [s.name, s.relation.sql, s.relation.schema, s.relation.name, s.column.sql, s.distribution, s.skew, s.line])).toEqual([
      ['cid', '"Sales"."Order Items"', 'Sales', 'Order Items', '"Customer Id"', 'zipf', 1.1, 1],
      ['cat', '"products"', undefined, 'products', '"category"', 'uniform', 0, 2],
      ['u', '"public"."t"', 'public', 't', '"c"', 'uniform', 0, 3],
      ['z', '"t"', undefined, 't', '"select"', 'zipf', 1.1, 4],
    ]);
    expect(script.commands.slice(0, 4).map((c) => c.kind)).toEqual(['pb_from', 'pb_from', 'pb_from', 'pb_from']);
  });

  it('reads "" inside a quoted \\pb_from name as a quote', () => {
    const [source] = parse('\\pb_from q "a""b"."c d"\nSELECT :q;').pbFrom;
    expect([source!.relation.name, source!.column.name, source!.relation.sql]).toEqual(['a"b', 'c d', '"a""b"']);
  });

  it('accepts the same \\pb_from twice (e.g. in two branches) and keeps one source', () => {
    const script = parse(['\\if :x', '\\pb_from v t.c', '\\else', '\\pb_from v T.C', '\\endif', 'SELECT :v;'].join('\n'));
    expect(script.pbFrom).toHaveLength(1);
  });
});

describe('scripts and errors', () => {
  it('takes the weight given, 1 by default', () => {
    expect(parse('SELECT 1').weight).toBe(1);
    expect(parseScript('SELECT 1', { name: 'a.sql', weight: 0 }).weight).toBe(0);
    expect(() => parseScript('SELECT 1', { name: 'a.sql', weight: 1.5 })).toThrow('a.sql: weight 1.5 is not an integer from 0 to 2147483647');
  });

  it('ignores a byte order mark and reads CRLF line ends', () => {
    const script = parse('\uFEFF-- name: first\r\n\\set x 1 + \\\r\n 2\r\nSELECT :x;\r\n\\sleep 1 ms\r\n');
    expect(script.statements.map((s) => [s.name, s.text, s.line])).toEqual([['first', 'SELECT $1', 4]]);
    expect(script.commands.map((c) => c.kind)).toEqual(['set', 'sql', 'sleep']);
  });

  it('accepts a script of meta-commands only, as pgbench does', () => {
    expect(parse('\\set x 1').statements).toEqual([]);
  });

  it('raises a one-line usage error (exit 2) with the file, the line and the reason', () => {
    const error = refusal('SELECT 1;\n\n\\gset', 'tpcb.sql');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect([error.source, error.lineNumber, error.phase]).toEqual(['tpcb.sql', 3, 'parse']);
    expect(error.reason).toBe('\\gset is not supported yet (perfbench runs each statement on its own; remove it or use \\set)');
    expect(error.line).toBe(`tpcb.sql:3: ${error.reason}`);
  });

  it('points at the column of an expression error in the script\'s line', () => {
    expect(refusal('SELECT 1;\n  \\set   total  :a +* 2').message).toBe('t.sql:2: \\set total: syntax error: unexpected "*" at column 21');
    expect(refusal('\\if 1 <').message).toBe('t.sql:1: \\if: syntax error: unexpected end of expression at column 8');
  });

  it('refuses a parameter count PostgreSQL cannot take', () => {
    expect(refusal(`SELECT ${Array.from({ length: 65536 }, () => ':x').join(',')}`).reason).toBe('the statement has 65536 parameters; PostgreSQL takes at most 65535');
  });
});

describe('hasSleep', () => {
  it('finds a \\sleep at the top level or in any branch, and nothing else', () => {
    const parse = (text: string): Script => parseScript(text, { name: 's.sql' });
    expect(hasSleep(parse('\\set a 1\nSELECT :a;\n'))).toBe(false);
    expect(hasSleep(parse('\\sleep 1 ms\nSELECT 1;\n'))).toBe(true);
    expect(hasSleep(parse('\\set a 1\n\\if :a = 2\nSELECT 1;\n\\elif :a = 3\nSELECT 2;\n\\else\n\\sleep :a us\n\\endif\n'))).toBe(true);
  });
});
