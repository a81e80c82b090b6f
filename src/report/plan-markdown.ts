/**
 * Reporter: the Markdown view of a plan and of a before/after comparison, for pull requests and CI
 * job summaries: one table row per node (indentation shows the tree), then the warnings.
 */
import type { ParsedPlan, PlanNode } from '../plan/plan.js';
import { describeScan } from '../plan/plan.js';
import type { PlanDiff } from '../plan/plan-diff.js';
import type { PlanWarning } from '../plan/plan-warnings.js';
import {
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

function nodeRow(plan: ParsedPlan, node: PlanNode): string {
  const indent = '&nbsp;&nbsp;'.repeat(node.depth) + (node.depth > 0 ? '↳ ' : '');
  const name = `${indent}${cell(subplanTag(node))}${cell(describeScan(plan, node))}`;
  const notes = [...nodeConditions(node), ...nodeDetails(node)].map((n) => code(cell(n))).join('<br>');
  if (node.neverExecuted) {
    return `| ${node.id} | ${name} | never executed | | | | ${formatInt(node.estimatedRows)} | | 0 | | | | ${notes} |`;
  }
  const b = node.buffers;
  const removed = node.rowsRemovedByFilter + node.rowsRemovedByIndexRecheck + node.rowsRemovedByJoinFilter;
  return (
    `| ${node.id} | ${name} | ${ms(node.exclusiveTimeMs)} | ${ms(node.inclusiveTimeMs)} | ${formatShare(nodeShare(plan, node))} ` +
    `| ${formatInt(node.actualRows)} | ${formatInt(node.estimatedRows)} | ${formatMisestimate(node.misestimate)} | ${formatInt(node.loops)} ` +
    `| ${plan.hasBuffers ? formatInt(b.sharedHit) : ''} | ${plan.hasBuffers ? formatInt(b.sharedRead) : ''} | ${removed ? formatInt(removed) : ''} | ${notes} |`
  );
}

function warningList(warnings: PlanWarning[]): string[] {
  if (warnings.length === 0) return ['No warnings.'];
  return warnings.map((w) => `- **${w.severity}** (node ${w.nodeId}): ${cell(w.message)}  \n  → ${cell(w.suggestion)}`);
}

/**
 * Renders a plan as Markdown: a summary line, a node table (self and total ms, share of execution,
 * rows per loop vs the estimate, loops, shared buffers, rows removed, conditions) and the warnings.
 */
export function renderPlanMarkdown(plan: ParsedPlan, warnings: PlanWarning[] = []): string {
  const lines = [
    summaryLine(plan),
    '',
    '| # | Node | Self ms | Total ms | % of exec | Rows/loop | Est rows | Estimate | Loops | Hit | Read | Removed | Details |',
    '|--:|:--|--:|--:|--:|--:|--:|:--|--:|--:|--:|--:|:--|',
    ...plan.nodes.map((node) => nodeRow(plan, node)),
    '',
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
