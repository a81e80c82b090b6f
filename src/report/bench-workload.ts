/**
 * Reporter (pure): the `bench --workload` sections, present only when the paths carry them: a
 * per-statement table like `pgbench -r` (with percentiles from each statement's own histogram),
 * and per path the transactions per second, executions per script, failures by SQLSTATE, retries
 * and the cache path's hits. Text, Markdown and CSV renderings of the same rows.
 */
import type { PathResult, StatementRecord } from '../measure/result.js';
import { formatInt } from './format.js';
import { formatMsFromUs, formatRate, NO_FIGURE } from './bench-format.js';

/** True when some path of the (folded) result has workload figures. */
export function hasWorkload(paths: readonly PathResult[]): boolean {
  return paths.some((p) => p.statements !== undefined);
}

/** The head of the per-statement table. */
export const STATEMENT_HEAD = ['Path', 'Conc.', 'Script', 'Statement', 'Line', 'Ops', 'Errors', 'Mean (ms)', 'p50 (ms)', 'p99 (ms)', 'Max (ms)'];

/** One row per path, concurrency and statement, as text cells. */
export function statementRows(paths: readonly PathResult[]): string[][] {
  const rows: string[][] = [];
  for (const p of paths) {
    for (const s of p.statements ?? []) {
      const lat = (us: number): string => (s.ops === 0 ? NO_FIGURE : formatMsFromUs(us));
      rows.push([p.name, String(p.concurrency * p.sources), s.script, s.name, String(s.line), formatInt(s.ops), formatInt(s.errors),
        lat(s.summary.meanUs), lat(s.summary.p50Us), lat(s.summary.p99Us), lat(s.summary.maxUs)]);
    }
  }
  return rows;
}

/**
 * One line per path: tps (executions of scripts per second, pgbench's "tps"), the executions per
 * script when there are several, failures by SQLSTATE, retries and the cache path's hit ratio.
 */
export function workloadLines(paths: readonly PathResult[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p.statements === undefined) continue;
    const parts = [`tps ${formatRate(p.throughputOpsPerSec)}`];
    const scripts = p.scripts ?? [];
    if (scripts.length > 1) parts.push(`scripts ${scripts.map((s) => `${s.name} ${formatInt(s.ops)}${s.errors ? ` (${formatInt(s.errors)} failed)` : ''}`).join(', ')}`);
    const failures = Object.entries(p.failures ?? {}).sort(([a], [b]) => a.localeCompare(b));
    parts.push(failures.length ? `failures ${failures.map(([code, n]) => `${code} x${formatInt(n)}`).join(', ')}` : 'no failures');
    parts.push(`${formatInt(p.retries ?? 0)} retr${p.retries === 1 ? 'y' : 'ies'}`);
    if (p.cacheHits !== undefined || p.cacheMisses !== undefined) {
      const hits = p.cacheHits ?? 0;
      const total = hits + (p.cacheMisses ?? 0);
      parts.push(`cache ${formatInt(hits)} hit${hits === 1 ? '' : 's'} of ${formatInt(total)} reads${total ? ` (${((hits / total) * 100).toFixed(1)}%)` : ''}`);
    }
    out.push(`${p.name} (concurrency ${p.concurrency * p.sources}): ${parts.join(' · ')}`);
  }
  return out;
}

/** The per-statement CSV rows (a second table after the paths' table, after one empty line). */
export const STATEMENT_CSV_HEADER = [
  'path', 'concurrency', 'trial', 'script', 'statement', 'line', 'access', 'ops', 'errors',
  'mean_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'p999_ms', 'max_ms',
];

/** A statement's latency fields in ms (empty without an operation). */
export function statementCsvFields(s: StatementRecord): Array<number | undefined> {
  const ms = (us: number): number | undefined => (s.ops === 0 ? undefined : Number((us / 1000).toFixed(6)));
  return [ms(s.summary.meanUs), ms(s.summary.p50Us), ms(s.summary.p90Us), ms(s.summary.p99Us), ms(s.summary.p999Us), ms(s.summary.maxUs)];
}
