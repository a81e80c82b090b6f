import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { explainOptions, type ExplainFlags } from '../../src/flags/explain-flags.js';
import { indexCheckOf, writesOf } from '../../src/plan/plan-inspection.js';
import { explainFile } from '../../src/usecases/explain.js';
import { describeIndexCheck, describeSource, explainJson, renderExplain } from '../../src/report/explain-output.js';
import { parsePlan } from '../../src/plan/plan.js';
import { columnIdentifier, tableIdentifier } from '../../src/workload/identifiers.js';
import { fixture, fixtureJson } from './plan-fixture.js';
import { usageLine, usageLineAsync } from '../support/usage.js';

const fixtures = join(import.meta.dirname, '../../fixtures/plans');
const scratch = mkdtempSync(join(tmpdir(), 'perfbench-explain-'));

function flags(extra: Partial<ExplainFlags> = {}): ExplainFlags {
  return { param: [], format: 'text', timeout: '30000', ...extra };
}



describe('explainOptions: flags to a request, usage errors before anything runs', () => {
  it('defaults to the report query on products(category) with a 30 s timeout', () => {
    expect(explainOptions(flags())).toEqual({
      mode: 'explain',
      format: 'text',
      request: {
        timeoutMs: 30000,
        target: { kind: 'report', table: tableIdentifier('products'), column: columnIdentifier('category'), category: undefined },
      },
    });
  });

  it('reads --compare with --runs (default 3) and a user query with its parameters', () => {
    const compare = explainOptions(flags({ compare: true, table: 'public.t', column: 'c', category: 'x', timeout: '500' }));
    expect(compare).toMatchObject({ mode: 'compare', runs: 3, request: { timeoutMs: 500, target: { kind: 'report', category: 'x' } } });
    expect(explainOptions(flags({ compare: true, runs: '7' }))).toMatchObject({ runs: 7 });
    const query = explainOptions(flags({ query: 'SELECT * FROM t WHERE a = $1 AND b = $2', param: ['1', 'two'], format: 'json' }));
    expect(query).toMatchObject({
      mode: 'explain',
      format: 'json',
      request: { target: { kind: 'query', params: ['1', 'two'], explicitSource: false, classification: { kind: 'read', parameters: 2 } } },
    });
    expect(explainOptions(flags({ query: 'DELETE FROM t', column: 'c' }))).toMatchObject({
      request: { target: { kind: 'query', explicitSource: true, classification: { kind: 'write', verb: 'DELETE' } } },
    });
    expect(explainOptions(flags({ file: 'plan.json', format: 'markdown' }))).toEqual({ mode: 'file', path: 'plan.json', format: 'markdown' });
  });

  it.each([
    [{ format: 'yaml' }, "--format 'yaml' is not one of text, json, markdown"],
    [{ timeout: '0' }, "--timeout '0' is not a whole number from 1 to 86,400,000"],
    [{ timeout: 'soon' }, "--timeout 'soon'"],
    [{ compare: true, runs: '0' }, "--runs '0' is not a whole number from 1 to 100"],
    [{ runs: '3' }, '--runs applies to --compare'],
    [{ table: 'a;b' }, "--table 'a;b' is not a valid table name"],
    [{ column: 'x y' }, "--column 'x y' is not a valid column name"],
    [{ query: 'DROP TABLE products' }, 'refuses DDL'],
    [{ query: 'BEGIN' }, 'refuses transaction control'],
    [{ query: 'SELECT 1; SELECT 2' }, 'more than one statement'],
    [{ query: 'SELECT $1' }, '--query uses $1 but 0 --param values were given'],
    [{ query: 'SELECT $1, $2', param: ['a'] }, '--query uses $1..$2 but 1 --param value was given'],
    [{ query: 'SELECT 1', param: ['a'] }, '--query uses no $n placeholders but 1 --param value was given'],
    [{ query: 'SELECT 1', category: 'cat-001' }, '--category applies to the report query'],
    [{ param: ['a'] }, '--param applies to --query'],
    [{ file: 'p.json', compare: true }, '--file renders a saved plan; it cannot be combined with --compare'],
    [{ file: 'p.json', query: 'SELECT 1', category: 'x' }, 'cannot be combined with --category, --query'],
  ] as const)('%j -> %s', (extra, message) => {
    expect(usageLine(() => explainOptions(flags(extra as Partial<ExplainFlags>)))).toContain(message);
  });
});

describe('explainFile: a saved plan without a database', () => {
  it('renders a captured fixture with its warnings and says nothing was run', async () => {
    const result = await explainFile(join(fixtures, 'seq-scan-filter.json'));
    expect(result).toMatchObject({ rolledBack: false, timeoutMs: null, writes: [], indexCheck: null, source: { kind: 'file' } });
    expect(result.warnings.map((w) => w.kind)).toContain('seq-scan-filter');
    const text = renderExplain(result, 'text');
    expect(text.split('\n').slice(0, 2)).toEqual([`Saved plan ${join(fixtures, 'seq-scan-filter.json')}`, 'Read from a file; nothing was run.']);
    expect(text).toContain('Seq Scan on products');
    expect(text).toContain('perfbench index add --table products --column category');
  });

  it('reads back its own --format json output', async () => {
    const original = await explainFile(join(fixtures, 'bitmap-heap-scan.json'));
    const path = join(scratch, 'own.json');
    writeFileSync(path, renderExplain(original, 'json'));
    const again = await explainFile(path);
    expect(again.plan.raw).toEqual(original.plan.raw);
    expect(explainJson(again).summary).toEqual(explainJson(original).summary);
  });

  it('fails with one usage line for a missing, empty, corrupt or non-plan file', async () => {
    expect(await usageLineAsync(() => explainFile(join(scratch, 'missing.json')))).toContain('missing.json: no such file');
    expect(await usageLineAsync(() => explainFile(scratch))).toContain('it is a directory');
    const write = (name: string, text: string) => {
      writeFileSync(join(scratch, name), text);
      return join(scratch, name);
    };
    expect(await usageLineAsync(() => explainFile(write('empty.json', '')))).toContain('not valid JSON');
    // JSON.parse quotes the input, newline and all: the error must still be one line.
    expect(await usageLineAsync(() => explainFile(write('text.json', 'garbage\n')))).toContain('not valid JSON');
    expect(await usageLineAsync(() => explainFile(write('cut.json', JSON.stringify(fixtureJson('seq-scan-filter')).slice(0, 200))))).toContain('not valid JSON');
    expect(await usageLineAsync(() => explainFile(write('other.json', '{"rows": []}')))).toContain('no "Plan" object found');
  });
});

describe('what the command adds to a plan', () => {
  it('finds the writes a ModifyTable made, from the rows fed into it', () => {
    const raw = {
      Plan: {
        'Node Type': 'ModifyTable', Operation: 'Delete', 'Relation Name': 't', Alias: 't',
        'Plan Rows': 0, 'Actual Rows': 0, 'Actual Loops': 1, 'Actual Total Time': 0.5, 'Actual Startup Time': 0.5,
        Plans: [{
          'Node Type': 'Seq Scan', 'Parent Relationship': 'Outer', 'Relation Name': 't', Alias: 't',
          'Plan Rows': 9, 'Actual Rows': 9, 'Actual Loops': 1, 'Actual Total Time': 0.1, 'Actual Startup Time': 0,
        }],
      },
      'Execution Time': 0.6,
    };
    const plan = parsePlan(raw);
    expect(writesOf(plan)).toEqual([{ operation: 'Delete', relation: 't', rows: 9 }]);
    // The ModifyTable names the table but does not read it: the index check looks at the scan below.
    expect(indexCheckOf(plan, tableIdentifier('t'), columnIdentifier('c'), ['t_c_idx'])).toMatchObject({ scan: 'Seq Scan on t', usesIndex: false });
    expect(writesOf(fixture('seq-scan-filter'))).toEqual([]);
  });

  it('answers "is it using the index?"', () => {
    const table = tableIdentifier('public.products');
    const column = columnIdentifier('category');
    const used = indexCheckOf(fixture('bitmap-heap-scan'), table, column, ['products_category_idx']);
    expect(used).toEqual({
      table: 'public.products', column: 'category', indexes: ['products_category_idx'],
      scan: 'Bitmap Heap Scan on products using products_category_idx', usesIndex: true,
    });
    expect(describeIndexCheck(used)).toBe('Index check: public.products(category) has products_category_idx; this plan uses it (Bitmap Heap Scan on products using products_category_idx).');
    // An index on the column exists, but the plan reads the table through another one.
    const other = indexCheckOf(fixture('bitmap-heap-scan'), table, column, ['products_category_price_idx']);
    expect(other.usesIndex).toBe(false);
    const unused = indexCheckOf(fixture('seq-scan-filter'), table, column, ['products_category_idx']);
    expect(describeIndexCheck(unused)).toBe('Index check: public.products(category) has products_category_idx; this plan does NOT use it (Seq Scan on products).');
    expect(describeIndexCheck(indexCheckOf(fixture('seq-scan-filter'), table, column, []))).toBe('Index check: public.products(category) has no index.');
    const elsewhere = indexCheckOf(fixture('seq-scan-filter'), tableIdentifier('orders'), column, ['orders_category_idx']);
    expect(elsewhere).toMatchObject({ scan: null, usesIndex: false });
    expect(describeIndexCheck(elsewhere)).toContain('but this plan never reads orders');
  });

  it('names the source in one pasteable line', () => {
    const base = { table: null, column: null, category: null, query: null, params: [], file: null };
    expect(describeSource({ ...base, kind: 'report', table: 'products', column: 'category', category: "o'neil" }))
      .toBe("Report query on products(category) for category = 'o''neil'");
    expect(describeSource({ ...base, kind: 'query', query: 'SELECT *\n  FROM t\n  WHERE a = $1', params: ['x'] }))
      .toBe("Query: SELECT * FROM t WHERE a = $1 with $1 = 'x'");
  });

  it('renders text (colour only when asked), markdown and json with the source and the run', async () => {
    const result = await explainFile(join(fixtures, 'seq-scan-filter.json'));
    const text = renderExplain(result, 'text');
    expect(text).not.toMatch(/\u001b\[/);
    expect(renderExplain(result, 'text', new Chalk({ level: 1 }))).toMatch(/\u001b\[/);
    const markdown = renderExplain(result, 'markdown');
    expect(markdown).toContain('| # | Node |');
    expect(markdown).toContain('### Warnings');
    const json = JSON.parse(renderExplain(result, 'json'));
    expect(json).toMatchObject({
      schemaVersion: 1,
      kind: 'perfbench.explain',
      source: { kind: 'file' },
      run: { rolledBack: false, timeoutMs: null, writes: [] },
      indexCheck: null,
      summary: { executionTimeMs: 5.686 },
    });
    expect(json.warnings[0].index.command).toBe('perfbench index add --table products --column category');
  });
});
