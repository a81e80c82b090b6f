/**
 * Issue 11, item 6: the candidate indexes `explain --advise` measures, read from real plans. The
 * advise-* fixtures were captured from a schema that looks nothing like the report's (a quoted,
 * mixed-case schema "Sales", tables "Customers" and "Order Lines", a column named "select"), with
 * each relation's Schema attached as explain attaches it; the older fixtures have no Schema.
 */
import { describe, expect, it } from 'vitest';
import {
  candidateKey, createIndexText, describeCandidate, indexCandidates, mergeCandidates, withoutExisting, type IndexCandidate,
} from '../../src/plan/index-candidates.js';
import { comparisonsOf, conjunctsOf, orderKeyOf } from '../../src/plan/plan-conditions.js';
import { parsePlan } from '../../src/plan/plan.js';
import { fixture, fixtureJson } from './plan-fixture.js';

/** Candidates as `relation (columns)` with their sources, in rank order. */
const summary = (candidates: IndexCandidate[]) => candidates.map((c) => `${describeCandidate(c)} <- ${c.reasons.map((r) => `${r.source}#${r.nodeId}`).join(',')}`);

describe('reading EXPLAIN conditions', () => {
  const own = (alias: string) => (q: string) => q === alias;

  it('splits a filter into its top-level conjuncts, leaving ANDs inside parentheses and strings alone', () => {
    expect(conjunctsOf(`((a = 1) AND ((b)::text = 'x AND y'::text) AND ((c = 1) OR (d = 2)))`)).toEqual(['a = 1', "(b)::text = 'x AND y'::text", '(c = 1) OR (d = 2)']);
    expect(conjunctsOf("(a = 'unterminated)")).toBeUndefined();
  });

  it.each([
    ['a bare column with a constant', `(amount >= '10'::numeric)`, [{ column: { column: 'amount' }, kind: 'range', outer: [] }]],
    ['a quoted, mixed-case column', `("Customer Id" = 42)`, [{ column: { column: 'Customer Id' }, kind: 'eq', outer: [] }]],
    ['a reserved word as column, with a doubled quote', `("select" = 7) AND ("say ""hi""" = 'x'::text)`, [
      { column: { column: 'select' }, kind: 'eq', outer: [] }, { column: { column: 'say "hi"' }, kind: 'eq', outer: [] }]],
    ['a relabel cast to text', `((category)::text = 'cat-007'::text)`, [{ column: { column: 'category' }, kind: 'eq', outer: [] }]],
    ['= ANY of an array', `("Customer Id" = ANY ('{1,2,3}'::integer[]))`, [{ column: { column: 'Customer Id' }, kind: 'in', outer: [] }]],
    ['IS NULL', '(note IS NULL)', [{ column: { column: 'note' }, kind: 'null', outer: [] }]],
    ['the constant on the left', `('2024-01-01'::date <= signup)`, [{ column: { column: 'signup' }, kind: 'range', outer: [] }]],
    ['an outer reference (correlated)', '("Customer Id" = c.id)', [{ column: { column: 'Customer Id' }, kind: 'eq', outer: ['c.id'] }]],
    ['a parameter and an InitPlan result', '((a = $1) AND (b < $0))', [{ column: { column: 'a' }, kind: 'eq', outer: [] }, { column: { column: 'b' }, kind: 'range', outer: [] }]],
    ['a stable expression', `(placed_at > (now() - '1 day'::interval))`, [{ column: { column: 'placed_at' }, kind: 'range', outer: [] }]],
  ])('finds the column of %s', (_, condition, expected) => {
    expect(comparisonsOf(condition, own('o'), true).map(({ text: _text, ...rest }) => rest)).toEqual(expected);
  });

  it.each([
    ['an OR', '((a = 1) OR (b = 2))'],
    ['LIKE', `(name ~~ 'abc%'::text)`],
    ['not equal', '(a <> 1)'],
    ['IS NOT NULL', '(a IS NOT NULL)'],
    ['a function of the column', `(lower(name) = 'x'::text)`],
    ['a cast that is not a relabel', `((price)::integer = 5)`],
    ['two columns of the same scan', '(a = b)'],
    ['the same alias on both sides', '(o.a = o.b)'],
  ])('leaves out %s', (_, condition) => {
    expect(comparisonsOf(condition, own('o'), true)).toEqual([]);
  });

  it('places a join condition on each side by its alias; bare columns belong to nobody there', () => {
    const condition = '(o."Customer Id" = c.id)';
    expect(comparisonsOf(condition, own('o'), false).map((c) => [c.column.column, c.outer])).toEqual([['Customer Id', ['c.id']]]);
    expect(comparisonsOf(condition, own('c'), false).map((c) => [c.column.column, c.outer])).toEqual([['id', ['o."Customer Id"']]]);
    expect(comparisonsOf('(a = c.id)', own('o'), false)).toEqual([]);
  });

  it.each([
    ['placed_at', { column: { column: 'placed_at' }, descending: false }],
    ['placed_at DESC', { column: { column: 'placed_at' }, descending: true }],
    ['o."Customer Id"', { column: { qualifier: 'o', column: 'Customer Id' }, descending: false }],
    ['amount DESC NULLS LAST', { column: { column: 'amount' }, descending: true, nullsFirst: false }],
    ['amount NULLS FIRST', { column: { column: 'amount' }, descending: false, nullsFirst: true }],
    ['amount DESC NULLS FIRST', { column: { column: 'amount' }, descending: true }],
  ])('reads the sort key %s', (key, expected) => {
    expect(orderKeyOf(key)).toEqual(expected);
  });

  it.each([['(lower(name))'], ['name COLLATE "C"'], ['(count(*)) DESC']])('reads no column from the key %s', (key) => {
    expect(orderKeyOf(key)).toBeUndefined();
  });
});

describe('candidates from captured plans of a quoted, mixed-case, schema-qualified schema', () => {
  it('a Hash Join: both join keys, the filter of the build side and its group key, schema-qualified', () => {
    const candidates = indexCandidates(fixture('advise-hash-join'));
    expect(summary(candidates)).toEqual([
      '"Sales"."Order Lines" ("Customer Id") <- join#1',
      '"Sales"."Customers" (id) <- join#1',
      '"Sales"."Customers" ("Region") <- group#0,filter#4',
    ]);
    expect(candidates[0]!.reasons[0]).toEqual({ source: 'join', nodeId: 1, node: 'Hash Join', detail: 'Hash Cond (o."Customer Id" = c.id): o."Customer Id"' });
    expect(createIndexText(candidates[0]!)).toBe('CREATE INDEX ON "Sales"."Order Lines" ("Customer Id")');
    // Weighted by the time of what they could change: the join (inclusive), the small build-side scan.
    const plan = fixture('advise-hash-join');
    expect(candidates[0]!.weightMs).toBe(plan.nodes[1]!.inclusiveTimeMs);
  });

  it('a correlated SubPlan: the column compared with the outer query, first', () => {
    const plan = fixture('advise-correlated');
    const candidates = indexCandidates(plan);
    expect(summary(candidates)).toEqual(['"Sales"."Order Lines" ("Customer Id") <- subplan#2', '"Sales"."Customers" ("Region") <- filter#0']);
    expect(candidates[0]!.reasons[0]!.detail).toBe('SubPlan 1, run 20 times: Filter ("Customer Id" = c.id) compares "Customer Id" with c.id of the outer query');
    // The SubPlan's scan ran 20 times: its weight is all of them; the outer scan's leaves its SubPlan out.
    expect(candidates[0]!.weightMs).toBe(plan.nodes[2]!.inclusiveTimeMs);
    expect(candidates[1]!.weightMs).toBeCloseTo(plan.nodes[0]!.inclusiveTimeMs - plan.nodes[1]!.inclusiveTimeMs, 9);
  });

  it('ORDER BY … LIMIT: the sort key, and the equality filter followed by the sort key', () => {
    const candidates = indexCandidates(fixture('advise-order-limit'));
    expect(summary(candidates)).toEqual([
      '"Sales"."Order Lines" (amount) <- sort#1',
      '"Sales"."Order Lines" ("Status", amount) <- sort#1',
      '"Sales"."Order Lines" ("Status") <- filter#2',
    ]);
    expect(candidates[0]!.reasons[0]!.detail).toBe('Sort Key amount DESC under #0 Limit (20 rows)');
    expect(candidates[1]!.reasons[0]!.detail).toBe('Sort Key amount DESC under #0 Limit (20 rows), after the equality filter ("Status" = \'status-5\'::text) of #2 Seq Scan on Sales.Order Lines');
  });

  it('a sort in mixed directions keeps them in the index', () => {
    const [candidate] = indexCandidates(fixture('advise-mixed-sort'));
    expect(candidate!.columns).toEqual([{ name: 'Status' }, { name: 'amount', descending: true }]);
    expect(createIndexText(candidate!)).toBe('CREATE INDEX ON "Sales"."Order Lines" ("Status", "amount" DESC)');
  });

  it('a filter that ANDs two columns: each alone, and both in one index', () => {
    const candidates = indexCandidates(fixture('advise-multi-column'));
    expect(summary(candidates)).toEqual([
      '"Sales"."Order Lines" ("Status") <- filter#0',
      '"Sales"."Order Lines" ("select") <- filter#0',
      '"Sales"."Order Lines" ("Status", "select") <- filter#0',
    ]);
    expect(createIndexText(candidates[2]!)).toBe('CREATE INDEX ON "Sales"."Order Lines" ("Status", "select")');
  });

  it('= ANY, a range in two conjuncts and IS NULL: equalities first, then the range', () => {
    const candidates = indexCandidates(fixture('advise-any-range-null'));
    expect(candidates.map((c) => describeCandidate(c))).toEqual([
      '"Sales"."Order Lines" (note)',
      '"Sales"."Order Lines" (amount)',
      '"Sales"."Order Lines" ("Customer Id")',
      '"Sales"."Order Lines" (note, "Customer Id", amount)',
    ]);
    expect(candidates[1]!.reasons.map((r) => r.detail)).toEqual(["Filter (amount >= '10'::numeric) AND (amount < '20'::numeric) removed 60,000 rows"]);
  });

  it('a Nested Loop: the Join Filter on both sides, and the inner side\'s lookup with its filter', () => {
    const candidates = indexCandidates(fixture('advise-nested-loop'));
    expect(summary(candidates)).toEqual([
      '"Sales"."Order Lines" ("Customer Id") <- join#0',
      '"Sales"."Customers" (id) <- join#0',
      '"Sales"."Order Lines" ("select") <- filter#1',
      '"Sales"."Customers" ("Region") <- filter#3',
      '"Sales"."Customers" (id, "Region") <- join#3',
    ]);
  });
});

describe('candidates from the other captured plans (no Schema in them)', () => {
  it('the correlated SubPlan of the weather set', () => {
    expect(summary(indexCandidates(fixture('correlated-subplan')))).toEqual(['observation (station_id) <- subplan#2', 'station (region) <- filter#0']);
  });

  it('a correlated SubPlan that filters on more: the outer lookup and the filter in one index, said to be the SubPlan\'s', () => {
    const json = fixtureJson('correlated-subplan');
    json[0]['Plan']['Plans'][0]['Plans'][0]['Filter'] = "((station_id = s.id) AND (rain_mm > '30'::numeric))";
    const candidates = indexCandidates(parsePlan(json));
    const both = candidates.find((c) => describeCandidate(c) === 'observation (station_id, rain_mm)')!;
    expect(both.reasons).toEqual([{ source: 'subplan', nodeId: 2, node: 'Seq Scan on observation o',
      detail: "SubPlan 1, run 24 times: Filter ((station_id = s.id) AND (rain_mm > '30'::numeric)): 2 columns of observation in one index" }]);
  });

  it('a Nested Loop whose inner Seq Scan runs once per outer row: the join key with the inner filter', () => {
    const candidates = indexCandidates(fixture('nested-loop-inner-seq-scan'));
    expect(candidates.map((c) => describeCandidate(c))).toContain('observation (station_id, rain_mm)');
    expect(candidates.find((c) => describeCandidate(c) === 'observation (station_id, rain_mm)')!.reasons[0]!.source).toBe('join');
  });

  it('a top-N sort under a Limit through Gather Merge', () => {
    expect(summary(indexCandidates(fixture('limit-top-n')))[0]).toBe('observation (temp_c) <- sort#2');
  });

  it('nothing for a plan that already reads through its index, or a node that never ran', () => {
    expect(indexCandidates(fixture('index-scan-fast'))).toEqual([]);
    expect(indexCandidates(fixture('bitmap-heap-scan'))).toEqual([]);
    expect(indexCandidates(fixture('never-executed')).map((c) => describeCandidate(c))).toEqual(['categories (id)']);
  });

  it('a self-join names the one relation once, with both sides as reasons', () => {
    const [candidate] = indexCandidates(fixture('hash-batches'));
    expect(describeCandidate(candidate!)).toBe('products (id)');
    expect(candidate!.reasons.map((r) => r.detail)).toEqual(['Hash Cond (q.id = p.id): q.id', 'Hash Cond (q.id = p.id): p.id']);
  });

  it('tags reasons with the statement they came from', () => {
    expect(indexCandidates(fixture('seq-scan-filter'), 2)[0]!.reasons[0]!.statement).toBe(2);
  });
});

describe('merging and the indexes that exist', () => {
  const candidates = indexCandidates(fixture('advise-multi-column'));

  it('drops a candidate an existing index leads with, and keeps one it does not', () => {
    const { kept, covered } = withoutExisting(candidates, (relation) => (relation.name === 'Order Lines'
      ? [{ name: 'by_status_and_more', columns: ['Status', 'select', 'id'] }, { name: 'by_select_later', columns: ['id', 'select'] }]
      : []));
    expect(covered.map((c) => [describeCandidate(c.candidate), c.by])).toEqual([
      ['"Sales"."Order Lines" ("Status")', 'by_status_and_more'],
      ['"Sales"."Order Lines" ("Status", "select")', 'by_status_and_more'],
    ]);
    expect(kept.map((c) => describeCandidate(c))).toEqual(['"Sales"."Order Lines" ("select")']);
  });

  it('merges the same index from two plans once, with both reasons', () => {
    const again = indexCandidates(fixture('advise-multi-column'), 1);
    const merged = mergeCandidates([indexCandidates(fixture('advise-multi-column'), 0), again]);
    expect(merged).toHaveLength(3);
    expect(merged[0]!.reasons.map((r) => r.statement)).toEqual([0, 1]);
    expect(candidateKey(merged[0]!)).toBe(candidateKey(candidates[0]!));
  });
});
