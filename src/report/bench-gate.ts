/**
 * Reporter (pure): the regression gate's verdicts as text (stderr, CI logs) and Markdown (the step
 * summary).
 */
import type { GateReport, PathVerdict, PercentileCheck } from '../measure/gate.js';
import { formatMsFromUs } from './bench-format.js';

function pct(value: number): string {
  const rounded = Math.abs(value) < 0.05 ? 0 : value;
  return `${rounded >= 0 ? '+' : '−'}${Math.abs(rounded).toFixed(1)}%`;
}

function check(c: PercentileCheck): string {
  return `p${c.percentile} ${formatMsFromUs(c.baselineUs)} → ${formatMsFromUs(c.currentUs)} ms (${pct(c.changePct)}, interval ${pct(c.lowPct)} … ${pct(c.highPct)})`;
}

function label(v: PathVerdict): string {
  return `${v.path} c=${v.concurrency}${v.mode === 'open' ? ' open' : ''}`;
}

const WORDS: Record<PathVerdict['verdict'], string> = {
  ok: 'ok',
  regressed: 'REGRESSED',
  improved: 'improved',
  'no-baseline': 'not in the baseline',
  'no-data': 'no data',
  'plan-changed': 'PLAN CHANGED',
};

export function renderGateText(report: GateReport): string {
  const lines = [`Regression gate: ${report.rule}.`];
  const width = Math.max(0, ...report.verdicts.map((v) => label(v).length));
  for (const v of report.verdicts) {
    const checks = v.checks.map(check).join('; ');
    const method = v.method ? ` [${v.method === 'trials' ? 'min–max of trials' : 'bootstrap'}]` : '';
    lines.push(`  ${label(v).padEnd(width)}  ${WORDS[v.verdict].padEnd(9)} ${checks}${checks ? method : ''}`.trimEnd());
  }
  const regressed = report.verdicts.filter((v) => v.verdict === 'regressed');
  const changed = report.verdicts.filter((v) => v.verdict === 'plan-changed');
  if (changed.length) lines.push(`Gate FAILED: the plan of ${changed.map(label).join(', ')} changed during the run; its figures are not comparable.`);
  else lines.push(report.tripped
    ? `Gate TRIPPED: ${regressed.map(label).join(', ')} slower than the baseline by more than ${report.thresholdPct}% beyond the noise.`
    : `Gate passed: no path is slower than the baseline by more than ${report.thresholdPct}% beyond the noise.`);
  return lines.join('\n') + '\n';
}

export function renderGateMarkdown(report: GateReport): string {
  const failed = report.verdicts.some((v) => v.verdict === 'plan-changed');
  const status = failed ? ':x: **Failed** (a plan changed during the run)' : report.tripped ? ':x: **Tripped**' : ':white_check_mark: Passed';
  const out = ['### Regression gate', '', `${status}: ${report.rule}.`, ''];
  out.push('| Path | Concurrency | Verdict | p50 | p99 |', '| :--- | ---: | :--- | :--- | :--- |');
  for (const v of report.verdicts) {
    const by = (percentile: number) => {
      const c = v.checks.find((x) => x.percentile === percentile);
      return c ? `${formatMsFromUs(c.baselineUs)} → ${formatMsFromUs(c.currentUs)} ms (${pct(c.changePct)}; ${pct(c.lowPct)} … ${pct(c.highPct)})` : '';
    };
    out.push(`| \`${v.path}\` | ${v.concurrency} | ${v.verdict === 'regressed' ? '**REGRESSED**' : WORDS[v.verdict]} | ${by(50)} | ${by(99)} |`);
  }
  for (const w of report.warnings) out.push('', `:warning: ${w}`);
  return out.join('\n') + '\n';
}
