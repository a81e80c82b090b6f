/**
 * Reporter: `perfbench explain --advise` as text, Markdown or JSON — what was measured and how,
 * every candidate best first with its measured plan change, time and buffers, the candidates left
 * out and why, and the verdict: the winner with the command that builds it, or "no index helps".
 * Pure: the result in, strings out. The candidate index's temporary name is shown as "the
 * candidate" in text and Markdown (it never existed outside the transaction); JSON keeps it.
 */
import type { ChalkInstance } from 'chalk';
import { NOISE, pgSizeText, type AdviseResult, type CandidateOutcome } from '../plan/index-advice.js';
import type { CandidateReason } from '../plan/index-candidates.js';
import { sharedBlocks } from '../plan/plan.js';
import { describeSource } from './explain-output.js';
import { formatInt } from './format.js';

/** The JSON of `explain --advise`. Keys are always present (null rather than missing). */
export interface ExplainAdviseJson {
  schemaVersion: 1;
  kind: 'perfbench.explain-advise';
  source: AdviseResult['source'];
  statements: AdviseResult['statements'];
  measurement: {
    mode: AdviseResult['measurement'];
    runsPerSide: number;
    timeoutMs: number;
    /** The rule a gain must pass to be recommended. */
    noise: { minGainShare: number; minSuperiority: number };
    rolledBack: true;
    indexesUnchanged: true;
    /** The statement as it is: every candidate's "before" runs pooled; gainMs and speedup are against its median. */
    baseline: { runs: number; medianMs: number; minMs: number; maxMs: number } | null;
  };
  /** Run 0 of each statement (the plan candidates were read from; not counted). */
  baseline: { executionTimeMs: number; sharedBlocks: number }[];
  candidates: {
    rank: number;
    table: string;
    columns: { name: string; descending: boolean; nullsFirst: boolean | null }[];
    description: string;
    createIndex: string;
    reasons: CandidateReason[];
    state: 'measured' | 'failed';
    /** The temporary name it had inside the transaction. */
    indexName: string | null;
    buildMs: number | null;
    indexBytes: number | null;
    /** `before`: this candidate's own "before" runs, interleaved with its "after" runs (the noise test reads these pairs). */
    executionTimeMs: { before: { runsMs: number[]; medianMs: number }; after: { runsMs: number[]; medianMs: number } } | null;
    /** Against measurement.baseline: what the ranking reads. */
    gainMs: number | null;
    speedup: number | null;
    /** (own before - after) / own before, by medians. */
    pairedGainShare: number | null;
    /** Share of (before, after) run pairs with "after" faster (Vargha-Delaney A). */
    superiority: number | null;
    beyondNoise: boolean | null;
    sharedBlocks: { before: number; after: number } | null;
    /** Scans that read through it in every "after" run. */
    usesIndex: string[];
    scanChanges: string[];
    /** Nodes that changed, per statement: before and after descriptions (null when on one side only). */
    nodeChanges: { statement: number; before: string | null; after: string | null }[];
    /** Per statement, in the order of `statements`: the medians of its own runs without and with the candidate. */
    perStatement: { beforeMedianMs: number; afterMedianMs: number }[];
    failure: { stage: 'build' | 'run'; message: string } | null;
  }[];
  covered: { description: string; by: string }[];
  skipped: { description: string; reason: string }[];
  tables: AdviseResult['tables'];
  verdict: AdviseResult['verdict'];
  winner: { rank: number; description: string; command: { kind: 'index-add' | 'create-index'; text: string; why: string | null } } | null;
  notes: string[];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const ms3 = (value: number) => round(value, 3);

export function explainAdviseJson(result: AdviseResult): ExplainAdviseJson {
  const rankOf = (outcome: CandidateOutcome) => result.outcomes.indexOf(outcome) + 1;
  return {
    schemaVersion: 1,
    kind: 'perfbench.explain-advise',
    source: result.source,
    statements: result.statements,
    measurement: {
      mode: result.measurement,
      runsPerSide: result.runs,
      timeoutMs: result.timeoutMs,
      noise: { ...NOISE },
      rolledBack: true,
      indexesUnchanged: result.indexesUnchanged,
      baseline: result.baseline === null ? null : {
        runs: result.baseline.runsMs.length, medianMs: ms3(result.baseline.medianMs), minMs: ms3(result.baseline.minMs), maxMs: ms3(result.baseline.maxMs),
      },
    },
    baseline: result.baselinePlans.map((plan) => ({ executionTimeMs: ms3(plan.totalTimeMs), sharedBlocks: sharedBlocks(plan.root.buffers) })),
    candidates: result.outcomes.map((outcome, i) => {
      const c = outcome.candidate;
      const base = {
        rank: i + 1,
        table: c.table.text,
        columns: c.columns.map((col) => ({ name: col.name, descending: Boolean(col.descending), nullsFirst: col.nullsFirst ?? null })),
        description: c.description,
        createIndex: c.createIndex,
        reasons: c.reasons,
      };
      if (outcome.state === 'failed') {
        return {
          ...base, state: 'failed' as const, indexName: null, buildMs: null, indexBytes: null, executionTimeMs: null, gainMs: null, speedup: null,
          pairedGainShare: null, superiority: null, beyondNoise: null, sharedBlocks: null, usesIndex: [], scanChanges: [], nodeChanges: [], perStatement: [],
          failure: { stage: outcome.stage, message: outcome.message },
        };
      }
      const e = outcome.effect;
      return {
        ...base,
        state: 'measured' as const,
        indexName: outcome.indexName,
        buildMs: ms3(outcome.buildMs),
        indexBytes: outcome.indexBytes,
        executionTimeMs: {
          before: { runsMs: e.before.runsMs.map(ms3), medianMs: ms3(e.before.medianMs) },
          after: { runsMs: e.after.runsMs.map(ms3), medianMs: ms3(e.after.medianMs) },
        },
        gainMs: ms3(e.gainMs),
        speedup: e.speedup === null ? null : round(e.speedup, 2),
        pairedGainShare: round(e.pairedGainShare, 4),
        superiority: round(e.superiority, 3),
        beyondNoise: e.beyondNoise,
        sharedBlocks: e.sharedBlocks,
        usesIndex: e.usesIndex,
        scanChanges: e.scanChanges,
        nodeChanges: e.diffs.flatMap((diff, statement) => diff.nodes.filter((n) => n.changed).map((n) => ({
          statement, before: n.before?.description ?? null, after: n.after?.description ?? null,
        }))),
        perStatement: e.perStatement.map((p) => ({ beforeMedianMs: ms3(p.beforeMedianMs), afterMedianMs: ms3(p.afterMedianMs) })),
        failure: null,
      };
    }),
    covered: result.covered.map((c) => ({ description: c.description, by: c.by })),
    skipped: result.skipped,
    tables: result.tables,
    verdict: result.verdict,
    winner: result.winner && result.command
      ? { rank: rankOf(result.winner), description: result.winner.candidate.description, command: { kind: result.command.kind, text: result.command.text, why: result.command.why ?? null } }
      : null,
    notes: result.notes,
  };
}

function msText(value: number): string {
  return `${value.toFixed(3)} ms`;
}

function speedupText(speedup: number | null): string {
  if (speedup === null) return 'after took 0 ms';
  if (speedup >= 1) return `${speedup >= 100 ? Math.round(speedup) : speedup.toFixed(speedup >= 10 ? 1 : 2)}x faster`;
  return `${(1 / speedup).toFixed(2)}x slower`;
}

/** The candidate's temporary index name as the reader should see it. */
function hideName(text: string, indexName: string): string {
  return text.split(indexName).join('the candidate');
}

function reasonText(reason: CandidateReason): string {
  return `#${reason.nodeId} ${reason.node}: ${reason.detail}`;
}

function noiseText(outcome: CandidateOutcome & { state: 'measured' }): string {
  const e = outcome.effect;
  const n = e.before.runsMs.length * e.after.runsMs.length;
  const share = e.pairedGainShare >= 0 ? `${(e.pairedGainShare * 100).toFixed(1)}% below` : `${(-e.pairedGainShare * 100).toFixed(1)}% above`;
  const pairs = `median ${share} the ${e.before.runsMs.length} "before" run${e.before.runsMs.length === 1 ? '' : 's'} beside it; ` +
    `faster in ${formatPairs(e.superiority * n)} of ${n} run pairs`;
  return e.beyondNoise ? `beyond noise (${pairs})` : `within noise (${pairs}; needs ≥ ${NOISE.minGainShare * 100}% below and ${NOISE.minSuperiority * 100}% of pairs)`;
}

/** A pair count, where a tie counts half. */
function formatPairs(count: number): string {
  return Number.isInteger(count) ? String(count) : count.toFixed(1);
}

/** The shared baseline's median, or the candidate's own "before" when there is none. */
function baselineMs(result: AdviseResult, outcome: CandidateOutcome & { state: 'measured' }): number {
  return result.baseline?.medianMs ?? outcome.effect.before.medianMs;
}

function planChange(outcome: CandidateOutcome & { state: 'measured' }): string {
  const { effect, indexName } = outcome;
  if (effect.scanChanges.length > 0) return effect.scanChanges.map((change) => hideName(change, indexName)).join('; ');
  if (effect.usesIndex.length > 0) return `reads through the candidate: ${effect.usesIndex.map((s) => hideName(s, indexName)).join('; ')}`;
  return 'unchanged: the planner did not use the candidate';
}

function measurementLines(result: AdviseResult): string[] {
  const lines = [
    `Index advice, measured on this database: each candidate was built inside one transaction that was rolled back (statement_timeout ${result.timeoutMs} ms).`,
  ];
  if (result.verdict === 'no-candidates') return lines;
  lines.push(result.measurement === 'interleaved'
    ? `"Before" ran on a second connection, which cannot see the uncommitted index, alternating with "after" run by run: ${result.runs} run${result.runs === 1 ? '' : 's'} each, medians.`
    : `${sequentialReason(result)}: ` +
      `${result.runs} run${result.runs === 1 ? '' : 's'} before each build, then ${result.runs} with the index, each in a savepoint, medians.`);
  return lines;
}

/** Why "before" ran on the same connection: the statement (or which of several) writes or locks rows. */
function sequentialReason(result: AdviseResult): string {
  const writes = result.statements.some((s) => s.writes);
  const why = writes ? 'so "before" could not run beside the build (it would wait for its lock)' : 'so "before" could not run on a second connection (the two would wait for each other\'s row locks)';
  if (result.statements.length === 1) return `The statement ${writes ? 'writes' : 'locks rows'}, ${why}`;
  const lockers = result.statements.filter((s) => s.writes || s.locksRows).map((s) => s.label);
  return `${lockers.join(', ')} ${lockers.length === 1 ? (writes ? 'writes' : 'locks rows') : writes ? 'write' : 'lock rows'}, ${why}`;
}

/**
 * Several statements (a workload): each with its values and run 0, then the candidates best first
 * for it, by the medians of its own runs (the ranking above is by the total of all statements).
 */
function statementLines(result: AdviseResult): string[] {
  if (result.statements.length < 2) return [];
  const lines = ['Statements, measured together as one execution (each candidate is ranked above by their total):'];
  const skipped = result.source.workload?.skipped ?? [];
  result.statements.forEach((statement, s) => {
    const params = statement.params.map((value, i) => `$${i + 1} = ${value.length > 40 ? `${value.slice(0, 40)}…` : value}`).join(', ');
    const marks = [statement.writes ? 'writes: each run in a savepoint, rolled back' : '', statement.locksRows ? 'locks rows' : ''].filter(Boolean).join('; ');
    const run0 = result.baselinePlans[s] ? `, run 0 ${msText(result.baselinePlans[s]!.totalTimeMs)}` : '';
    lines.push(`${s + 1}. ${statement.label}: ${oneLine(statement.text)}${params ? ` with ${params}` : ''}${marks ? ` (${marks})` : ''}${run0}`);
    const measured = result.outcomes
      .filter((o): o is CandidateOutcome & { state: 'measured' } => o.state === 'measured')
      .map((o) => ({ o, p: o.effect.perStatement[s]! }))
      .filter(({ p }) => p !== undefined)
      .sort((a, b) => (b.p.beforeMedianMs - b.p.afterMedianMs) - (a.p.beforeMedianMs - a.p.afterMedianMs));
    for (const { o, p } of measured) {
      lines.push(`   ${o.candidate.description}: ${msText(p.beforeMedianMs)} -> ${msText(p.afterMedianMs)}, ${speedupText(p.afterMedianMs > 0 ? p.beforeMedianMs / p.afterMedianMs : null)}`);
    }
  });
  if (skipped.length > 0) {
    lines.push(`Left out: ${skipped.map((k) => `${k.statement} (line ${k.line})`).join(', ')}: transaction control (advise runs every statement in one transaction that is rolled back).`);
  }
  return [...lines, ''];
}

/** A statement on one line, shortened. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function baselineLines(result: AdviseResult): string[] {
  const plans = result.baselinePlans;
  const total = plans.reduce((sum, p) => sum + p.totalTimeMs, 0);
  const blocks = plans.reduce((sum, p) => sum + sharedBlocks(p.root.buffers), 0);
  const lines = [`Run 0 (the plan the candidates come from; it warmed the cache and is not counted): ${msText(total)}, ${formatInt(blocks)} shared blocks.`];
  if (result.baseline) {
    const b = result.baseline;
    const subject = result.statements.length === 1 ? 'the statement as it is' : `the ${result.statements.length} statements as they are, one run of each in total`;
    lines.push(`Baseline, ${subject}: ${msText(b.medianMs)} median of ${b.runsMs.length} "before" runs (${msText(b.minMs)} to ${msText(b.maxMs)}); speed-ups below are against it, and candidates are ranked by their median time.`);
  }
  return lines;
}

function verdictLines(result: AdviseResult): string[] {
  if (result.verdict === 'no-candidates') {
    return ['No candidate to measure: the plan has no filter, join, sort or group key a new B-tree could serve' +
      `${result.covered.length > 0 ? ' that an existing index does not already lead with' : ''}. Nothing was built.`];
  }
  if (result.winner && result.command) {
    const e = result.winner.effect;
    const lines = [
      `Recommended: ${result.winner.candidate.description}, ${speedupText(e.speedup)} (${msText(baselineMs(result, result.winner))} -> ${msText(e.after.medianMs)}; ` +
        `${formatInt(e.sharedBlocks.before)} -> ${formatInt(e.sharedBlocks.after)} shared blocks), ${noiseText(result.winner)}.`,
    ];
    if (result.command.why) lines.push(`(${result.command.why})`);
    lines.push(`  ${result.command.text}`);
    return lines;
  }
  const best = result.outcomes.find((o): o is CandidateOutcome & { state: 'measured' } => o.state === 'measured');
  if (!best) return ['No index helps: no candidate could be measured (see above). Nothing is recommended.'];
  const e = best.effect;
  const why = !e.beyondNoise ? noiseText(best) : 'the planner did not read through it in every run';
  return [`No index helps: the best candidate, ${best.candidate.description}, was ${speedupText(e.speedup)} (${msText(baselineMs(result, best))} -> ${msText(e.after.medianMs)}), ${why}. Nothing is recommended.`];
}

function footerLines(result: AdviseResult): string[] {
  const tables = result.tables.map((t) => t.table);
  const lines = [
    tables.length > 0
      ? `Rolled back: no candidate index was kept; the indexes of ${tables.join(', ')} are as before (checked).`
      : 'Rolled back: nothing was built.',
    `The ${result.statements.length === 1 ? 'statement' : 'statements'} ran only inside that transaction${result.statements.some((s) => s.writes) ? ': ' + (result.statements.length === 1 ? 'its' : 'their') + ' writes were undone (sequences still advance)' : ' (sequences still advance)'}.`,
    'Measured, not estimated: Dexter and HypoPG judge hypothetical indexes by planner costs; perfbench built each candidate and timed the statement with and without it.',
  ];
  return [...lines, ...result.notes.map((note) => `Note: ${note}`)];
}

/** Text: the candidates as numbered blocks. Colour only for the verdict, when chalk is given. */
export function renderAdviseText(result: AdviseResult, chalk?: ChalkInstance): string {
  const lines = [describeSource(result.source), ...measurementLines(result), ...baselineLines(result), '', ...statementLines(result)];
  if (result.outcomes.length > 0) lines.push('Candidates, best first:');
  result.outcomes.forEach((outcome, i) => {
    const c = outcome.candidate;
    if (outcome.state === 'failed') {
      lines.push(`${i + 1}. ${c.description}: not measured, ${outcome.message}`);
    } else {
      const e = outcome.effect;
      lines.push(`${i + 1}. ${c.description}: ${msText(baselineMs(result, outcome))} -> ${msText(e.after.medianMs)}, ${speedupText(e.speedup)}, ` +
        `${formatInt(e.sharedBlocks.before)} -> ${formatInt(e.sharedBlocks.after)} shared blocks, ${noiseText(outcome)}`);
      lines.push(`   plan: ${planChange(outcome)}`);
    }
    for (const reason of c.reasons) lines.push(`   why:  ${reasonText(reason)}`);
    lines.push(`   ${c.createIndex}${outcome.state === 'measured' ? `  (built in ${outcome.buildMs.toFixed(0)} ms, ${pgSizeText(outcome.indexBytes)})` : ''}`);
  });
  if (result.covered.length > 0) {
    lines.push('', `Already covered by an existing index: ${result.covered.map((c) => `${c.description} by ${c.by}`).join('; ')}.`);
  }
  if (result.skipped.length > 0) lines.push('', ...result.skipped.map((s) => `Skipped ${s.description}: ${s.reason}.`));
  const verdict = verdictLines(result);
  const paint = chalk ? (result.winner ? chalk.green : chalk.yellow) : (text: string) => text;
  lines.push('', paint(verdict[0]!), ...verdict.slice(1), '', ...footerLines(result));
  return lines.join('\n') + '\n';
}

/** Escapes a table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A code span that survives backticks inside. */
function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** Free text in a Markdown paragraph: characters that would start emphasis, code or HTML are escaped. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_<>[\]|]/g, (c) => `\\${c}`);
}

/** Markdown: a table of the candidates, their reasons, and the verdict with its command in a code block. */
export function renderAdviseMarkdown(result: AdviseResult): string {
  const lines = [`${escapeMarkdown(describeSource(result.source))}  `, ...[...measurementLines(result), ...baselineLines(result)].map((l) => `${escapeMarkdown(l)}  `), '',
    ...statementLines(result).map((l) => (l === '' ? l : `${escapeMarkdown(l)}  `))];
  if (result.outcomes.length > 0) {
    lines.push('| # | Index | Before | After | Speed-up | Shared blocks | Noise | Plan change |', '|--:|:--|--:|--:|--:|--:|:--|:--|');
    result.outcomes.forEach((outcome, i) => {
      const c = outcome.candidate;
      if (outcome.state === 'failed') {
        lines.push(`| ${i + 1} | ${cell(code(c.description))} | — | — | — | — | — | ${cell(`not measured: ${outcome.message}`)} |`);
        return;
      }
      const e = outcome.effect;
      lines.push(`| ${i + 1} | ${cell(code(c.description))} | ${baselineMs(result, outcome).toFixed(3)} ms | ${e.after.medianMs.toFixed(3)} ms | ${cell(speedupText(e.speedup))} | ` +
        `${formatInt(e.sharedBlocks.before)} → ${formatInt(e.sharedBlocks.after)} | ${e.beyondNoise ? 'beyond' : 'within'} | ${cell(planChange(outcome))} |`);
    });
    lines.push('', 'Why each candidate:', '');
    result.outcomes.forEach((outcome, i) => {
      lines.push(`${i + 1}. ${code(outcome.candidate.createIndex)}`);
      for (const reason of outcome.candidate.reasons) lines.push(`   - ${escapeMarkdown(reasonText(reason))}`);
    });
  }
  if (result.covered.length > 0) lines.push('', escapeMarkdown(`Already covered by an existing index: ${result.covered.map((c) => `${c.description} by ${c.by}`).join('; ')}.`));
  if (result.skipped.length > 0) lines.push('', ...result.skipped.map((s) => `- ${escapeMarkdown(`Skipped ${s.description}: ${s.reason}.`)}`));
  const verdict = verdictLines(result);
  lines.push('', `**${escapeMarkdown(verdict[0]!)}**`);
  if (result.command) {
    if (result.command.why) lines.push('', escapeMarkdown(`(${result.command.why})`));
    lines.push('', result.command.kind === 'index-add' ? '```sh' : '```sql', result.command.text, '```');
  }
  lines.push('', ...footerLines(result).map((line) => `${escapeMarkdown(line)}  `));
  return lines.join('\n').trimEnd() + '\n';
}

/** Renders `explain --advise` in a format. Ends with a newline. */
export function renderAdvise(result: AdviseResult, format: 'text' | 'json' | 'markdown', chalk?: ChalkInstance): string {
  if (format === 'json') return JSON.stringify(explainAdviseJson(result), null, 2) + '\n';
  if (format === 'markdown') return renderAdviseMarkdown(result);
  return renderAdviseText(result, chalk);
}
