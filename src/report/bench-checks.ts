/**
 * Reporter (pure): what the bench paths checked about themselves, for the terminal and Markdown
 * reports: the plan each DB path actually ran, and the cache hits (misses) the client saw against
 * the server's INFO counters, as stored in `PathResult.plan` and `PathResult.cacheCheck`.
 */
import { foldTrials, runConcurrency, type BenchResult, type CacheCheck, type PathResult, type PlanSummary } from '../measure/result.js';
import { counted, formatInt } from './format.js';
import { formatMsFromUs } from './bench-format.js';

function plans(result: BenchResult): Array<[string, PlanSummary]> {
  const seen = new Map<string, PlanSummary>();
  for (const p of result.paths) if (p.plan && !seen.has(p.name)) seen.set(p.name, p.plan);
  return [...seen];
}

interface CacheRow {
  path: string;
  concurrency: number;
  check: CacheCheck;
}

/** Cache checks summed over the trials of each path and concurrency. */
function cacheRows(result: BenchResult): CacheRow[] {
  const rows = new Map<string, CacheRow>();
  for (const p of result.paths) {
    const c = p.cacheCheck;
    if (!c) continue;
    const key = `${p.name}\u0000${p.concurrency}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { path: p.name, concurrency: p.concurrency, check: { ...c } });
      continue;
    }
    const sum = row.check;
    sum.gets += c.gets;
    sum.hits += c.hits;
    sum.misses += c.misses;
    sum.serverHits += c.serverHits;
    sum.serverMisses += c.serverMisses;
    sum.verified &&= c.verified;
  }
  return [...rows.values()];
}

function ms(value: number): string {
  return value >= 100 ? formatInt(value) : value.toFixed(value >= 10 ? 1 : 2);
}

function planLine(plan: PlanSummary): string {
  const shape = plan.root === plan.scanType ? plan.scan : `${plan.root} > ${plan.scan}`;
  return `${shape} · buffers ${formatInt(plan.sharedHitBlocks)} hit, ${formatInt(plan.sharedReadBlocks)} read · execution ${ms(plan.executionTimeMs)} ms`;
}

function cacheLine(row: CacheRow): string {
  const c = row.check;
  if (row.path === 'near') {
    // Near hits are lookups in memory: Redis counts none of them, which is the point.
    return `c=${row.concurrency}: ${counted(c.gets, 'lookup')}, ${counted(c.hits, 'hit')} from memory, ${counted(c.misses, 'miss', 'misses')}; `
      + `Redis keyspace_hits +${formatInt(c.serverHits)} meanwhile · ${c.verified ? 'verified' : 'NOT VERIFIED'} (${c.tier})`;
  }
  const seen = row.path === 'miss'
    ? `${counted(c.misses, 'miss', 'misses')}; server keyspace_misses +${formatInt(c.serverMisses)}`
    : `${counted(c.hits, 'hit')}; server keyspace_hits +${formatInt(c.serverHits)}`;
  return `c=${row.concurrency}: ${counted(c.gets, 'GET')}, ${seen} · ${c.verified ? 'verified' : 'NOT VERIFIED'} (${c.tier})`;
}

/** The fields of perfbench serve's Server-Timing header, in its order; others follow. */
const TIMING_FIELDS = ['queue', 'cache', 'db', 'total'];

/** The HTTP paths with trials folded: one per path and concurrency. */
function timedPaths(result: BenchResult): PathResult[] {
  return result.paths.some((p) => p.serverTiming) ? foldTrials(result.paths).filter((p) => p.serverTiming) : [];
}

/**
 * `queue 0.012 · cache 0 · db 64.9 · total 65.1 ms (server); client mean 65.4 ms, 0.312 ms outside
 * the handler · X-Cache BYPASS 120`: the server's mean per field beside the client-side mean.
 */
function timingLine(p: PathResult): string {
  const t = p.serverTiming!;
  const fields = [...TIMING_FIELDS.filter((f) => f in t.meanMs), ...Object.keys(t.meanMs).filter((f) => !TIMING_FIELDS.includes(f))];
  const server = fields.map((f) => `${f} ${formatMsFromUs(t.meanMs[f]! * 1000)}`).join(' · ');
  const clientUs = t.clientMeanMs === undefined ? p.summary.meanUs : t.clientMeanMs * 1000;
  const totalMs = t.meanMs['total'];
  const outside = totalMs === undefined ? '' : `, ${formatMsFromUs(Math.max(0, clientUs - totalMs * 1000))} ms outside the handler`;
  const xCache = Object.entries(t.xCache).map(([status, count]) => `${status} ${formatInt(count)}`).join(', ') || 'none';
  const resent = t.resent ? ` · ${formatInt(t.resent)} sent again after the server closed a keep-alive connection (their latency spans both sends)` : '';
  return `c=${runConcurrency(p)}: ${server} ms; client mean ${formatMsFromUs(clientUs)} ms${outside} · X-Cache ${xCache} of ${formatInt(t.responses)} responses${resent}`;
}

/** What the plans are of: the report, or (bench --workload) a read statement of the script, with its values. */
function planSubject(result: BenchResult): string {
  return result.environment?.['workload'] === undefined ? 'the report' : 'a read statement';
}

/** Plain-text lines (empty when no path recorded a plan, cache check or Server-Timing). */
export function renderChecksText(result: BenchResult): string {
  const planned = plans(result);
  const cached = cacheRows(result);
  const timed = timedPaths(result);
  const lines: string[] = [];
  if (planned.length) {
    const width = Math.max(...planned.map(([name]) => name.length));
    lines.push(`Plans (EXPLAIN ANALYZE of ${planSubject(result)} for ${planned[0]![1].category}, on the path's own connection)`);
    for (const [name, plan] of planned) lines.push(`  ${name.padEnd(width)}  ${planLine(plan)}`);
  }
  if (cached.length) {
    if (lines.length) lines.push('');
    const width = Math.max(...cached.map((r) => r.path.length));
    lines.push('Cache checks (the GETs the client saw against the server\'s INFO counters)');
    for (const row of cached) lines.push(`  ${row.path.padEnd(width)}  ${cacheLine(row)}`);
  }
  if (timed.length) {
    if (lines.length) lines.push('');
    const width = Math.max(...timed.map((p) => p.name.length));
    lines.push('Server-Timing (the server\'s mean per response, beside the client-side mean)');
    for (const p of timed) lines.push(`  ${p.name.padEnd(width)}  ${timingLine(p)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function renderChecksMarkdown(result: BenchResult): string {
  const planned = plans(result);
  const cached = cacheRows(result);
  const timed = timedPaths(result);
  const out: string[] = [];
  if (planned.length) {
    out.push('### Plans', '', `EXPLAIN ANALYZE of ${planSubject(result)} for \`${planned[0]![1].category}\`, on each path's own connection.`, '');
    for (const [name, plan] of planned) out.push(`- \`${name}\`: ${planLine(plan)}`);
  }
  if (cached.length) {
    if (out.length) out.push('');
    out.push('### Cache checks', '');
    for (const row of cached) out.push(`- \`${row.path}\` ${cacheLine(row)}`);
  }
  if (timed.length) {
    if (out.length) out.push('');
    out.push('### Server-Timing', '', "The server's mean per response (ms), beside the client-side mean.", '');
    for (const p of timed) out.push(`- \`${p.name}\` ${timingLine(p)}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}
