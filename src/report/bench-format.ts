/**
 * Reporter (pure): formatting shared by the bench reporters. Locale-free on purpose (golden files
 * and CI logs must not depend on the machine's locale), and with the precision the data has: HDR
 * histograms keep three significant digits, so latencies print with three significant digits.
 */
import { clientBusyShare } from '../measure/self-check.js';
import type { DatasetDescription } from '../workload/dataset.js';
import type { BenchResult, Comparison, ConnectionOutage, PathResult, RatioEstimate } from '../measure/result.js';
import { formatInt } from './format.js';

/**
 * Microseconds as milliseconds with three significant digits: 119 µs -> `0.119`,
 * 2,593 µs -> `2.59`, 65,600 µs -> `65.6`, 1,234,567 µs -> `1,235`; under 1 µs `<0.001`.
 */
export function formatMsFromUs(us: number): string {
  const ms = us / 1000;
  if (ms === 0) return '0';
  const abs = Math.abs(ms);
  if (abs >= 100) return formatInt(ms);
  // Below 1 µs (a mean of mostly-zero no-op values) the histogram's resolution says nothing more.
  if (abs < 0.001) return '<0.001';
  return ms.toFixed(abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

/** Operations per second: `1,025` (one decimal below 10). */
export function formatRate(opsPerSec: number): string {
  return opsPerSec < 10 ? opsPerSec.toFixed(1) : formatInt(opsPerSec);
}

/** A speed-up ratio with three significant digits: `25.3x`, `1.02x`, `508x`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  if (ratio >= 100) return `${formatInt(ratio)}x`;
  return `${ratio.toFixed(ratio >= 10 ? 1 : 2)}x`;
}

/** What a report shows where a figure does not exist (a path with no successful operation has no latency). */
export const NO_FIGURE = '—';

/** `25.3x (24.1–26.0)`, or "—" for a pair without a speed-up. */
export function formatEstimate(e: RatioEstimate | null): string {
  if (e === null) return NO_FIGURE;
  return `${formatRatio(e.estimate)} (${formatRatio(e.low).slice(0, -1)}–${formatRatio(e.high)})`;
}

/** How the interval was obtained, in words; for a pair without a speed-up, why there is none. */
export function describeMethod(c: Comparison): string {
  if (c.method === 'none') return `no speed-up: ${c.reason}`;
  return c.method === 'trials'
    ? `median of ${c.trials} trials, min–max`
    : `bootstrap ${Math.round((c.confidence ?? 0.95) * 100)}% (${formatInt(c.resamples ?? 0)} resamples)`;
}

/** A latency cell of a path: "—" when the path recorded no operation (its summary's zeros are no latency). */
export function latencyCell(p: PathResult, us: number): string {
  return p.ops === 0 ? NO_FIGURE : formatMsFromUs(us);
}

/** The one sentence every report carries: what kind of latency the numbers are. */
export function latencyKind(result: BenchResult): string {
  const open = result.options.mode === 'open' || result.paths.some((p) => p.mode === 'open');
  if (open) {
    const rate = result.options.ratePerSec;
    return `Open loop${rate ? ` at ${formatRate(rate)} ops/s` : ''}: latency measured from each operation's intended start ` +
      '(corrected for coordinated omission); "uncorr." is from the actual send.';
  }
  return 'Closed loop: latency measured from each operation\'s actual start; a stall is recorded once ' +
    '(not corrected for coordinated omission).';
}

/**
 * A connection outage in one line: when it began and ended (ISO 8601, UTC), how long, how many
 * reconnect attempts, and the first error.
 */
export function describeOutage(o: ConnectionOutage): string {
  const seconds = (o.durationMs / 1000).toFixed(2);
  const attempts = `${formatInt(o.reconnectAttempts)} reconnect attempt${o.reconnectAttempts === 1 ? '' : 's'}`;
  const where = o.server === undefined ? 'PostgreSQL' : `PostgreSQL (${o.server})`;
  return o.endedAt !== undefined
    ? `${where} connection lost from ${o.startedAt} to ${o.endedAt} (${seconds} s, ${attempts}; first error: ${o.error}); ` +
      'the operations in between failed and are counted as errors'
    : `${where} connection lost since ${o.startedAt}, still down when the run ended (${seconds} s so far, ${attempts}; first error: ${o.error}); ` +
      'its operations failed and are counted as errors';
}

/** Notes, flags, errors and interruption of the paths, as one-line warnings. */
export function pathWarnings(result: BenchResult, paths: readonly PathResult[]): string[] {
  const out: string[] = [];
  if (result.interrupted) out.push('Interrupted: the figures cover what was measured before the stop.');
  for (const p of paths) {
    const label = `${p.name} (concurrency ${p.concurrency})`;
    if (p.errors > 0) out.push(`${label}: ${formatInt(p.errors)} error${p.errors === 1 ? '' : 's'}${p.firstError ? `, first: ${p.firstError}` : ''}`);
    if (p.ops === 0 && p.kind !== 'noop') out.push(`${label}: no successful operation, so no latency and no speed-up (shown as ${NO_FIGURE})`);
    for (const flag of p.flags ?? []) out.push(`${label}: ${flag}`);
    for (const outage of p.outages ?? []) out.push(`${label}: ${describeOutage(outage)}`);
    for (const note of p.notes ?? []) out.push(`${label}: ${note}`);
  }
  for (const note of result.notes ?? []) out.push(note);
  return out;
}

/** Which run-level facts to show under the title. */
export function runLine(result: BenchResult): string {
  const o = result.options;
  const parts = [
    o.durationMs !== undefined ? `duration ${formatInt(o.durationMs / 1000)} s` : o.iterations !== undefined ? `${formatInt(o.iterations)} iterations` : '',
    `${o.trials} trial${o.trials === 1 ? '' : 's'}`,
    // --driver libpq: one client per worker process, all on libpq.
    o.driver === 'libpq' ? `libpq driver${o.workers !== undefined && o.workers > 1 ? `, ${o.workers} worker processes` : ''}` : '',
    o.driver !== 'libpq' && o.workers !== undefined && o.workers > 1 ? `${o.workers} worker threads` : '',
    typeof o['workload'] === 'string' ? `workload ${o['workload']}` : `${o.distribution} categories`,
    `seed ${o.seed}`,
    result.createdAt,
  ];
  return parts.filter(Boolean).join(' · ');
}

/**
 * The dataset the run measured, in one line, or undefined for results written before bench
 * recorded it: `Dataset: products, 1,000,000 rows (exact), 1,000 category values (1,000 rows
 * each), fingerprint 3f1e…, seeded by perfbench (the default dataset)`.
 */
export function datasetLine(result: BenchResult): string | undefined {
  const d = result.environment.datasetInfo as DatasetDescription | undefined;
  if (!d || typeof d !== 'object') return undefined;
  const origin = d.seededByPerfbench ? `seeded by perfbench${d.isDefaultDataset ? ' (the default dataset)' : ' (not the default dataset)'}` : 'not seeded by perfbench';
  const values = `${d.valuesCapped ? 'at least ' : ''}${formatInt(d.distinctValues)} ${d.column} values`;
  return `Dataset: ${d.table}, ${formatInt(d.rows)} rows (${d.rowsExact ? 'exact' : 'estimate'}), ${values} (${d.valuesCapped ? 'at most ' : ''}${formatInt(d.rowsPerValue)} rows each), ` +
    `fingerprint ${d.fingerprint}, ${origin}`;
}

/** The column HTTP paths add beside the client-side mean: the server's own mean (Server-Timing `total`). */
export const SERVER_HEAD = 'Server mean (ms)';

/**
 * A path's server-side mean per operation in µs, or undefined for a path that has none (only HTTP
 * paths have one): Server-Timing `total`, times the responses per operation when an operation is
 * several (a workload's execution, one GET per read statement), so that it stands beside the mean.
 */
export function serverMeanUs(p: PathResult): number | undefined {
  const timing = p.serverTiming;
  const total = timing?.meanMs['total'];
  if (timing === undefined || total === undefined) return undefined;
  return (timing.clientMeanMs !== undefined && p.ops > 0 ? (total * timing.responses) / p.ops : total) * 1000;
}

/** The same as a table cell, empty for a path without one. */
export function serverMean(p: PathResult): string {
  const us = serverMeanUs(p);
  return us === undefined ? '' : formatMsFromUs(us);
}

/**
 * The harness's own cost, from the no-op path if the run had one. Wall time per operation is the
 * figure (the event loop is single-threaded, so it is the loop's cost per operation whatever the
 * concurrency); the no-op's recorded latency only spans the await and rounds to 0 µs.
 */
export function overheadLine(paths: readonly PathResult[]): string | undefined {
  const noop = paths.find((p) => p.kind === 'noop' && p.ops > 0);
  if (!noop) return undefined;
  const perOpUs = (noop.elapsedMs * 1000) / noop.ops;
  return `Harness overhead (no-op path): ${perOpUs.toFixed(2)} µs per operation; recorded no-op latency p99 ${formatInt(noop.summary.p99Us)} µs.`;
}

/** The client's own load per path: how busy the process was, and event-loop lag, where measured. */
export function loopLagLines(paths: readonly PathResult[]): string[] {
  return paths
    .filter((p) => p.eventLoopLag || p.clientCpuMs !== undefined)
    .map((p) => {
      const parts: string[] = [];
      const busy = clientBusyShare(p);
      if (busy !== undefined) parts.push(`client busy ${Math.round(busy * 100)}%`);
      if (p.eventLoopLag) parts.push(`event-loop lag p99 ${formatMsFromUs(p.eventLoopLag.p99Us)} ms, max ${formatMsFromUs(p.eventLoopLag.maxUs)} ms`);
      return `${p.name} (concurrency ${p.concurrency}): ${parts.join(', ')}`;
    });
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of up to `width` cells for a share of 0..1, in eighths of a cell. */
export function bar(share: number, width: number): string {
  const eighths = Math.round(Math.min(Math.max(share, 0), 1) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

/**
 * A log-scale position of `us` between `lowUs` and `highUs` (0..1). Log because a seq scan and a
 * cache hit differ by 500x: on a linear scale every fast path would be an empty bar.
 */
export function logShare(us: number, lowUs: number, highUs: number): number {
  const lo = Math.log10(Math.max(lowUs, 1));
  const hi = Math.log10(Math.max(highUs, 1));
  if (hi <= lo) return 1;
  return (Math.log10(Math.max(us, 1)) - lo) / (hi - lo);
}
