/**
 * Reporter: `perfbench explain` as text, Markdown or JSON — a header naming what was explained and
 * how it ran, the plan (or the before/after comparison) from the plan renderers, and a footer with
 * the writes the rollback undid and the index check. Pure: result objects in, strings out.
 */
import type { ChalkInstance } from 'chalk';
import type { BeforeMethod, ExplainCompareResult, ExplainResult, ExplainSource } from '../plan/explain.js';
import type { IndexCheck, WriteSummary } from '../plan/plan-inspection.js';
import { printable } from '../workload/identifiers.js';
import { explainCompareDocument, explainDocument, type ExplainCompareDocument, type ExplainDocument } from './plan-json.js';
import { renderPlanDiffMarkdown, renderPlanMarkdown } from './plan-markdown.js';
import { renderPlanDiffText, renderPlanText } from './plan-text.js';

/** The formats `explain` renders; the flag parser offers exactly these. */
export const EXPLAIN_FORMATS = ['text', 'json', 'markdown'] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];

/** The JSON of `explain`: the plan document plus where it came from and what the run did. */
export type ExplainJson = ExplainDocument & {
  source: ExplainSource;
  run: { rolledBack: boolean; timeoutMs: number | null; writes: WriteSummary[] };
  indexCheck: IndexCheck | null;
};

/** The JSON of `explain --compare`. */
export type ExplainCompareJson = ExplainCompareDocument & {
  source: ExplainSource;
  compare: {
    index: string;
    indexBuiltInTransaction: boolean;
    beforeMethods: BeforeMethod[];
    afterUsesIndex: boolean;
    timeoutMs: number;
    rolledBack: true;
    indexesUnchanged: true;
    notes: string[];
  };
};

/** `'cat-000'`, `'it''s'`: values shown as SQL literals so the header can be pasted. */
function literal(value: string): string {
  return `'${printable(value, 80).replace(/'/g, "''")}'`;
}

/** One line naming what was explained. */
export function describeSource(source: ExplainSource): string {
  switch (source.kind) {
    case 'report':
      return `Report query on ${source.table}(${source.column}) for ${source.column} = ${literal(source.category ?? '')}`;
    case 'file':
      return `Saved plan ${source.file}`;
    case 'workload': {
      const w = source.workload!;
      const scripts = w.scripts.map((s) => `${printable(s.name, 120)} (execution ${s.executionIndex})`).join(', ');
      const defines = Object.entries(w.defines).map(([name, value]) => ` -D ${name}=${printable(value, 40)}`).join('');
      return `Workload ${scripts}: its statements with the values bench binds (--seed ${w.seed}, :scale ${w.scale}${defines}, client 0)`;
    }
    case 'query': {
      const params = source.params.map((value, i) => `$${i + 1} = ${literal(value)}`).join(', ');
      const text = printable(source.query!.replace(/\s+/g, ' ').trim(), 160);
      return `Query: ${text}${params ? ` with ${params}` : ''}`;
    }
  }
}

function describeRun(result: ExplainResult): string {
  return result.rolledBack ? `Ran inside a transaction that was rolled back (statement_timeout ${result.timeoutMs} ms).` : 'Read from a file; nothing was run.';
}

/** "Is it using the index?" in one line. */
export function describeIndexCheck(check: IndexCheck): string {
  const on = `${check.table}(${check.column})`;
  if (check.indexes.length === 0) return `Index check: ${on} has no index.`;
  const names = check.indexes.join(', ');
  if (check.scan === null) return `Index check: ${on} has ${names}, but this plan never reads ${check.table}.`;
  return check.usesIndex
    ? `Index check: ${on} has ${names}; this plan uses it (${check.scan}).`
    : `Index check: ${on} has ${names}; this plan does NOT use it (${check.scan}).`;
}

/** One line per write the rollback undid. */
export function describeWrites(writes: WriteSummary[], rolledBack: boolean): string[] {
  return writes.map((w) => {
    const rows = `${w.rows.toLocaleString('en-US')} row${w.rows === 1 ? '' : 's'}`;
    return rolledBack
      ? `Writes rolled back: ${w.operation} on ${w.relation ?? '?'} touched ${rows}; the rollback undid it, nothing was changed.`
      : `Writes: ${w.operation} on ${w.relation ?? '?'} touched ${rows} when the plan was captured.`;
  });
}

function footer(result: ExplainResult): string[] {
  const lines = describeWrites(result.writes, result.rolledBack);
  if (result.indexCheck) lines.push(describeIndexCheck(result.indexCheck));
  return lines;
}

export function explainJson(result: ExplainResult): ExplainJson {
  return {
    ...explainDocument(result.plan, result.warnings),
    source: result.source,
    run: { rolledBack: result.rolledBack, timeoutMs: result.timeoutMs, writes: result.writes },
    indexCheck: result.indexCheck,
  };
}

/** Renders `explain` in a format; text is coloured with `chalk` (plain at level 0). Ends with a newline. */
export function renderExplain(result: ExplainResult, format: ExplainFormat, chalk?: ChalkInstance): string {
  if (format === 'json') return JSON.stringify(explainJson(result), null, 2) + '\n';
  const head = describeSource(result.source);
  const foot = footer(result);
  if (format === 'markdown') {
    const lines = [`${escapeMarkdown(head)}  `, `${describeRun(result)}`, '', renderPlanMarkdown(result.plan, result.warnings).trimEnd()];
    if (foot.length > 0) lines.push('', ...foot.map((line) => `${escapeMarkdown(line)}  `));
    return lines.join('\n').trimEnd() + '\n';
  }
  const lines = [head, describeRun(result), '', renderPlanText(result.plan, result.warnings, { chalk }).trimEnd()];
  if (foot.length > 0) lines.push('', ...foot);
  return lines.join('\n') + '\n';
}

function describeCompare(result: ExplainCompareResult): string[] {
  const on = `${result.source.table}(${result.source.column})`;
  const disabled = 'index scans disabled (SET LOCAL enable_indexscan, enable_bitmapscan, enable_indexonlyscan = off)';
  const before = result.beforeMethods[0] === 'no-index'
    ? `Before: no index on ${on}${result.beforeMethods.length > 1 ? `; runs 2-${result.beforeMethods.length} with ${disabled}` : ''}`
    : `Before: ${disabled}`;
  const after = `After:  ${result.index.builtInTransaction ? `index ${result.index.name}, built inside the transaction` : `existing index ${result.index.name}`}`;
  return [before, after];
}

function compareFooter(result: ExplainCompareResult): string[] {
  const rolledBack = result.index.builtInTransaction
    ? `Rolled back: ${result.index.name} is gone again; the indexes of ${result.source.table} are as before (checked).`
    : `Rolled back: the planner settings are restored; the indexes of ${result.source.table} are as before (checked).`;
  return [rolledBack, ...result.notes.map((note) => `Note: ${note}`)];
}

export function explainCompareJson(result: ExplainCompareResult): ExplainCompareJson {
  return {
    ...explainCompareDocument(result.diff),
    source: result.source,
    compare: {
      index: result.index.name,
      indexBuiltInTransaction: result.index.builtInTransaction,
      beforeMethods: result.beforeMethods,
      afterUsesIndex: result.afterUsesIndex,
      timeoutMs: result.timeoutMs,
      rolledBack: true,
      indexesUnchanged: result.indexesUnchanged,
      notes: result.notes,
    },
  };
}

/** Renders `explain --compare` in a format. Ends with a newline. */
export function renderExplainCompare(result: ExplainCompareResult, format: ExplainFormat, chalk?: ChalkInstance): string {
  if (format === 'json') return JSON.stringify(explainCompareJson(result), null, 2) + '\n';
  const head = [describeSource(result.source), ...describeCompare(result)];
  const foot = compareFooter(result);
  if (format === 'markdown') {
    return [...head.map((line) => `${escapeMarkdown(line)}  `), '', renderPlanDiffMarkdown(result.diff).trimEnd(), '', ...foot.map((line) => `${escapeMarkdown(line)}  `)]
      .join('\n').trimEnd() + '\n';
  }
  return [...head, '', renderPlanDiffText(result.diff, { chalk }).trimEnd(), '', ...foot].join('\n') + '\n';
}

/** Free text in a Markdown paragraph: characters that would start emphasis, code or HTML are escaped. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_<>[\]|]/g, (c) => `\\${c}`);
}

