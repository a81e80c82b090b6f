/**
 * Every pgbench script construct perfbench refuses, and every script error, as a golden file under
 * test/golden/pgbench-refusals/: the script, then the exact one line the user reads, with the file
 * name and line number. Nothing is skipped silently, so each unsupported construct has a case here.
 */
import { describe, expect, it } from 'vitest';
import { ScriptError } from '../../src/workload/pgbench/script-error.js';
import { parseScript } from '../../src/workload/pgbench/script.js';
import { expectGolden } from '../support/golden.js';

/** [golden name, script lines]; the script is named tpcb.sql in every case. */
const CASES: [string, string[]][] = [
  // pgbench meta-commands perfbench does not run
  ['setshell', ['\\set aid 1', '\\setshell total echo 5', 'SELECT :total;']],
  ['shell', ['SELECT 1;', '\\shell touch /tmp/x']],
  ['gset', ['\\set aid random(1, 100000 * :scale)', 'BEGIN;', 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid', '\\gset', 'END;']],
  ['gset-same-line', ['SELECT 1 AS one \\gset p_']],
  ['aset', ['SELECT 1 AS a, 2 AS b', '\\aset']],
  ['startpipeline', ['\\startpipeline', 'SELECT 1;', '\\endpipeline']],
  ['syncpipeline', ['SELECT 1;', '\\syncpipeline']],
  ['endpipeline', ['SELECT 1;', '\\endpipeline']],
  ['unknown-meta-command', ['SELECT 1;', '\\setx aid 1']],
  ['lone-backslash', ['SELECT 1;', '\\']],
  // SQL perfbench cannot bind as pgbench -M prepared does
  ['compound-statement', ['BEGIN;', 'SELECT 1 \\; SELECT 2;', 'END;']],
  ['psql-literal-variable', ['\\set name 1', "SELECT * FROM t WHERE name = :'name';"]],
  ['psql-identifier-variable', ['\\set col 1', 'SELECT :"col" FROM t;']],
  ['literal-parameter', ['\\set aid 1', 'SELECT * FROM t WHERE aid = $1 AND bid = :aid;']],
  ['too-many-parameters', [`SELECT ${Array.from({ length: 65536 }, () => ':x').join(',')};`]],
  // unterminated text
  ['unterminated-string', ['SELECT 1;', "SELECT 'abc;", 'SELECT 2;']],
  ['unterminated-escape-string', ["SELECT E'it\\'s;"]],
  ['unterminated-identifier', ['SELECT "abc FROM t;']],
  ['unterminated-dollar-quote', ['DO $body$', 'BEGIN', '  PERFORM 1;', 'END', '$bdy$;']],
  ['unterminated-comment', ['SELECT 1; /* a', '/* nested */', 'SELECT 2;']],
  // \if structure
  ['elif-without-if', ['SELECT 1;', '\\elif true']],
  ['else-without-if', ['\\else']],
  ['endif-without-if', ['\\set a 1', '\\endif']],
  ['if-without-endif', ['\\if :scale > 1', 'SELECT 1;', '\\if true', '\\endif']],
  ['else-after-else', ['\\if true', '\\else', '\\else', '\\endif']],
  ['elif-after-else', ['\\if true', 'SELECT 1;', '\\else', 'SELECT 2;', '\\elif false', '\\endif']],
  ['else-argument', ['\\if true', '\\else if false', '\\endif']],
  ['endif-argument', ['\\if true', '\\endif -- done']],
  // \set and \if expressions
  ['set-missing-arguments', ['\\set']],
  ['set-invalid-name', ['\\set 1aid random(1, 10)']],
  ['set-missing-expression', ['\\set aid']],
  ['set-chained-comparison', ['\\set flag 1 < :x < 10']],
  ['set-unknown-function', ['\\set aid rand(1, 10)']],
  ['set-wrong-arity', ['\\set aid random(1, 100000 * :scale, 3)']],
  ['set-unexpected-character', ["\\set name 'abc'"]],
  ['set-integer-overflow', ['\\set big 9223372036854775808']],
  ['set-continued-line', ['\\set aid random(1, \\', '    100000 * :scale']],
  ['set-continued-error', ['SELECT 1;', '\\set aid random(1, \\', '    100000 * :scale) +', '    * 2']],
  ['if-syntax-error', ['\\if :x = ', 'SELECT 1;', '\\endif']],
  ['set-trailing-comment', ['\\set aid random(1, 10) -- the account']],
  // \sleep
  ['sleep-missing-time', ['\\sleep']],
  ['sleep-not-integer', ['\\sleep 1.5 ms']],
  ['sleep-unit', ['\\sleep 10 minutes']],
  ['sleep-too-many', ['\\sleep 10 ms now']],
  ['sleep-empty-variable', ['\\sleep : ms']],
  // \pb_from
  ['pb-from-missing-target', ['\\pb_from cid']],
  ['pb-from-missing-everything', ['\\pb_from']],
  ['pb-from-invalid-name', ['\\pb_from 2cid customers.id']],
  ['pb-from-no-column', ['\\pb_from cid customers']],
  ['pb-from-too-many-parts', ['\\pb_from cid db.sales.customers.id']],
  ['pb-from-unterminated-quote', ['\\pb_from cid "Sales"."Order Items']],
  ['pb-from-bad-name', ['\\pb_from cid sales.customer-id']],
  ['pb-from-long-name', [`\\pb_from cid t.${'c'.repeat(64)}`]],
  ['pb-from-distribution', ['\\pb_from cid customers.id normal 2']],
  ['pb-from-zipf-exponent', ['\\pb_from cid customers.id zipf -1']],
  ['pb-from-uniform-parameter', ['\\pb_from cid customers.id uniform 2']],
  ['pb-from-extra', ['\\pb_from cid customers.id zipf 1.2 x']],
  ['pb-from-conflict', ['\\pb_from cid customers.id', 'SELECT :cid;', '\\pb_from cid orders.customer_id zipf']],
  // statement names
  ['name-invalid', ['-- name: get balance', 'SELECT 1;']],
  ['name-duplicate', ['-- name: lookup', 'SELECT 1;', '-- name: lookup', 'SELECT 2;']],
  ['name-dangling', ['SELECT 1;', '-- name: last']],
  ['name-like-default', ['-- name: tpcb.sql#2', 'SELECT 1;', 'SELECT 2;']],
  // the script as a whole
  ['empty-script', ['-- nothing but comments', '', '/* and this */']],
];

function refusal(lines: string[]): string {
  try {
    parseScript(lines.join('\n'), { name: 'tpcb.sql' });
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptError);
    return (error as ScriptError).line;
  }
  throw new Error('the script was accepted');
}

describe('refused scripts: one line with the file, the line and the reason', () => {
  it.each(CASES)('%s', (name, lines) => {
    const message = refusal(lines);
    expect(message).not.toContain('\n');
    const shown = lines.map((line) => (line.length > 120 ? `${line.slice(0, 117)}...` : line));
    expectGolden(`pgbench-refusals/${name}.txt`, `${shown.join('\n')}\n---\n${message}\n`);
  });

  it('has a distinct case name per golden file', () => {
    expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
  });
});
