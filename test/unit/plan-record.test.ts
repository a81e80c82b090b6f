/** The plan a bench result carries for the HTML report's tree (PlanSummary.tree), from real EXPLAIN fixtures. */
import { describe, expect, it } from 'vitest';
import { planRecord } from '../../src/plan/plan-record.js';
import { fixture } from './plan-fixture.js';

describe('planRecord', () => {
  it('keeps each node with its exclusive time, rows against the estimate, own buffers and conditions', () => {
    const record = planRecord(fixture('bitmap-heap-scan'));
    expect(record).toMatchObject({ totalTimeMs: 1.992, executionTimeMs: 1.992, planningTimeMs: 0.393, hasBuffers: true });
    expect(record.nodes).toHaveLength(2);
    const [heap, index] = record.nodes;
    // The heap scan's own time is its inclusive time less the Bitmap Index Scan's: 1.921 - 0.148.
    expect(heap).toMatchObject({ id: 0, parentId: null, label: 'Bitmap Heap Scan on products', inclusiveMs: 1.921, rows: 1000, estimatedRows: 963, loops: 1 });
    expect(heap!.exclusiveMs).toBeCloseTo(1.921 - 0.148, 9);
    expect(heap!.misestimate).toEqual({ factor: Math.round((1000 / 963) * 100) / 100, direction: 'under' });
    expect(heap!.details).toEqual(["Recheck Cond: ((category)::text = 'cat-007'::text)"]);
    expect(index).toMatchObject({ id: 1, parentId: 0, depth: 1, buffers: { sharedHit: 0, sharedRead: 3, tempRead: 0, tempWritten: 0 } });
    expect(record.warnings.map((w) => [w.severity, w.kind, w.nodeId])).toEqual([['info', 'slow-node', 0]]);
  });

  it('carries the warnings a DBA acts on, and the filter with what it removed', () => {
    const record = planRecord(fixture('seq-scan-filter'));
    expect(record.nodes[0]!.details).toEqual(["Filter: ((category)::text = 'cat-007'::text) (removed 99,000)"]);
    expect(record.warnings[0]).toMatchObject({ severity: 'critical', kind: 'seq-scan-filter', nodeId: 0 });
    expect(record.warnings[0]!.suggestion).toContain('perfbench index add --table products --column category');
    // JSON-safe: a round trip changes nothing.
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('marks nodes that never ran and workers that were planned', () => {
    expect(planRecord(fixture('never-executed')).nodes.some((n) => n.neverExecuted === true)).toBe(true);
    expect(planRecord(fixture('parallel-gather')).nodes.flatMap((n) => n.details)).toContain('Workers: 2 of 2 launched');
  });
});
