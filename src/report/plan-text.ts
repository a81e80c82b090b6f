/**
 * Reporter: the terminal view of a plan and of a before/after comparison. A left column of bars
 * shows where the time went (each node's own time as a share of execution), so the eye finds the
 * slow node before reading any figure; the tree carries the details. Colour comes from the caller's
 * chalk instance: without one (or at level 0) the output is plain text, which the golden files pin.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { ParsedPlan, PlanBuffers, PlanIoTiming, PlanNode } from '../plan/plan.js';
import { describeScan } from '../plan/plan.js';
import type { PlanDiff } from '../plan/plan-diff.js';
import type { PlanWarning, WarningSeverity } from '../plan/plan-warnings.js';
import {
  attributionLines,
  estimateNote,
  formatChange,
  formatInt,
  formatMs,
  formatShare,
  formatSpeedup,
  nodeConditions,
  nodeDetails,
  nodeShare,
  shareBar,
  subplanTag,
  totalRows,
} from './plan-format.js';

/** Rendering options. */
export interface PlanTextOptions {
  /** Colours, e.g. `new Chalk({ level: 3 })`; default: none. */
  chalk?: ChalkInstance;
  /** Cells in the time bar (default 10). */
  barWidth?: number;
}

const PLAIN = new Chalk({ level: 0 });

function severityStyle(chalk: ChalkInstance, severity: WarningSeverity): (text: string) => string {
  return severity === 'critical' ? chalk.red.bold : severity === 'warning' ? chalk.yellow : chalk.cyan;
}

/** Bars turn yellow and red at pev2's slow-node thresholds, so colour and warnings agree. */
function barStyle(chalk: ChalkInstance, share: number): (text: string) => string {
  return share > 0.9 ? chalk.red : share > 0.4 ? chalk.yellow : share > 0.1 ? chalk.white : chalk.gray;
}

/** Planning, execution, JIT, triggers, serialization: the lines above the tree. */
function header(plan: ParsedPlan, chalk: ChalkInstance): string[] {
  const parts: string[] = [];
  if (plan.executionTimeMs !== undefined) parts.push(`${chalk.bold('Execution')} ${formatMs(plan.executionTimeMs)}`);
  if (plan.planningTimeMs !== undefined) parts.push(`${chalk.bold('Planning')} ${formatMs(plan.planningTimeMs)}`);
  if (plan.jit) parts.push(`${chalk.bold('JIT')} ${formatMs(plan.jit.totalMs)} (${plan.jit.functions} functions)`);
  if (plan.serialization?.timeMs !== undefined) parts.push(`${chalk.bold('Serialization')} ${formatMs(plan.serialization.timeMs)}`);
  for (const trigger of plan.triggers) {
    parts.push(`${chalk.bold('Trigger')} ${trigger.name} ${formatMs(trigger.timeMs)} (${trigger.calls} calls)`);
  }
  const lines = [parts.join(' · ')];
  if (plan.hasBuffers) {
    lines.push(`Buffers shared hit ${formatInt(plan.root.buffers.sharedHit)} read ${formatInt(plan.root.buffers.sharedRead)}` +
      (plan.planningBuffers ? ` · planning hit ${formatInt(plan.planningBuffers.sharedHit)} read ${formatInt(plan.planningBuffers.sharedRead)}` : ''));
  }
  return lines;
}

/**
 * `rows 1,000 (est 977, 1.02x under) · loops 1`; over several loops EXPLAIN's per-loop average, the
 * loops and the total: `rows 2,083/loop × 24 loops = 49,992 (est 2,083/loop, exact)`.
 */
function rowsLine(node: PlanNode): string {
  if (node.loops <= 1) {
    return `rows ${formatInt(node.actualRows)} (est ${formatInt(node.estimatedRows)}, ${estimateNote(node)}) · loops ${formatInt(node.loops)}`;
  }
  return (
    `rows ${formatInt(node.actualRows)}/loop × ${formatInt(node.loops)} loops = ${formatInt(totalRows(node))} ` +
    `(est ${formatInt(node.estimatedRows)}/loop, ${estimateNote(node)})`
  );
}

function bufferParts(b: PlanBuffers, io: PlanIoTiming): string {
  const parts = [`hit ${formatInt(b.sharedHit)} read ${formatInt(b.sharedRead)}`];
  if (b.sharedDirtied || b.sharedWritten) parts.push(`dirtied ${formatInt(b.sharedDirtied)} written ${formatInt(b.sharedWritten)}`);
  if (b.localHit || b.localRead) parts.push(`local hit ${formatInt(b.localHit)} read ${formatInt(b.localRead)}`);
  if (b.tempRead || b.tempWritten) parts.push(`temp read ${formatInt(b.tempRead)} written ${formatInt(b.tempWritten)}`);
  if (io.readMs || io.writeMs) parts.push(`I/O read ${formatMs(io.readMs)} write ${formatMs(io.writeMs)}`);
  if (io.tempReadMs || io.tempWriteMs) parts.push(`temp I/O read ${formatMs(io.tempReadMs)} write ${formatMs(io.tempWriteMs)}`);
  return parts.join(' · ');
}

/**
 * Buffers as PostgreSQL counts them (the node and everything below it) and, for a node with
 * children, the node's own share: the figures a DBA compares with EXPLAIN's, and the ones that say
 * which node read the pages.
 */
function buffersLines(node: PlanNode): string[] {
  if (node.childIds.length === 0) return [`buffers ${bufferParts(node.buffers, node.io)}`];
  return [`buffers with children ${bufferParts(node.buffers, node.io)}`, `buffers own ${bufferParts(node.exclusiveBuffers, node.exclusiveIo)}`];
}

/** Renders the plan tree, its header and the warnings after it. Ends with a newline. */
export function renderPlanText(plan: ParsedPlan, warnings: PlanWarning[] = [], options: PlanTextOptions = {}): string {
  const chalk = options.chalk ?? PLAIN;
  const width = options.barWidth ?? 10;
  const gutter = ' '.repeat(width + 8);
  const lines = [...header(plan, chalk), ''];

  const visit = (node: PlanNode, prefix: string, isLast: boolean, isRoot: boolean): void => {
    const share = nodeShare(plan, node);
    const left = node.neverExecuted
      ? gutter
      : `${formatShare(share).padStart(6)} ${barStyle(chalk, share)(shareBar(share, width))} `;
    const branch = isRoot ? '' : isLast ? '└─ ' : '├─ ';
    const times = node.neverExecuted
      ? chalk.dim('never executed')
      : `${formatMs(node.exclusiveTimeMs)} self · ${formatMs(node.inclusiveTimeMs)} total`;
    lines.push(`${left}${prefix}${branch}${chalk.dim(subplanTag(node))}${chalk.bold(describeScan(plan, node))}  ${times}`);

    const childPrefix = isRoot ? '' : prefix + (isLast ? '   ' : '│  ');
    const detailPrefix = gutter + childPrefix + (node.childIds.length > 0 ? '│  ' : '   ');
    const details = node.neverExecuted ? [] : [rowsLine(node)];
    if (plan.hasBuffers && !node.neverExecuted) details.push(...buffersLines(node));
    details.push(...nodeConditions(node), ...nodeDetails(node));
    for (const detail of details) lines.push(chalk.dim(detailPrefix) + detail);

    node.childIds.forEach((id, i) => visit(plan.nodes[id]!, childPrefix, i === node.childIds.length - 1, false));
  };
  visit(plan.root, '', true, true);

  const attributions = attributionLines(plan);
  if (attributions.length > 0) lines.push('', chalk.bold('Time of CTEs and InitPlans'), ...attributions.map((line) => `  ${line}`));
  lines.push(...warningLines(warnings, chalk));
  return lines.map((line) => line.trimEnd()).join('\n') + '\n';
}

function warningLines(warnings: PlanWarning[], chalk: ChalkInstance): string[] {
  if (warnings.length === 0) return ['', 'No warnings.'];
  const lines = ['', chalk.bold(`Warnings (${warnings.length})`)];
  for (const w of warnings) {
    lines.push(`  ${severityStyle(chalk, w.severity)(w.severity.toUpperCase().padEnd(8))} #${w.nodeId} ${w.message}`);
    lines.push(`  ${' '.repeat(8)} → ${w.suggestion}`);
  }
  return lines;
}

/** Renders a before/after comparison. Ends with a newline. */
export function renderPlanDiffText(diff: PlanDiff, options: Pick<PlanTextOptions, 'chalk'> = {}): string {
  const chalk = options.chalk ?? PLAIN;
  const { before, after } = diff.executionTime;
  const runs =
    diff.runs.before === 1 && diff.runs.after === 1
      ? 'one run each'
      : `median of ${diff.runs.before} run${diff.runs.before === 1 ? '' : 's'} before, ${diff.runs.after} after`;
  const rows: [string, string, string, string][] = [
    ['', 'before', 'after', 'change'],
    ['Execution time', formatMs(before.medianMs), formatMs(after.medianMs), formatSpeedup(diff.speedup)],
    ['Shared buffers', formatInt(diff.sharedBlocks.before), formatInt(diff.sharedBlocks.after), formatChange(diff.sharedBlocks.before, diff.sharedBlocks.after)],
    ['Rows removed by filter', formatInt(diff.rowsRemovedByFilter.before), formatInt(diff.rowsRemovedByFilter.after), formatChange(diff.rowsRemovedByFilter.before, diff.rowsRemovedByFilter.after)],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = [chalk.bold(`Before / after (${runs})`), ''];
  for (const row of rows) {
    lines.push(`  ${row[0].padEnd(widths[0]!)}  ${row[1].padStart(widths[1]!)}  ${row[2].padStart(widths[2]!)}  ${row[3]}`);
  }
  if (diff.runs.before > 1 || diff.runs.after > 1) {
    lines.push(`  runs before ${before.runsMs.map(formatMs).join(', ')}`);
    lines.push(`  runs after  ${after.runsMs.map(formatMs).join(', ')}`);
    if (diff.pairedSpeedup !== null) lines.push(`  median of run-by-run speed-ups: ${formatSpeedup(diff.pairedSpeedup)}`);
  }
  lines.push('', chalk.bold('Swapped nodes'));
  if (diff.swaps.length === 0) lines.push('  none: every relation is read the same way');
  for (const swap of diff.swaps) lines.push(`  ${swap.before!.description} -> ${chalk.green(swap.after!.description)}`);
  lines.push('', chalk.bold('Nodes'));
  for (const match of diff.nodes) {
    if (match.before && match.after) {
      const mark = match.changed ? '~' : '=';
      const what = match.changed ? `${match.before.description} -> ${match.after.description}` : match.before.description;
      lines.push(`  ${mark} ${what}  ${formatMs(match.before.inclusiveTimeMs)} -> ${formatMs(match.after.inclusiveTimeMs)}`);
    } else if (match.before) {
      lines.push(`  - ${match.before.description}  ${formatMs(match.before.inclusiveTimeMs)} (only before)`);
    } else {
      lines.push(`  + ${match.after!.description}  ${formatMs(match.after!.inclusiveTimeMs)} (only after)`);
    }
  }
  return lines.map((line) => line.trimEnd()).join('\n') + '\n';
}
