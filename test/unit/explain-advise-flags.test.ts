/**
 * `explain --advise` flags (issue 11, item 6): what they ask for, and every bad combination as one
 * usage line before anything connects. What a --file holds is decided by its content.
 */
import { describe, expect, it } from 'vitest';
import { explainOptions, type ExplainFlags } from '../../src/flags/explain-flags.js';
import { locksRows, savedInputKind } from '../../src/usecases/explain-advise.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { usageLine } from '../support/usage.js';
import { fixtureText } from './plan-fixture.js';

function flags(extra: Partial<ExplainFlags> = {}): ExplainFlags {
  return { param: [], format: 'text', timeout: '30000', advise: true, ...extra };
}

describe('explain --advise flags', () => {
  it('--workload/--builtin with -D, --scale and --seed: the scripts as bench reads them, bench\'s default seed', () => {
    expect(explainOptions(flags({ workload: ['orders.sql@2'], builtin: ['tpcb-like'], define: ['delta=5'], scale: '3', runs: '5' }))).toEqual({
      mode: 'advise-workload',
      format: 'text',
      request: {
        advise: { timeoutMs: 30000, runs: 5, maxTableBytes: 1024 ** 3, force: false, maxCandidates: 8 },
        workload: {
          scripts: [{ source: 'file', path: 'orders.sql', weight: 2 }, { source: 'builtin', name: 'tpcb-like', weight: 1 }],
          defines: { delta: '5' }, scale: 3, maxTries: 1,
        },
        seed: 1,
      },
    });
    const seeded = explainOptions(flags({ builtin: ['select-only'], seed: '7' }));
    expect(seeded.mode === 'advise-workload' && seeded.request.seed).toBe(7);
    expect(usageLine(() => explainOptions(flags({ builtin: ['select-only'], query: 'SELECT 1' })))).toMatch(/--query cannot be combined with them/);
    expect(usageLine(() => explainOptions(flags({ builtin: ['nope'] })))).toMatch(/unknown script 'nope'/);
    expect(usageLine(() => explainOptions(flags({ define: ['a=1'] })))).toMatch(/apply to --workload or --builtin/);
    expect(usageLine(() => explainOptions({ param: [], format: 'text', timeout: '30000', builtin: ['select-only'] }))).toMatch(/--builtin applies to --advise/);
  });

  it('defaults: the report query, 3 runs, a 1 GB bound, 8 candidates, no --force', () => {
    expect(explainOptions(flags())).toEqual({
      mode: 'advise',
      format: 'text',
      request: {
        target: { kind: 'report', table: tableIdentifier('products'), column: columnIdentifier('category'), category: undefined },
        file: null, params: [], timeoutMs: 30000, runs: 3, maxTableBytes: 1024 ** 3, force: false, maxCandidates: 8,
      },
    });
  });

  it('takes --query with --param, --runs, --max-table-size, --max-candidates, --force and --format', () => {
    const options = explainOptions(flags({
      query: 'SELECT * FROM "Sales"."Order Lines" WHERE "Customer Id" = $1', param: ['42'], runs: '5', maxTableSize: '64kB', maxCandidates: '2', force: true, format: 'json',
    }));
    expect(options).toMatchObject({
      mode: 'advise',
      format: 'json',
      request: { target: { kind: 'query', params: ['42'], classification: { kind: 'read', parameters: 1 } }, file: null, runs: 5, maxTableBytes: 65536, maxCandidates: 2, force: true },
    });
  });

  it('takes --file alone (its content decides later), or with --query for a saved plan', () => {
    expect(explainOptions(flags({ file: 'slow.sql', param: ['7'] }))).toMatchObject({ request: { target: null, file: 'slow.sql', params: ['7'] } });
    expect(explainOptions(flags({ file: 'plan.json', query: 'SELECT 1' }))).toMatchObject({ request: { target: { kind: 'query', text: 'SELECT 1' }, file: 'plan.json' } });
  });

  it.each([
    [{ compare: true }, '--advise and --compare are different measurements — pass one of them'],
    [{ runs: '0' }, "--runs '0' is not a whole number from 1 to 100"],
    [{ maxCandidates: '99' }, "--max-candidates '99' is not a whole number from 1 to 50"],
    [{ maxTableSize: 'huge' }, "--max-table-size 'huge' is not a size — write it as PostgreSQL does: 1GB, 500MB, 64kB (1 kB = 1024 bytes)"],
    [{ query: 'SELECT 1', table: 't' }, "--table picks the report query's table; --advise finds the tables of --query or --file in its plan — drop --table"],
    [{ file: 'x.sql', column: 'c', table: 't' }, "--table, --column pick the report query's table; --advise finds the tables of --query or --file in its plan — drop --table, --column"],
    [{ file: 'x.sql', category: 'c' }, '--category applies to the report query, not to --file'],
    [{ query: 'DROP TABLE t' }, '--query is a DROP statement'],
    [{ query: 'SELECT $1' }, '--query uses $1 but 0 --param values were given'],
  ] as [Partial<ExplainFlags>, string][])('refuses %j in one line', (extra, expected) => {
    expect(usageLine(() => explainOptions(flags(extra)))).toContain(expected);
  });

  it('refuses the flags only --advise takes without it', () => {
    expect(usageLine(() => explainOptions({ param: [], format: 'text', timeout: '30000', force: true, maxTableSize: '1GB' })))
      .toBe('--force, --max-table-size apply to --advise — add --advise, or drop them');
    expect(usageLine(() => explainOptions({ param: [], format: 'text', timeout: '30000', maxCandidates: '3' })))
      .toBe('--max-candidates applies to --advise — add --advise, or drop them');
  });
});

describe('what a --file holds', () => {
  it.each([
    ['a captured plan', fixtureText('advise-hash-join')],
    ['perfbench\'s own JSON', '{"kind": "perfbench.explain", "plan": []}'],
    ['a plan after a comment and blank lines', '\n  -- saved from psql\n[{"Plan": {}}]'],
    ['a JSON string', '"[{\\"Plan\\": {}}]"'],
  ])('a plan: %s', (_, text) => {
    expect(savedInputKind(text)).toEqual({ kind: 'plan' });
  });

  it.each([
    ['a SELECT', 'SELECT 1'],
    ['a statement after comments', '/* slow */\n-- from the log\nSELECT * FROM "Sales"."Order Lines" WHERE id = $1;\n'],
    ['a parenthesized query', '(SELECT 1) UNION (SELECT 2)'],
    ['a WITH query', 'WITH x AS (SELECT 1) SELECT * FROM x'],
  ])('SQL: %s', (_, text) => {
    expect(savedInputKind(text)).toEqual({ kind: 'sql', text });
  });
});

describe('a locking read is measured like a write', () => {
  it.each([
    ['SELECT * FROM t WHERE id = 1 FOR UPDATE', true],
    ['select * from t for no key update skip locked', true],
    ['SELECT * FROM t FOR SHARE OF t', true],
    ['SELECT * FROM t FOR KEY SHARE', true],
    ["SELECT 'FOR UPDATE' FROM t -- for update", false],
    ['SELECT "for update" FROM t', false],
    ['SELECT * FROM t', false],
  ])('%s', (text, expected) => {
    expect(locksRows(text)).toBe(expected);
  });
});
