/**
 * Item 7 of issue 10: a part of the plan that runs once per outer row gets a warning with its total
 * cost (loops, time x loops, rows removed x loops), and an index on the correlated column when a
 * filter compares one with the outer query. Captured: a correlated SubPlan that scanned the whole
 * table 24 times (9.55M rows removed), and the inner Seq Scan of a Nested Loop Semi Join.
 */
import { describe, expect, it } from 'vitest';
import { correlatedColumn } from '../../src/plan/plan-conditions.js';
import { planWarnings, type PlanWarning } from '../../src/plan/plan-warnings.js';
import { fixture, fixtureJson } from './plan-fixture.js';
import { parsePlan } from '../../src/plan/plan.js';

const ofKind = (warnings: PlanWarning[], kind: PlanWarning['kind']) => warnings.filter((w) => w.kind === kind);

describe('a correlated SubPlan run 24 times (correlated-subplan, captured)', () => {
  const plan = fixture('correlated-subplan');
  const warnings = planWarnings(plan);
  const [outer, subplan, scan] = plan.nodes;

  it('is the plan the capture script asks for', () => {
    expect(subplan).toMatchObject({ subplanName: 'SubPlan 1', label: 'Aggregate', loops: 24, actualTotalTimeMs: 93.43 });
    expect(scan).toMatchObject({ label: 'Seq Scan on observation o', loops: 24, filter: '(station_id = s.id)' });
    // PostgreSQL prints 397,917 removed per loop; the total is over the 24 loops.
    expect(scan!.rowsRemovedByFilter).toBe(397917 * 24);
  });

  it('warns about the repeated execution with loops, total time and total rows removed', () => {
    const [warning] = ofKind(warnings, 'repeated-execution');
    expect(warning).toMatchObject({ severity: 'critical', nodeId: 1 });
    expect(warning!.message).toBe(
      `SubPlan 1 (Aggregate) ran 24 times, once per row of #0 Seq Scan on station s: 24 x 93.430 ms = ${(93.43 * 24).toFixed(3)} ms in total ` +
        `(${((93.43 * 24 * 100) / 2259.824).toFixed(1)}% of execution; threshold > 10%); ` +
        `#2 Seq Scan on observation o removed ${(397917 * 24).toLocaleString('en-US')} rows in total (397,917 per loop)`,
    );
  });

  it('suggests the index on the correlated column, with the command', () => {
    const [warning] = ofKind(warnings, 'repeated-execution');
    expect(warning!.index).toEqual({ table: 'observation', column: 'station_id', command: 'perfbench index add --table observation --column station_id' });
    expect(warning!.suggestion).toBe(
      'each run looks for station_id = s.id: an index on observation(station_id) turns every run into an index lookup instead of reading the table: ' +
        'perfbench index add --table observation --column station_id',
    );
  });

  it('names the column in the seq-scan warning too (it said "not a simple column comparison")', () => {
    const seq = ofKind(warnings, 'seq-scan-filter');
    expect(seq.map((w) => w.nodeId)).toEqual([2]);
    expect(seq[0]!.suggestion).toContain('the filter compares station_id with s.id from the outer query');
    expect(seq[0]!.index?.column).toBe('station_id');
  });

  it('counts the outer scan\'s own pages, not the SubPlan\'s: 2 pages is no seq-scan warning', () => {
    // 118,538 hit including the SubPlan's 118,536.
    expect(outer!.exclusiveBuffers.sharedHit).toBe(118538 - 118536);
    expect(ofKind(warnings, 'seq-scan-filter').map((w) => w.nodeId)).not.toContain(0);
  });

  it('still warns, with a rewrite instead of an index, when no filter compares with the outer query', () => {
    const raw = fixtureJson('correlated-subplan');
    raw[0].Plan.Plans[0].Plans[0].Filter = "(remark ~~ 'a%'::text)";
    const [warning] = ofKind(planWarnings(parsePlan(raw)), 'repeated-execution');
    expect(warning!.index).toBeUndefined();
    expect(warning!.suggestion).toContain('rewrite it as a join');
  });
});

describe('the inner side of a Nested Loop run 24 times (nested-loop-inner-seq-scan, captured)', () => {
  const plan = fixture('nested-loop-inner-seq-scan');

  it('warns with the total, and the index on the join filter\'s inner column', () => {
    const [warning] = ofKind(planWarnings(plan), 'repeated-execution');
    expect(warning).toMatchObject({ severity: 'critical', nodeId: 2 });
    expect(warning!.message).toBe(
      `Seq Scan on observation o ran 24 times, once per row of the outer side of #0 Nested Loop Semi Join: 24 x 40.073 ms = ${(40.073 * 24).toFixed(3)} ms in total ` +
        `(${((40.073 * 24 * 100) / 978.904).toFixed(1)}% of execution; threshold > 10%); it removed ${(198655 * 24).toLocaleString('en-US')} rows in total (198,655 per loop)`,
    );
    expect(warning!.index).toMatchObject({ table: 'observation', column: 'station_id' });
  });
});

describe('what is not flagged, or flagged lower', () => {
  it('an index lookup per outer row, the good nested loop (nested-loop: 50 loops, nothing removed)', () => {
    expect(ofKind(planWarnings(fixture('nested-loop')), 'repeated-execution')).toEqual([]);
  });

  it('a cheap repetition is info only (semi-join-early-stop: 24 short runs, 0.264 ms)', () => {
    expect(ofKind(planWarnings(fixture('semi-join-early-stop')), 'repeated-execution').map((w) => w.severity)).toEqual(['info']);
  });

  it('a repeated part under 10% of the execution is not flagged', () => {
    const raw = fixtureJson('correlated-subplan');
    raw[0]['Execution Time'] = 2259.824 * 20;
    expect(ofKind(planWarnings(parsePlan(raw)), 'repeated-execution')).toEqual([]);
  });
});

describe('correlatedColumn', () => {
  it.each([
    ['(station_id = s.id)', 'o', true, { column: 'station_id', outer: 's.id' }],
    ['(s.id = station_id)', 'o', true, { column: 'station_id', outer: 's.id' }],
    ["((station_id = s.id) AND (rain_mm > '30'::numeric))", 'o', true, { column: 'station_id', outer: 's.id' }],
    ['(o.station_id = $1)', 'o', true, { column: 'station_id', outer: '$1' }],
    ['(s.id = o.station_id)', 'o', false, { column: 'station_id', outer: 's.id' }],
    ['("Station Id" = "S".id)', 'o', true, { column: 'Station Id', outer: '"S".id' }],
    // The outer side keeps its own parentheses: only a pair around the whole side goes.
    ['(amount = (s.id)::numeric(10,2))', 'o', true, { column: 'amount', outer: '(s.id)::numeric(10,2)' }],
  ] as const)('%s on %s -> %j', (condition, alias, bare, found) => {
    expect(correlatedColumn(condition, alias, bare)).toEqual(found);
  });

  it.each([
    ['(station_id = 5)', 'o', true],
    ['(station_id = o.id)', 'o', true],
    ['(station_id > s.id)', 'o', true],
    ['(s.id = o.station_id)', 'x', false],
    ['(s.id = station_id)', 'o', false],
  ] as const)('%s on %s has none', (condition, alias, bare) => {
    expect(correlatedColumn(condition, alias, bare)).toBeNull();
  });
});
