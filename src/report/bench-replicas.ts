/**
 * Reporter (pure): a run with read replicas (`bench --replica-url`): each path's figures per server
 * (ops, errors, p50, p99: `PathResult.servers`, trials added) and the replicas' lag when the measuring
 * started and ended (`BenchResult.replication`), for the terminal and Markdown reports.
 */
import { Table } from './cli-table.js';
import type { ReplicaLag, ReplicationSnapshot, StandbyLag } from '../measure/replication.js';
import { foldTrials, type BenchResult } from '../measure/result.js';
import { formatMsFromUs } from './bench-format.js';
import { formatBytes, formatInt } from './format.js';

const HEAD = ['Path', 'Conc.', 'Server', 'Role', 'Ops', 'Errors', 'p50 (ms)', 'p99 (ms)'];

function serverRows(result: BenchResult): string[][] {
  return foldTrials(result.paths).flatMap((p) => (p.servers ?? []).map((s) => [
    p.name, String(p.concurrency * p.sources), s.server, s.role, formatInt(s.ops), formatInt(s.errors),
    s.ops > 0 ? formatMsFromUs(s.summary.p50Us) : '—', s.ops > 0 ? formatMsFromUs(s.summary.p99Us) : '—',
  ]));
}

function ms(value: number | undefined): string {
  return value === undefined ? '?' : formatMsFromUs(value * 1000);
}

function lagText(lag: ReplicaLag | undefined): string {
  if (!lag) return 'not read';
  if (lag.error) return `not read (${lag.error})`;
  const behind = lag.bytesBehind === undefined ? '? behind' : `${formatBytes(Math.max(0, lag.bytesBehind))} behind`;
  return `${behind}, replay delay ${ms(lag.replayDelayMs)} ms (replayed ${lag.replayLsn ?? '?'})`;
}

function standbyText(s: StandbyLag): string {
  return `${s.applicationName} from ${s.client} ${s.state}: write ${ms(s.writeLagMs)} / flush ${ms(s.flushLagMs)} / replay ${ms(s.replayLagMs)} ms, ` +
    `${s.bytesBehind === undefined ? '?' : formatBytes(Math.max(0, s.bytesBehind))} behind`;
}

function headline(result: BenchResult): string | undefined {
  const r = result.replication;
  if (!r) return undefined;
  return `Reads went round-robin per operation to ${r.replicas.length} replica${r.replicas.length === 1 ? '' : 's'} (${r.replicas.join(', ')}); ` +
    `writes and the run's setup to the primary ${r.primary}, replayed by every replica ${(r.replayWaitMs / 1000).toFixed(1)} s after the setup, before measuring.`;
}

function lagLines(result: BenchResult): string[] {
  const r = result.replication;
  if (!r) return [];
  const at = (snapshot: ReplicationSnapshot | undefined, server: string) => snapshot?.replicas.find((l) => l.server === server);
  const lines = r.replicas.map((server) => `${server}  start: ${lagText(at(r.start, server))} · end: ${r.end ? lagText(at(r.end, server)) : 'not read (interrupted)'}`);
  const standbys = (r.end ?? r.start).standbys;
  if (standbys.length) {
    lines.push(`the primary's pg_stat_replication at the ${r.end ? 'end' : 'start'}:`);
    lines.push(...standbys.map((s) => `  ${standbyText(s)}`));
  }
  return lines;
}

/** Plain text: the per-server table and the lag lines (empty without replicas). */
export function renderReplicationText(result: BenchResult): string {
  const rows = serverRows(result);
  if (!result.replication && rows.length === 0) return '';
  const lines: string[] = [];
  const head = headline(result);
  lines.push('Servers (each path\'s operations by the server that ran them)');
  if (head) lines.push(head);
  if (rows.length) {
    const t = new Table({ head: HEAD, colAligns: ['left', 'right', 'left', 'left', 'right', 'right', 'right', 'right'],
      style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true } });
    for (const row of rows) t.push(row);
    lines.push(t.toString());
  }
  const lag = lagLines(result);
  if (lag.length) lines.push('', 'Replication lag (at the start and the end of the measuring)', ...lag.map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

export function renderReplicationMarkdown(result: BenchResult): string {
  const rows = serverRows(result);
  if (!result.replication && rows.length === 0) return '';
  const out = ['### Servers', ''];
  const head = headline(result);
  if (head) out.push(head, '');
  if (rows.length) {
    out.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 4 ? ':--' : '--:')).join('|')}|`);
    for (const row of rows) out.push(`| ${row.join(' | ')} |`);
  }
  const lag = lagLines(result);
  if (lag.length) out.push('', '### Replication lag', '', ...lag.map((l) => `- ${l.trim()}`));
  return out.join('\n') + '\n';
}
