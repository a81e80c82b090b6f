/**
 * Reporter (pure): CSV exports (RFC 4180: CRLF line ends, fields with a comma, quote or line break
 * in double quotes, quotes doubled). One row per path and trial, unrounded, for spreadsheets and
 * scripts; latencies in milliseconds like the other reports.
 */
import type { BenchResult, Comparison } from '../measure/result.js';
import { STATEMENT_CSV_HEADER, statementCsvFields } from './bench-workload.js';

/** One RFC 4180 field. */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function line(fields: ReadonlyArray<string | number | boolean | undefined>): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/** µs -> ms, rounded to the nanosecond so binary-float noise (65.94247999999999) does not leak out. */
const ms = (us: number | undefined): number | undefined => (us === undefined ? undefined : Number((us / 1000).toFixed(6)));

const PATH_HEADER = [
  'path', 'kind', 'mode', 'co_corrected', 'concurrency', 'sources', 'trial', 'ops', 'errors', 'elapsed_ms', 'throughput_ops_s',
  'mean_ms', 'stddev_ms', 'min_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'p999_ms', 'max_ms',
  'uncorrected_p50_ms', 'uncorrected_p99_ms', 'lag_mean_ms', 'lag_max_ms', 'rate_ops_s', 'interrupted', 'first_error', 'flags',
];

/**
 * The flag a row gets when its path recorded no operation: its latency fields are left empty (the
 * summary's zeros are no latency), and this says why.
 */
export const NO_LATENCY_FLAG = 'no-successful-operations';

/** The paths of a result, one row per path, concurrency and trial. */
export function renderBenchCsv(result: BenchResult): string {
  let out = line(PATH_HEADER);
  for (const p of result.paths) {
    const s = p.summary;
    // No operation recorded: no latency, so no latency field (rather than a 0 that reads as "instant").
    const lat = (us: number | undefined): number | undefined => (p.ops === 0 ? undefined : ms(us));
    const flags = [...(p.flags ?? []), ...(p.ops === 0 && p.kind !== 'noop' ? [NO_LATENCY_FLAG] : [])];
    out += line([
      p.name, p.kind, p.mode, p.coCorrected, p.concurrency, p.sources, p.trial, p.ops, p.errors, p.elapsedMs, p.throughputOpsPerSec,
      lat(s.meanUs), lat(s.stddevUs), lat(s.minUs), lat(s.p50Us), lat(s.p90Us), lat(s.p99Us), lat(s.p999Us), lat(s.maxUs),
      lat(p.uncorrected?.summary.p50Us), lat(p.uncorrected?.summary.p99Us), ms(p.scheduleLag?.meanUs), ms(p.scheduleLag?.maxUs),
      p.ratePerSec, p.interrupted, p.firstError, flags.join(';'),
    ]);
  }
  // A workload's statements: a second table after an empty line (absent for the report).
  if (result.paths.some((p) => p.statements !== undefined)) {
    out += '\r\n' + line(STATEMENT_CSV_HEADER);
    for (const p of result.paths) {
      for (const s of p.statements ?? []) out += line([p.name, p.concurrency, p.trial, s.script, s.name, s.line, s.access, s.ops, s.errors, ...statementCsvFields(s)]);
    }
  }
  return out;
}

/** The speed-ups, one row per comparison; a pair without one has empty figures and its reason. */
export function renderSpeedupCsv(comparisons: readonly Comparison[]): string {
  let out = line(['path', 'baseline', 'mode', 'concurrency', 'p50_speedup', 'p50_low', 'p50_high', 'p99_speedup', 'p99_low', 'p99_high', 'method', 'trials', 'confidence', 'reason']);
  for (const c of comparisons) {
    out += c.method === 'none'
      ? line([c.path, c.baseline, c.mode, c.concurrency, '', '', '', '', '', '', c.method, c.trials, undefined, c.reason])
      : line([c.path, c.baseline, c.mode, c.concurrency, c.p50.estimate, c.p50.low, c.p50.high, c.p99.estimate, c.p99.low, c.p99.high, c.method, c.trials, c.confidence, undefined]);
  }
  return out;
}
