/**
 * Reporter (pure): number formatting shared by the plan renderers. Locale-free on purpose:
 * `toLocaleString` follows the machine's locale, which would make golden files and CI logs differ
 * between machines.
 */
import type { Misestimate, ParsedPlan, PlanNode, ProcessHashAgg } from '../plan/plan.js';
import { hashAggsByProcess, processName, sortsByProcess } from '../plan/plan.js';
import { formatInt } from './format.js';

// The plan renderers take every number format from here; the integer one is shared with the rest.
export { formatInt };

/** Milliseconds with PostgreSQL's three decimals and thousands separators: `1,234.567 ms`. */
export function formatMs(ms: number): string {
  const [whole, fraction] = ms.toFixed(3).split('.');
  return `${formatInt(Number(whole))}.${fraction} ms`;
}

/** A share of 0..1 as `12.3%`. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** `1.04x under`, `250x over`, `exact`. */
export function formatMisestimate(m: Misestimate | null): string {
  if (!m) return '';
  if (m.direction === 'exact') return 'exact';
  return `${formatFactor(m.factor)} ${m.direction}`;
}

/** A ratio as `2.85x`; from 100 on without decimals, where they only add noise. */
export function formatFactor(factor: number): string {
  return factor >= 100 ? `${Math.round(factor)}x` : `${factor.toFixed(2)}x`;
}

/** `2.85x faster` / `1.20x slower` / `n/a`. */
export function formatSpeedup(speedup: number | null): string {
  if (speedup === null) return 'n/a';
  return speedup >= 1 ? `${formatFactor(speedup)} faster` : `${formatFactor(1 / speedup)} slower`;
}

/** Relative change `-2.7%` / `+10.0%` / `±0.0%`; `n/a` from zero. */
export function formatChange(before: number, after: number): string {
  if (before === 0) return after === 0 ? '±0.0%' : 'n/a';
  const change = (after - before) / before;
  if (change === 0) return '±0.0%';
  return `${change > 0 ? '+' : ''}${(change * 100).toFixed(1)}%`;
}

/** A node's share of the plan's time, from its exclusive time. */
export function nodeShare(plan: ParsedPlan, node: PlanNode): number {
  return plan.totalTimeMs > 0 ? node.exclusiveTimeMs / plan.totalTimeMs : 0;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `width` cells for a share of 0..1, in eighths of a cell, padded with spaces. */
export function shareBar(share: number, width: number): string {
  const eighths = Math.round(Math.min(Math.max(share, 0), 1) * width * 8);
  const bar = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
  return bar.padEnd(width, ' ');
}

/** `3,960 kB Disk` / `27 kB Memory`: a sort's space as EXPLAIN's text format puts it. */
function sortSpace(method: string | undefined, kb: number | undefined, type: string | undefined): string {
  return `${method ?? 'sort'}${kb === undefined ? '' : `, ${type ?? ''} ${formatInt(kb)} kB`}`;
}

/** `9 batches, peak memory 257 kB, disk 3,528 kB`. */
function hashAggPhrase(a: ProcessHashAgg): string {
  const parts: string[] = [];
  if (a.batches !== undefined) parts.push(`${formatInt(a.batches)} batch${a.batches === 1 ? '' : 'es'}`);
  if (a.peakMemoryKb !== undefined) parts.push(`peak memory ${formatInt(a.peakMemoryKb)} kB`);
  parts.push(`disk ${formatInt(a.diskKb)} kB`);
  return parts.join(', ');
}

/**
 * The keys, sort, hash, hash-aggregate, worker and heap-fetch details of a node, one phrase per
 * kind. A parallel node's sort and hash-aggregate figures are given per process (the node's own
 * are the leader's), with the disk they used added up.
 */
export function nodeDetails(node: PlanNode): string[] {
  const details: string[] = [];
  if (node.groupKey?.length) details.push(`group key ${node.groupKey.join(', ')}`);
  if (node.sortKey?.length) {
    const presorted = node.presortedKey?.length ? ` (presorted ${node.presortedKey.join(', ')})` : '';
    details.push(`sort key ${node.sortKey.join(', ')}${presorted}`);
  }
  const sorts = sortsByProcess(node);
  if (sorts.length > 0) {
    if (node.workers.length === 0) {
      details.push(`sort ${sortSpace(sorts[0]!.method, sorts[0]!.spaceKb, sorts[0]!.spaceType)}`);
    } else {
      const each = sorts.map((s) => `${processName(s.worker)} ${sortSpace(s.method, s.spaceKb, s.spaceType)}`);
      const disk = sorts.filter((s) => s.spilled).reduce((sum, s) => sum + (s.spaceKb ?? 0), 0);
      details.push(`sort ${each.join(' · ')}${disk > 0 ? ` · ${formatInt(disk)} kB on disk in total` : ''}`);
    }
  }
  if (node.hashBatches !== undefined || node.hashBuckets !== undefined) {
    const planned = (now: number | undefined, then: number | undefined) => (then !== undefined && then !== now ? ` (planned ${formatInt(then)})` : '');
    const parts: string[] = [];
    if (node.hashBuckets !== undefined) parts.push(`buckets ${formatInt(node.hashBuckets)}${planned(node.hashBuckets, node.originalHashBuckets)}`);
    if (node.hashBatches !== undefined) parts.push(`batches ${formatInt(node.hashBatches)}${planned(node.hashBatches, node.originalHashBatches)}`);
    if (node.peakMemoryKb !== undefined) parts.push(`peak memory ${formatInt(node.peakMemoryKb)} kB`);
    details.push(`hash ${parts.join(', ')}`);
  }
  const aggs = hashAggsByProcess(node);
  if (aggs.length > 0) {
    const partitions = node.plannedPartitions ? ` · planned partitions ${formatInt(node.plannedPartitions)}` : '';
    if (node.workers.length === 0) {
      details.push(`hashagg ${hashAggPhrase(aggs[0]!)}${partitions}`);
    } else {
      const disk = aggs.reduce((sum, a) => sum + a.diskKb, 0);
      details.push(
        `hashagg ${aggs.map((a) => `${processName(a.worker)} ${hashAggPhrase(a)}`).join(' · ')}${partitions}` +
          `${disk > 0 ? ` · ${formatInt(disk)} kB on disk in total` : ''}`,
      );
    }
  }
  if (node.workersPlanned !== undefined) {
    details.push(`workers ${node.workersLaunched ?? 0} of ${node.workersPlanned} launched`);
  }
  if (node.heapFetches !== undefined) details.push(`heap fetches ${formatInt(node.heapFetches)}`);
  return details;
}

/** `removed 9,550,008 (397,917/loop)`: totals over the loops, with EXPLAIN's per-loop figure when they differ. */
function removed(total: number, loops: number): string {
  return `removed ${formatInt(total)}${loops > 1 ? ` (${formatInt(total / loops)}/loop)` : ''}`;
}

/** Conditions and what they removed, over all loops: `filter (…) removed 99,000`. */
export function nodeConditions(node: PlanNode): string[] {
  const lines: string[] = [];
  if (node.indexCond) lines.push(`index cond ${node.indexCond}`);
  if (node.recheckCond) {
    const recheck = node.rowsRemovedByIndexRecheck > 0 ? ` ${removed(node.rowsRemovedByIndexRecheck, node.loops)}` : '';
    lines.push(`recheck cond ${node.recheckCond}${recheck}`);
  }
  if (node.hashCond) lines.push(`hash cond ${node.hashCond}`);
  if (node.joinFilter) lines.push(`join filter ${node.joinFilter} ${removed(node.rowsRemovedByJoinFilter, node.loops)}`);
  if (node.filter) lines.push(`filter ${node.filter} ${removed(node.rowsRemovedByFilter, node.loops)}`);
  return lines;
}

/**
 * The estimate next to the rows: `1.02x under`, or, when a node above stopped reading this one and
 * it returned fewer rows than estimated, why the two cannot be compared.
 */
export function estimateNote(node: PlanNode): string {
  if (node.stoppedEarly && node.misestimate?.direction === 'over') return `cut short, not a misestimate: ${node.stoppedEarly.reason}`;
  return formatMisestimate(node.misestimate);
}

/** Rows over all loops: EXPLAIN prints a per-loop average. */
export function totalRows(node: PlanNode): number {
  return node.actualRows * node.loops;
}

/**
 * How the time of CTEs and InitPlans was counted, one sentence each: EXPLAIN hangs them under a
 * node they did not run in, so without this a reader adds them up twice.
 */
export function attributionLines(plan: ParsedPlan): string[] {
  const ref = (id: number) => `#${id} ${plan.nodes[id]!.label}`;
  return plan.attributions.map((a) => {
    const head = `${a.name} (#${a.nodeId}, ${formatMs(a.inclusiveTimeMs)})`;
    const scans = a.takenFrom.filter((t) => t.nodeId !== a.ownerId);
    const owner = a.takenFrom.find((t) => t.nodeId === a.ownerId);
    if (a.kind === 'initplan') {
      return `${head} hangs under #${a.ownerId} but ran inside ${ref(scans[0]!.nodeId)}, which uses its value: ${formatMs(scans[0]!.timeMs)} taken off #${scans[0]!.nodeId}, not off #${a.ownerId}.`;
    }
    const parts: string[] = [];
    if (scans.length > 0) {
      const them = scans.length === 1 ? 'the scan that pulled its rows' : 'the scans that pulled its rows';
      parts.push(`taken off ${scans.map((t) => `${ref(t.nodeId)} (${formatMs(t.timeMs)})`).join(' and ')}, ${them}`);
    }
    if (owner) parts.push(`${formatMs(owner.timeMs)} no scan accounts for, taken off its owner #${a.ownerId}`);
    if (a.afterRootMs > 0) {
      parts.push(
        `the other ${formatMs(a.afterRootMs)} ran after the main query had finished (PostgreSQL completes a data-modifying CTE at the end of the statement): ` +
          `inside the execution time, outside #${plan.root.id}'s total`,
      );
    }
    if (parts.length === 0) return `${head} runs inside the CTE Scans that read it; none took any time.`;
    return `${head} runs inside the CTE Scans that read it, so its time is counted once: ${parts.join('; ')}.`;
  });
}

/** `[CTE cheap] `, `[InitPlan 1 (returns $0)] ` for subplans, as EXPLAIN names them; empty otherwise. */
export function subplanTag(node: PlanNode): string {
  return node.subplanName ? `[${node.subplanName}] ` : '';
}
