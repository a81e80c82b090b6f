/**
 * Reporter: the Markdown view of a plan and of a before/after comparison, for pull requests and CI
 * job summaries: one table row per node (indentation shows the tree), then the warnings.
 */
import type { ParsedPlan, PlanBuffers, PlanNode } from '../plan/plan.js';
import { describeScan } from '../plan/plan.js';
import type { PlanDiff } from '../plan/plan-diff.js';
import type { PlanWarning } from '../plan/plan-warnings.js';
import {
  attributionLines,
  formatChange,
  formatInt,
  formatMisestimate,
  formatMs,
  formatShare,
  formatSpeedup,
  nodeConditions,
  nodeDetails,
  nodeShare,
  subplanTag,
  totalRows,
} from './plan-format.js';

/** Escapes text for a table cell: pipes would end the cell, newlines the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Wraps text in a code span that survives backticks inside it. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

function ms(value: number): string {
  return formatMs(value).replace(' ms', '');
}

function summaryLine(plan: ParsedPlan): string {
  const parts: string[] = [];
  if (plan.executionTimeMs !== undefined) parts.push(`**Execution** ${formatMs(plan.executionTimeMs)}`);
  if (plan.planningTimeMs !== undefined) parts.push(`**Planning** ${formatMs(plan.planningTimeMs)}`);
  if (plan.jit) parts.push(`**JIT** ${formatMs(plan.jit.totalMs)} (${plan.jit.functions} functions)`);
  if (plan.serialization?.timeMs !== undefined) parts.push(`**Serialization** ${formatMs(plan.serialization.timeMs)}`);
  for (const t of plan.triggers) parts.push(`**Trigger** ${cell(t.name)} ${formatMs(t.timeMs)} (${t.calls} calls)`);
  if (plan.hasBuffers) {
    parts.push(`**Buffers** hit ${formatInt(plan.root.buffers.sharedHit)} read ${formatInt(plan.root.buffers.sharedRead)}`);
  }
  return parts.join(' · ');
}

/** `1,034 / 0`: shared blocks hit / read. */
function hitRead(b: PlanBuffers): string {
  return `${formatInt(b.sharedHit)} / ${formatInt(b.sharedRead)}`;
}

/** The Estimate cell: the factor, or `cut short (#0)` when a node above stopped reading (the reason is in Details). */
function estimateCell(node: PlanNode): string {
  if (node.stoppedEarly && node.misestimate?.direction === 'over') return `cut short (#${node.stoppedEarly.byNodeId})`;
  return formatMisestimate(node.misestimate);
}

function nodeRow(plan: ParsedPlan, node: PlanNode): string {
  const indent = '&nbsp;&nbsp;'.repeat(node.depth) + (node.depth > 0 ? '↳ ' : '');
  const name = `${indent}${cell(subplanTag(node))}${cell(describeScan(plan, node))}`;
  const cut = node.stoppedEarly && node.misestimate?.direction === 'over' ? [`cut short, not a misestimate: ${node.stoppedEarly.reason}`] : [];
  const notes = [...nodeConditions(node), ...nodeDetails(node), ...cut].map((n) => code(cell(n))).join('<br>');
  if (node.neverExecuted) {
    return `| ${node.id} | ${name} | never executed | | | | 0 | | ${formatInt(node.estimatedRows)} | | | | | ${notes} |`;
  }
  const removed = node.rowsRemovedByFilter + node.rowsRemovedByIndexRecheck + node.rowsRemovedByJoinFilter;
  // A leaf's own buffers are its buffers: the second column is for nodes with children.
  const own = plan.hasBuffers && node.childIds.length > 0 ? hitRead(node.exclusiveBuffers) : '';
  return (
    `| ${node.id} | ${name} | ${ms(node.exclusiveTimeMs)} | ${ms(node.inclusiveTimeMs)} | ${formatShare(nodeShare(plan, node))} ` +
    `| ${formatInt(node.actualRows)} | ${formatInt(node.loops)} | ${formatInt(totalRows(node))} | ${formatInt(node.estimatedRows)} | ${estimateCell(node)} ` +
    `| ${plan.hasBuffers ? hitRead(node.buffers) : ''} | ${own} | ${removed ? formatInt(removed) : ''} | ${notes} |`
  );
}

function warningList(warnings: PlanWarning[]): string[] {
  if (warnings.length === 0) return ['No warnings.'];
  return warnings.map((w) => `- **${w.severity}** (node ${w.nodeId}): ${cell(w.message)}  \n  → ${cell(w.suggestion)}`);
}

/**
 * Renders a plan as Markdown: a summary line, a node table (self and total ms, share of execution,
 * rows per loop, loops and their product vs the estimate per loop, shared buffers hit / read as
 * PostgreSQL counts them (with the children) and the node's own, rows removed over all loops,
 * conditions, keys, sort/hash details per process), how CTE and InitPlan time was counted, and the
 * warnings.
 */
export function renderPlanMarkdown(plan: ParsedPlan, warnings: PlanWarning[] = []): string {
  const attributions = attributionLines(plan);
  const lines = [
    summaryLine(plan),
    '',
    '| # | Node | Self ms | Total ms | % of exec | Rows/loop | Loops | Rows total | Est rows/loop | Estimate | Hit / read (with children) | Own hit / read | Removed | Details |',
    '|--:|:--|--:|--:|--:|--:|--:|--:|--:|:--|--:|--:|--:|:--|',
    ...plan.nodes.map((node) => nodeRow(plan, node)),
    '',
    ...(attributions.length > 0 ? ['### Time of CTEs and InitPlans', '', ...attributions.map((line) => `- ${cell(line)}`), ''] : []),
    `### Warnings (${warnings.length})`,
    '',
    ...warningList(warnings),
  ];
  return lines.join('\n') + '\n';
}

/** Renders a before/after comparison as Markdown. */
export function renderPlanDiffMarkdown(diff: PlanDiff): string {
  const { before, after } = diff.executionTime;
  const runs = `${diff.runs.before} run${diff.runs.before === 1 ? '' : 's'} before, ${diff.runs.after} after; medians`;
  const lines = [
    `**Before / after** (${runs})`,
    '',
    '| | Before | After | Change |',
    '|:--|--:|--:|:--|',
    `| Execution time | ${formatMs(before.medianMs)} | ${formatMs(after.medianMs)} | ${formatSpeedup(diff.speedup)} |`,
    `| Shared buffers | ${formatInt(diff.sharedBlocks.before)} | ${formatInt(diff.sharedBlocks.after)} | ${formatChange(diff.sharedBlocks.before, diff.sharedBlocks.after)} |`,
    `| Rows removed by filter | ${formatInt(diff.rowsRemovedByFilter.before)} | ${formatInt(diff.rowsRemovedByFilter.after)} | ${formatChange(diff.rowsRemovedByFilter.before, diff.rowsRemovedByFilter.after)} |`,
  ];
  if (diff.pairedSpeedup !== null && diff.runs.before > 1) {
    lines.push(`| Median run-by-run speed-up | | | ${formatSpeedup(diff.pairedSpeedup)} |`);
  }
  lines.push('', '### Swapped nodes', '');
  if (diff.swaps.length === 0) lines.push('None: every relation is read the same way.');
  for (const swap of diff.swaps) lines.push(`- ${code(swap.before!.description)} → ${code(swap.after!.description)}`);
  lines.push('', '### Nodes', '', '| | Before | After | Before ms | After ms |', '|:-:|:--|:--|--:|--:|');
  for (const m of diff.nodes) {
    const mark = !m.before ? '+' : !m.after ? '−' : m.changed ? '~' : '=';
    lines.push(
      `| ${mark} | ${cell(m.before?.description ?? '')} | ${cell(m.after?.description ?? '')} ` +
        `| ${m.before ? ms(m.before.inclusiveTimeMs) : ''} | ${m.after ? ms(m.after.inclusiveTimeMs) : ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}
