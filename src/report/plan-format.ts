/**
 * Reporter (pure): number formatting shared by the plan renderers. Locale-free on purpose:
 * `toLocaleString` follows the machine's locale, which would make golden files and CI logs differ
 * between machines.
 */
import type { Misestimate, ParsedPlan, PlanNode } from '../plan/plan.js';
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

/** Sort, hash, workers and heap-fetch details of a node, as short phrases. */
export function nodeDetails(node: PlanNode): string[] {
  const details: string[] = [];
  if (node.sortMethod !== undefined) {
    const space = node.sortSpaceUsedKb === undefined ? '' : `, ${node.sortSpaceType ?? ''} ${formatInt(node.sortSpaceUsedKb)} kB`;
    const key = node.sortKey?.length ? `, key ${node.sortKey.join(', ')}` : '';
    details.push(`sort ${node.sortMethod}${space}${key}`);
  }
  if (node.hashBatches !== undefined) {
    const original =
      node.originalHashBatches !== undefined && node.originalHashBatches !== node.hashBatches
        ? ` (planned ${node.originalHashBatches})`
        : '';
    const memory = node.peakMemoryKb === undefined ? '' : `, peak ${formatInt(node.peakMemoryKb)} kB`;
    details.push(`hash ${node.hashBatches} batch${node.hashBatches === 1 ? '' : 'es'}${original}${memory}`);
  }
  if (node.workersPlanned !== undefined) {
    details.push(`workers ${node.workersLaunched ?? 0} of ${node.workersPlanned} launched`);
  }
  if (node.heapFetches !== undefined) details.push(`heap fetches ${formatInt(node.heapFetches)}`);
  return details;
}

/** Conditions and what they removed: `filter (…) removed 99,000`. */
export function nodeConditions(node: PlanNode): string[] {
  const lines: string[] = [];
  if (node.indexCond) lines.push(`index cond ${node.indexCond}`);
  if (node.recheckCond) {
    const removed = node.rowsRemovedByIndexRecheck > 0 ? ` removed ${formatInt(node.rowsRemovedByIndexRecheck)}` : '';
    lines.push(`recheck cond ${node.recheckCond}${removed}`);
  }
  if (node.hashCond) lines.push(`hash cond ${node.hashCond}`);
  if (node.joinFilter) lines.push(`join filter ${node.joinFilter} removed ${formatInt(node.rowsRemovedByJoinFilter)}`);
  if (node.filter) lines.push(`filter ${node.filter} removed ${formatInt(node.rowsRemovedByFilter)}`);
  return lines;
}

/** `[CTE cheap] `, `[InitPlan 1 (returns $0)] ` for subplans, as EXPLAIN names them; empty otherwise. */
export function subplanTag(node: PlanNode): string {
  return node.subplanName ? `[${node.subplanName}] ` : '';
}
