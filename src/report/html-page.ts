/**
 * Reporter (pure): the HTML report — one self-contained file. Styles, the chart library (uPlot,
 * passed in as `HtmlAssets` by the caller, which reads it from the installed package) and the
 * page's script are inline; a Content-Security-Policy of `default-src 'none'` forbids the page
 * any request, so it opens the same from disk, a CI artifact or a phone.
 *
 * Tables, plan trees and the context are HTML rendered here; only the charts are drawn by script,
 * from the chart data embedded as JSON (html-data.ts). Every chart has its numbers in a table.
 */
import type { GateReport } from '../measure/gate.js';
import { foldTrials, runConcurrency, type BenchResult, type PathResult } from '../measure/result.js';
import type { PlanRecord, PlanRecordNode } from '../plan/plan-record.js';
import { MISESTIMATE_FACTOR } from '../plan/plan-warnings.js';
import { datasetLine, latencyKind, loopLagLines, overheadLine, pathWarnings, runLine, serverMeanUs } from './bench-format.js';
import { generatorsLine } from './bench-generators.js';
import {
  comparisonCharts, int, msCell, pageData, rateCell, runCharts, type ChartSpec, type HtmlReportInput, type HtmlRun, type Table,
} from './html-data.js';
import { PAGE_SCRIPT } from './html-script.js';
import { PAGE_STYLE } from './html-style.js';

export type { HtmlReportInput, HtmlRun } from './html-data.js';

/** The chart library's files, as the caller read them (minified JS and its CSS). */
export interface HtmlAssets {
  uplotJs: string;
  uplotCss: string;
  /** Its version, for the footer. */
  uplotVersion: string;
}

/** Text for an HTML element or attribute. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A script's text inside a <script> element (a literal `</script` would end it early). */
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

const NUMERIC = /^[-+<]?[\d,.]+( ?(x|%|ms|s))?$|^—$/;

function renderTable(t: Table, caption?: string): string {
  const head = t.columns.map((c, i) => `<th${i > 0 && t.rows.some((r) => NUMERIC.test(r[i] ?? '')) ? ' class="num"' : ''} scope="col">${esc(c)}</th>`).join('');
  const body = t.rows.map((row, r) => {
    const cls = t.rowClass?.[r];
    const cells = row.map((cell, i) => (i === 0 ? `<th scope="row">${esc(cell)}</th>` : `<td${NUMERIC.test(cell) ? ' class="num"' : ''}>${esc(cell)}</td>`)).join('');
    return `<tr${cls ? ` class="${esc(cls)}"` : ''}>${cells}</tr>`;
  }).join('\n');
  return `<div class="table-wrap"><table class="data">${caption ? `<caption class="sr">${esc(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A chart's card: title, how to read it, the drawing, and its numbers (open when short). */
function chartCard(chart: ChartSpec): string {
  const numbers = chart.table && chart.table.rows.length > 0
    ? `<details class="numbers"${chart.table.rows.length <= 10 ? ' open' : ''}><summary>Numbers (${chart.table.rows.length} row${chart.table.rows.length === 1 ? '' : 's'})</summary>${renderTable(chart.table, chart.title)}</details>`
    : '';
  const empty = chart.series.length === 0 ? '<p class="note">Nothing to draw: no pair had a successful operation on both sides.</p>' : '';
  return `<div class="card" id="${esc(chart.id)}">
<h3>${esc(chart.title)}</h3>
<p class="note">${esc(chart.note)}</p>
${chart.series.length > 0 ? `<div class="chart" data-chart="${esc(chart.id)}" data-kind="${esc(chart.kind)}" data-series="${chart.series.length}" role="img" aria-label="${esc(chart.title)}"></div>` : empty}
${numbers}
</div>`;
}

function section(id: string, title: string, lead: string, body: string): string {
  return `<section id="${esc(id)}">
<h2>${esc(title)}</h2>
${lead ? `<p class="lead">${esc(lead)}</p>` : ''}
${body}
</section>`;
}

const grid = (cards: string[]): string => `<div class="grid">\n${cards.join('\n')}\n</div>`;

/**
 * The folded paths (trials added) of a result, as the terminal table shows them; the percentiles
 * first, so a phone shows them before the table scrolls. The loop only when both were run.
 */
function summaryTable(result: BenchResult): string {
  const paths = foldTrials(result.paths);
  const open = paths.some((p) => p.mode === 'open');
  const mixed = open && paths.some((p) => p.mode === 'closed');
  const server = paths.some((p) => p.serverTiming);
  const columns = ['Path', ...(mixed ? ['Loop'] : []), 'Concurrency', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'p99.9 (ms)', 'Max (ms)', 'Mean (ms)', 'ops/s', 'Ops', 'Errors'];
  if (open) columns.push('p99 uncorrected (ms)', 'Schedule lag mean / max (ms)');
  if (server) columns.push('Server mean (ms)');
  const cell = (p: PathResult, us: number): string => (p.ops === 0 ? '—' : msCell(us));
  const rows = paths.map((p) => {
    const s = p.summary;
    const row = [p.name, ...(mixed ? [p.mode] : []), String(runConcurrency(p)), cell(p, s.p50Us), cell(p, s.p90Us), cell(p, s.p99Us),
      cell(p, s.p999Us), cell(p, s.maxUs), cell(p, s.meanUs), rateCell(p.throughputOpsPerSec), int(p.ops), int(p.errors)];
    if (open) {
      row.push(p.uncorrected && p.ops > 0 ? msCell(p.uncorrected.summary.p99Us) : '', p.scheduleLag ? `${msCell(p.scheduleLag.meanUs)} / ${msCell(p.scheduleLag.maxUs)}` : '');
    }
    if (server) {
      const us = serverMeanUs(p);
      row.push(us === undefined ? '' : msCell(us));
    }
    return row;
  });
  return renderTable({ columns, rows }, 'Latency of every path');
}

function warningList(lines: readonly string[], cls = ''): string {
  if (lines.length === 0) return '';
  return `<ul class="warnings">${lines.map((l) => `<li${cls ? ` class="${cls}"` : ''}>${esc(l)}</li>`).join('')}</ul>`;
}

const VERDICT_BADGE: Record<string, [string, string]> = {
  ok: ['ok', 'within the threshold'],
  regressed: ['bad', 'REGRESSED'],
  improved: ['ok', 'improved'],
  'no-baseline': ['', 'no baseline'],
  'no-data': ['warn', 'no data'],
  'plan-changed': ['warn', 'plan changed'],
};

function pct(n: number): string {
  return `${n > 0 ? '+' : ''}${n.toFixed(1)}%`;
}

/** The gate's verdict per path against the baseline. */
function gateBody(gate: GateReport, baselineLabel: string): string {
  const rows: string[][] = [];
  const rowClass: Array<string | undefined> = [];
  for (const v of gate.verdicts) {
    const word = VERDICT_BADGE[v.verdict]![1];
    if (v.checks.length === 0) {
      rows.push([v.path, String(v.concurrency), word, '', '', '', '']);
      rowClass.push(`verdict-${v.verdict}`);
      continue;
    }
    for (const c of v.checks) {
      rows.push([v.path, String(v.concurrency), `${word}${v.checks.length > 1 ? ` (p${c.percentile}: ${c.verdict})` : ''}`, `p${c.percentile}`,
        `${msCell(c.baselineUs)} → ${msCell(c.currentUs)}`, pct(c.changePct), `${pct(c.lowPct)} … ${pct(c.highPct)}`]);
      rowClass.push(`verdict-${v.verdict}`);
    }
  }
  const table = renderTable({ columns: ['Path', 'Concurrency', 'Verdict', 'Percentile', 'Baseline → current (ms)', 'Change', 'Slow-down interval'], rows, rowClass }, 'Gate verdicts');
  return `<div class="card">
<p class="note">Against <strong>${esc(baselineLabel)}</strong>: ${esc(gate.rule)}.</p>
${table}
${warningList(gate.warnings)}
</div>`;
}

function gateBadge(gate: GateReport | undefined): string {
  if (!gate) return '';
  const [cls, word] = gate.tripped ? VERDICT_BADGE['regressed']! : gate.verdicts.some((v) => v.verdict === 'improved') ? VERDICT_BADGE['improved']! : VERDICT_BADGE['ok']!;
  return `<span class="badge ${cls}">gate: ${esc(word)}</span>`;
}

// ---------------------------------------------------------------------------------------------
// Plans

function share(node: PlanRecordNode, plan: PlanRecord): number {
  return plan.totalTimeMs > 0 ? Math.min(1, node.exclusiveMs / plan.totalTimeMs) : 0;
}

function ms(value: number): string {
  return value >= 100 ? `${int(value)} ms` : `${value.toFixed(value >= 10 ? 1 : value >= 1 ? 2 : 3)} ms`;
}

function renderNode(plan: PlanRecord, node: PlanRecordNode, children: Map<number, PlanRecordNode[]>): string {
  const warnings = plan.warnings.filter((w) => w.nodeId === node.id);
  const severity = warnings.some((w) => w.severity === 'critical') ? 'critical' : warnings.some((w) => w.severity === 'warning') ? 'warning' : '';
  const s = share(node, plan);
  const facts: string[] = [];
  if (node.neverExecuted) facts.push('<span>never executed</span>');
  else {
    facts.push(`<span>rows ${int(node.rows)}${node.loops > 1 ? ` × ${int(node.loops)} loops` : ''} · estimated ${int(node.estimatedRows)}</span>`);
    const m = node.misestimate;
    if (m && m.direction !== 'exact') {
      const text = node.cutShort && m.direction === 'over' ? `cut short (not a misestimate)` : `${m.factor >= 100 ? int(m.factor) : m.factor.toFixed(2)}x ${m.direction}`;
      facts.push(`<span${m.factor >= MISESTIMATE_FACTOR && !node.cutShort ? ' class="mis"' : ''}>${esc(text)}</span>`);
    }
  }
  const b = node.buffers;
  if (plan.hasBuffers && (b.sharedHit || b.sharedRead || b.tempRead || b.tempWritten)) {
    const parts = [`hit ${int(b.sharedHit)}`, `read ${int(b.sharedRead)}`];
    if (b.tempRead || b.tempWritten) parts.push(`temp ${int(b.tempRead)} / ${int(b.tempWritten)}`);
    facts.push(`<span>buffers ${parts.join(' · ')}</span>`);
  }
  const details = node.details.length ? `<ul class="node-details">${node.details.map((d) => `<li><code>${esc(d)}</code></li>`).join('')}</ul>` : '';
  const notes = warnings.map((w) => `<div class="node-warn ${w.severity}"><b>${esc(w.severity)}</b>${esc(w.message)}<span class="hint">${esc(w.suggestion)}</span></div>`).join('');
  const kids = children.get(node.id) ?? [];
  return `<li><div class="node${severity ? ` sev-${severity}` : ''}${node.neverExecuted ? ' never' : ''}" data-node="${node.id}">
<div class="node-top"><span class="node-label">${esc(node.label)}${node.subplan ? `<span class="node-sub">${esc(node.subplan)}</span>` : ''}</span><span class="node-time">${ms(node.exclusiveMs)} · ${(s * 100).toFixed(1)}%</span></div>
<div class="bar" title="exclusive time: ${(s * 100).toFixed(1)}% of the execution"><span style="width:${(s * 100).toFixed(1)}%"></span></div>
<div class="node-facts">${facts.join('')}</div>${details}${notes}
</div>${kids.length ? `<ul class="kids">${kids.map((k) => renderNode(plan, k, children)).join('')}</ul>` : ''}</li>`;
}

/** One plan as a tree: exclusive-time bars, rows against the estimate, buffers, warnings. */
export function renderPlanTree(plan: PlanRecord): string {
  const children = new Map<number, PlanRecordNode[]>();
  for (const node of plan.nodes) {
    if (node.parentId === null) continue;
    children.set(node.parentId, [...(children.get(node.parentId) ?? []), node]);
  }
  const roots = plan.nodes.filter((n) => n.parentId === null);
  return `<ul class="tree">${roots.map((r) => renderNode(plan, r, children)).join('')}</ul>`;
}

function planSection(result: BenchResult): string {
  const seen = new Set<string>();
  const cards: string[] = [];
  for (const p of result.paths) {
    if (seen.has(p.name) || !p.plan) continue;
    seen.add(p.name);
    const plan = p.plan;
    const head = `<div class="plan-head"><strong>${esc(p.name)}</strong><span>${esc(plan.scan)}</span><span>execution ${ms(plan.executionTimeMs)}, planning ${ms(plan.planningTimeMs)}</span>` +
      `<span>buffers ${int(plan.sharedHitBlocks)} hit, ${int(plan.sharedReadBlocks)} read</span><span>for ${esc(plan.category)}</span></div>`;
    const body = plan.tree
      ? renderPlanTree(plan.tree)
      : '<p class="note">This result carries the plan\'s summary only (written by a perfbench before plan trees were recorded).</p>';
    cards.push(`<div class="card plan" data-plan="${esc(p.name)}">${head}${body}</div>`);
  }
  if (cards.length === 0) return '';
  return section('plans', 'Plans', 'EXPLAIN (ANALYZE, BUFFERS) of the report on each database path\'s own connection, captured after its run. Bars are each node\'s exclusive time as a share of the execution; buffers are the node\'s own (8 kB blocks).', cards.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Context

function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  return JSON.stringify(value);
}

/** An object's entries flattened one level (`settings.work_mem`), in key order as written. */
function flatten(record: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(record)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && prefix === '') out.push(...flatten(value as Record<string, unknown>, `${key}.`));
    else out.push([`${prefix}${key}`, valueText(value)]);
  }
  return out;
}

/** Key/value rows of each run side by side; cells that differ from the first run are marked. */
function sideBySide(runs: readonly HtmlRun[], pick: (r: BenchResult) => Record<string, unknown>, caption: string): string {
  const flat = runs.map((run) => new Map(flatten(pick(run.result))));
  const keys: string[] = [];
  for (const f of flat) for (const key of f.keys()) if (!keys.includes(key)) keys.push(key);
  const head = `<tr><th scope="col">Key</th>${runs.map((r) => `<th scope="col">${esc(r.label)}</th>`).join('')}</tr>`;
  const rows = keys.map((key) => {
    const first = flat[0]!.get(key) ?? '';
    const cells = flat.map((f, i) => {
      const value = f.get(key) ?? '';
      return `<td class="wrap${i > 0 && value !== first ? ' diff' : ''}">${esc(value)}</td>`;
    }).join('');
    return `<tr><th scope="row">${esc(key)}</th>${cells}</tr>`;
  }).join('\n');
  return `<div class="table-wrap"><table class="data"><caption class="sr">${esc(caption)}</caption><thead>${head}</thead><tbody>\n${rows}\n</tbody></table></div>`;
}

function contextSection(runs: readonly HtmlRun[]): string {
  const last = runs[runs.length - 1]!;
  const dataset = datasetLine(last.result);
  const generators = generatorsLine(last.result);
  const facts = [
    ['Latency', latencyKind(last.result)],
    ['Run', runLine(last.result)],
    ...(dataset ? [['Dataset', dataset.replace(/^Dataset: /, '')]] : []),
    ...(generators ? [['Generators', generators]] : []),
    ...[overheadLine(foldTrials(last.result.paths)), ...loopLagLines(foldTrials(last.result.paths))].filter((l): l is string => l !== undefined).map((l) => ['Client', l]),
  ];
  const kv = `<dl class="kv">${facts.map(([k, v]) => `<dt>${esc(k!)}</dt><dd>${esc(v!)}</dd>`).join('')}</dl>`;
  const lead = runs.length > 1 ? 'Each result\'s options and environment side by side; a highlighted cell differs from the first result.' : 'Where and how the run was made, as the result records it.';
  return section('context', 'Context', lead, `<div class="card">${kv}</div>
<div class="grid" style="margin-top:16px">
<div class="card"><h3>Options</h3>${sideBySide(runs, (r) => r.options as Record<string, unknown>, 'Options')}</div>
<div class="card"><h3>Environment</h3>${sideBySide(runs, (r) => r.environment, 'Environment')}</div>
</div>`);
}

// ---------------------------------------------------------------------------------------------
// The page

/** `2026-12-01T19:37:56.723Z` -> `2026-12-01 19:37 UTC`: what a person compares results by. */
function when(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

function resultsOverview(runs: readonly HtmlRun[], baselineLabel: string | undefined): string {
  const rows = runs.map((run) => {
    const paths = foldTrials(run.result.paths);
    const verdict = run.gate ? (run.gate.tripped ? 'REGRESSED' : run.gate.verdicts.some((v) => v.verdict === 'improved') ? 'improved' : 'ok') : run.label === baselineLabel ? 'baseline' : '';
    return [run.label, when(run.result.createdAt), run.result.options.mode, [...new Set(paths.map((p) => p.name))].join(', '), String(run.result.options.trials), verdict];
  });
  const rowClass = runs.map((run) => (run.gate?.tripped ? 'verdict-regressed' : undefined));
  return renderTable({ columns: ['Result', 'Created', 'Loop', 'Paths', 'Trials', 'Gate'], rows, rowClass }, 'Results');
}

/** The whole page. `input.runs` holds at least one run; the last is reported in detail. */
export function renderHtmlReport(input: HtmlReportInput, assets: HtmlAssets): string {
  const { runs } = input;
  const last = runs[runs.length - 1];
  if (!last) throw new RangeError('renderHtmlReport needs at least one result');
  const many = runs.length > 1;
  const compare = comparisonCharts(runs);
  const detail = runCharts(last, runs);
  const charts = [...compare.trend, ...compare.sideBySide, ...detail.percentiles, ...detail.speedups, ...detail.knee, ...detail.overTime];

  const toc: Array<[string, string]> = [];
  const sections: string[] = [];
  if (many) {
    toc.push(['results', 'Results']);
    const gates = runs.filter((r) => r.gate);
    sections.push(section('results', 'Results', `${runs.length} results in the order given${input.baselineLabel ? `; gate verdicts against ${input.baselineLabel}` : ''}.`,
      `<div class="card">${resultsOverview(runs, input.baselineLabel)}</div>\n${grid(compare.trend.map(chartCard))}`));
    if (gates.length) {
      toc.push(['gates', 'Gate']);
      sections.push(section('gates', 'Gate verdicts', 'Regressed only when the whole slow-down interval is above the threshold (noise-aware, as `bench --fail-if-slower`).',
        gates.map((r) => `<h3>${esc(r.label)}</h3>${gateBody(r.gate!, input.baselineLabel ?? 'the baseline')}`).join('\n')));
    }
    toc.push(['side-by-side', 'Side by side']);
    sections.push(section('side-by-side', 'The same paths, side by side', 'Each path\'s latency curve in every result.', grid(compare.sideBySide.map(chartCard))));
  }
  const prefix = many ? `Latest result (${last.label}): ` : '';
  toc.push(['summary', 'Summary']);
  const warnings = pathWarnings(last.result, foldTrials(last.result.paths));
  sections.push(section('summary', `${prefix}Summary`, latencyKind(last.result) + (last.result.options.trials > 1 ? ` Each row adds the histograms of ${last.result.options.trials} trials.` : ''),
    `<div class="card">${summaryTable(last.result)}${warningList(warnings)}</div>`));
  if (!many && last.gate) {
    toc.push(['gate', 'Gate']);
    sections.push(section('gate', 'Gate verdict', 'Regressed only when the whole slow-down interval is above the threshold.', gateBody(last.gate, input.baselineLabel ?? 'the baseline')));
  }
  if (detail.percentiles.length) {
    toc.push(['latency', 'Latency']);
    sections.push(section('latency', `${prefix}Latency by percentile`, 'HdrHistogram\'s percentile plot: every path on one chart, the tail as visible as the median.', grid(detail.percentiles.map(chartCard))));
  }
  if (detail.speedups.length) {
    toc.push(['speedups', 'Speed-ups']);
    sections.push(section('speedups', `${prefix}Speed-ups`, '', grid(detail.speedups.map(chartCard))));
  }
  if (detail.knee.length) {
    toc.push(['knee', 'Knee']);
    sections.push(section('knee', `${prefix}Latency against throughput`, '', grid(detail.knee.map(chartCard))));
  }
  if (detail.overTime.length) {
    toc.push(['over-time', 'Over time']);
    sections.push(section('over-time', `${prefix}Over time`, 'The measured phase interval by interval: a stall, a cache going cold or a slow trial shows here and not in the totals.', grid(detail.overTime.map(chartCard))));
  }
  const plans = planSection(last.result);
  if (plans) {
    toc.push(['plans', 'Plans']);
    sections.push(plans);
  }
  toc.push(['context', 'Context']);
  sections.push(contextSection(runs));

  const subtitle = many
    ? `${runs.length} results, ${when(runs[0]!.result.createdAt)} to ${when(last.result.createdAt)}`
    : `${last.label} · ${runLine(last.result).replace(last.result.createdAt, when(last.result.createdAt))}`;
  const badges = [
    `<span class="badge info">${esc(last.result.options.mode)} loop</span>`,
    last.result.interrupted ? '<span class="badge warn">interrupted</span>' : '',
    foldTrials(last.result.paths).some((p) => p.errors > 0) ? '<span class="badge bad">errors</span>' : '',
    gateBadge(last.gate),
  ].filter(Boolean).join('');
  const title = many ? 'perfbench report' : `perfbench report — ${last.label}`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="perfbench${input.version ? ` ${esc(input.version)}` : ''}">
<title>${esc(title)}</title>
<style>${assets.uplotCss}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div class="page">
<header class="top">
<div><h1>perfbench <span>report</span></h1><p class="subtitle">${esc(subtitle)}</p></div>
<div class="badges">${badges}</div>
</header>
<nav class="toc" aria-label="Sections">${toc.map(([id, text]) => `<a href="#${id}">${esc(text)}</a>`).join('')}</nav>
<main>
${sections.join('\n')}
</main>
<footer>perfbench${input.version ? ` ${esc(input.version)}` : ''} · one self-contained file, no network request · charts by uPlot ${esc(assets.uplotVersion)} (MIT)</footer>
</div>
<script type="application/json" id="perfbench-data">${scriptJson(pageData(charts))}</script>
<script>${scriptText(assets.uplotJs)}</script>
<script>${scriptText(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
