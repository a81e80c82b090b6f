/**
 * Item 6 of issue 10: rows that stopped because a node above stopped reading are not a misestimate
 * (plan-early-stop.ts). Captured: a top-N sort under a Limit through a Gather Merge, the outer side
 * of a Hash Join under a Limit, the inner side of a Nested Loop Semi Join. Edited copies check that
 * each rule can fail: a Limit that ran its input dry, under-estimates, merge and plain joins.
 */
import { describe, expect, it } from 'vitest';
import { planWarnings, type PlanWarning } from '../../src/plan/plan-warnings.js';
import { parsePlan, type ParsedPlan } from '../../src/plan/plan.js';
import { fixture, fixtureJson } from './plan-fixture.js';

const misestimates = (plan: ParsedPlan) => planWarnings(plan).filter((w: PlanWarning) => w.kind === 'misestimate').map((w) => w.nodeId);
const stopped = (plan: ParsedPlan) => plan.nodes.filter((n) => n.stoppedEarly).map((n) => n.id);

describe('a top-N sort under a Limit (limit-top-n, captured)', () => {
  const plan = fixture('limit-top-n');
  const [limit, gather, sort, scan] = plan.nodes;

  it('is the plan the capture script asks for', () => {
    expect(plan.nodes.map((n) => n.label)).toEqual(['Limit', 'Gather Merge', 'Sort', 'Parallel Seq Scan on observation']);
    expect(sort!.sortMethod).toBe('top-N heapsort');
    // 20 rows per process against 42,199 planned: the factor itself is still computed.
    expect(sort!.misestimate).toEqual({ factor: 42199 / 20, direction: 'over' });
    expect(gather!.misestimate).toEqual({ factor: 84398 / 20, direction: 'over' });
  });

  it('marks the Gather Merge and the Sort as stopped by the Limit, and not the scan the Sort read to the end', () => {
    expect(limit!.actualRows).toBe(limit!.estimatedRows);
    expect(stopped(plan)).toEqual([1, 2]);
    expect(sort!.stoppedEarly).toEqual({ byNodeId: 0, reason: 'the Limit (#0) got the 20 rows it was planned to return and stopped reading' });
    expect(scan!.stoppedEarly).toBeNull();
  });

  it('does not call them misestimates (it did: 4220x and 2110x, critical)', () => {
    expect(misestimates(plan)).toEqual([]);
  });

  it('does when the Limit ran its input dry: fewer rows than planned means the input ended', () => {
    const raw = fixtureJson('limit-top-n');
    raw[0].Plan['Actual Rows'] = 12;
    raw[0].Plan.Plans[0]['Actual Rows'] = 12;
    raw[0].Plan.Plans[0].Plans[0]['Actual Rows'] = 12;
    const dry = parsePlan(raw);
    expect(stopped(dry)).toEqual([]);
    expect(misestimates(dry)).toEqual([1, 2]);
  });
});

describe('the outer side of a Hash Join under a Limit (limit-hash-join, captured)', () => {
  const plan = fixture('limit-hash-join');

  it('marks the join and its outer scan, not the Hash and what it read to the end', () => {
    expect(plan.nodes.map((n) => n.label)).toEqual(['Limit', 'Hash Join', 'Seq Scan on observation o', 'Hash', 'Seq Scan on station s']);
    expect(stopped(plan)).toEqual([1, 2]);
    // 396 rows of 400,000 read before the join had its 50: 1010x "over", and not a misestimate.
    expect(plan.nodes[2]!.misestimate!.factor).toBeCloseTo(400000 / 396, 10);
    expect(misestimates(plan)).toEqual([]);
  });

  it('still flags an under-estimate below the Limit: more rows than estimated is real whatever stopped', () => {
    const raw = fixtureJson('limit-hash-join');
    const hashScan = raw[0].Plan.Plans[0].Plans[1].Plans[0];
    hashScan['Plan Rows'] = 2;
    raw[0].Plan.Plans[0].Plans[0]['Plan Rows'] = 20;
    const changed = parsePlan(raw);
    // The outer scan: 396 found, 20 estimated (19.8x under) while stopped early; the station scan: 24 vs 2.
    expect(changed.nodes[2]!.stoppedEarly).not.toBeNull();
    expect(misestimates(changed)).toEqual([2, 4]);
  });
});

describe('the inner side of a Nested Loop Semi Join (semi-join-early-stop, captured)', () => {
  const plan = fixture('semi-join-early-stop');

  it('marks the inner scan, which stops at the first match per station', () => {
    const inner = plan.nodes[2]!;
    expect(inner).toMatchObject({ label: 'Seq Scan on observation o', loops: 24, actualRows: 97, estimatedRows: 400000 });
    expect(inner.stoppedEarly).toEqual({
      byNodeId: 0,
      reason: 'the Nested Loop Semi Join (#0) stops reading its inner side at the first match for each outer row',
    });
    expect(misestimates(plan)).toEqual([]);
  });

  it('does not mark the inner side of a plain inner Nested Loop, which reads each run to the end', () => {
    const raw = fixtureJson('semi-join-early-stop');
    raw[0].Plan['Join Type'] = 'Inner';
    const inner = parsePlan(raw);
    expect(stopped(inner)).toEqual([]);
    expect(misestimates(inner)).toEqual([2]);
  });
});

describe('rules checked on small plans', () => {
  const base = { 'Actual Loops': 1, 'Actual Total Time': 1 };
  const scan = (relation: string, estimated: number, actual: number, extra: Record<string, unknown> = {}) => ({
    ...base,
    'Node Type': 'Index Scan',
    'Relation Name': relation,
    'Index Name': `${relation}_pkey`,
    'Plan Rows': estimated,
    'Actual Rows': actual,
    ...extra,
  });
  const mergeJoin = (joinType: string) =>
    parsePlan({
      Plan: {
        ...base,
        'Node Type': 'Merge Join',
        'Join Type': joinType,
        'Plan Rows': 50,
        'Actual Rows': 50,
        Plans: [scan('a', 10000, 50, { 'Parent Relationship': 'Outer' }), scan('b', 10000, 60, { 'Parent Relationship': 'Inner' })],
      },
      'Execution Time': 2,
    });

  it('a Merge Join stops reading one side when the other runs out; which side depends on the join type', () => {
    expect(stopped(mergeJoin('Inner'))).toEqual([1, 2]);
    expect(misestimates(mergeJoin('Inner'))).toEqual([]);
    expect(stopped(mergeJoin('Left'))).toEqual([2]);
    expect(stopped(mergeJoin('Right'))).toEqual([1]);
    expect(stopped(mergeJoin('Full'))).toEqual([]);
    expect(misestimates(mergeJoin('Full'))).toEqual([1, 2]);
  });

  it('an EXISTS SubPlan stops at its first row; a scalar one that found its row is left alone', () => {
    const plan = parsePlan({
      Plan: {
        ...base,
        'Node Type': 'Seq Scan',
        'Relation Name': 'station',
        'Plan Rows': 24,
        'Actual Rows': 12,
        Filter: '(SubPlan 1)',
        Plans: [
          { ...scan('observation', 2083, 1, { 'Parent Relationship': 'SubPlan', 'Subplan Name': 'SubPlan 1' }), 'Actual Loops': 24 },
          { ...scan('station', 1, 1, { 'Parent Relationship': 'InitPlan', 'Subplan Name': 'InitPlan 2 (returns $1)' }) },
        ],
      },
      'Execution Time': 30,
    });
    expect(plan.nodes[1]!.stoppedEarly!.reason).toBe('SubPlan 1 may stop at its first row (EXISTS, IN and ANY stop as soon as the answer is known)');
    expect(plan.nodes[2]!.stoppedEarly).toBeNull();
    expect(misestimates(plan)).toEqual([]);
  });

  it('a CTE whose every scan was cut short was cut short too; a data-modifying one is run to the end', () => {
    const limited = (cteNode: Record<string, unknown>) =>
      parsePlan({
        Plan: {
          ...base,
          'Node Type': 'Limit',
          'Plan Rows': 5,
          'Actual Rows': 5,
          Plans: [
            { ...cteNode, 'Parent Relationship': 'InitPlan', 'Subplan Name': 'CTE x' },
            { ...base, 'Node Type': 'CTE Scan', 'CTE Name': 'x', 'Parent Relationship': 'Outer', 'Plan Rows': 1000, 'Actual Rows': 5 },
          ],
        },
        'Execution Time': 2,
      });
    const select = limited(scan('observation', 1000, 5));
    expect(stopped(select)).toEqual([1, 2]);
    expect(select.nodes[1]!.stoppedEarly!.reason).toBe(
      'every scan of CTE x was cut short: the Limit (#0) got the 5 rows it was planned to return and stopped reading',
    );
    expect(misestimates(select)).toEqual([]);
    const modifying = limited({ ...base, 'Node Type': 'ModifyTable', Operation: 'Delete', 'Relation Name': 'observation', 'Plan Rows': 1000, 'Actual Rows': 0 });
    expect(stopped(modifying)).toEqual([2]);
  });

  it('a never-executed node is not marked, and a Limit that returned nothing stopped nothing', () => {
    const plan = parsePlan({
      Plan: { ...base, 'Node Type': 'Limit', 'Plan Rows': 0, 'Actual Rows': 0, Plans: [scan('a', 100, 0)] },
    });
    expect(stopped(plan)).toEqual([]);
    expect(stopped(fixture('never-executed'))).toEqual([]);
  });
});
