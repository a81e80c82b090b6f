/**
 * Measurement domain (pure). Is perfbench itself the bottleneck? A Node load generator can be
 * (REFERENCE.md: on 2 cores autocannon reached 9.8k req/s where wrk reached 22.5k), and then the
 * latencies it records include time its operations spent waiting for each other inside the client.
 * Two signs:
 *
 * - a saturated client: the process was busy (CPU time / wall time, `clientCpuMs`) for at least
 *   `busyShare` (default 90%) of the measured phase while more than one operation could be in
 *   flight. With one operation in flight nothing queues in the client: its own work (decoding a
 *   report, say) is part of each operation by design, not a distortion, so that case is not flagged;
 * - harness cost: the no-op path's wall time per operation exceeds `shareOfP50` (default 10%) of
 *   the path's p50, so the measuring itself is a visible part of every latency.
 *
 * Event-loop lag is reported beside the paths but is not a sign on its own: on a small machine it
 * mostly says that the database server took the CPU (a parallel seq scan uses every core).
 */
import { foldTrials, pathKey, type PathResult } from './result.js';

export interface SelfCheckOptions {
  /** Fraction of a path's p50 above which the harness cost is flagged; default 0.1. */
  shareOfP50?: number;
  /** CPU busy share of the measured phase above which a concurrent client is flagged; default 0.9. */
  busyShare?: number;
}

/** How busy the client was during a path's measured phase (0..1 per load-generating thread), if known. */
export function clientBusyShare(path: PathResult): number | undefined {
  if (path.clientCpuMs === undefined || path.elapsedMs <= 0) return undefined;
  return path.clientCpuMs / (path.elapsedMs * Math.max(1, path.workers ?? path.sources));
}

/** The no-op path's wall time per operation: what measuring itself costs (0 without a no-op path). */
function harnessCostUs(paths: readonly PathResult[]): number {
  const noop = paths.find((p) => p.kind === 'noop' && p.ops > 0);
  return noop ? (noop.elapsedMs * 1000) / noop.ops : 0;
}

/** Why `p` may be client-bound, as one warning line; undefined when it is not. */
function clientBoundWarning(p: PathResult, harnessUs: number, options: SelfCheckOptions): string | undefined {
  if (p.kind === 'noop' || p.ops === 0) return undefined;
  const share = options.shareOfP50 ?? 0.1;
  const busyLimit = options.busyShare ?? 0.9;
  const reasons: string[] = [];
  const busy = clientBusyShare(p);
  const concurrent = p.concurrency > 1 || p.mode === 'open';
  if (busy !== undefined && concurrent && busy >= busyLimit) {
    reasons.push(`perfbench was busy ${Math.round(busy * 100)}% of the time with up to ${p.concurrency} operations in flight`);
  }
  if (harnessUs > p.summary.p50Us * share) reasons.push(`harness cost ${harnessUs.toFixed(2)} µs per operation exceeds ${Math.round(share * 100)}% of p50`);
  if (reasons.length === 0) return undefined;
  return `${p.name} (concurrency ${p.concurrency}): the client may be the bottleneck: ${reasons.join('; ')}; use a lower concurrency or run perfbench on another machine`;
}

function flagged(p: PathResult, note?: string): PathResult {
  return { ...p, flags: [...new Set([...(p.flags ?? []), 'client-bound'])], ...(note ? { notes: [...(p.notes ?? []), note] } : {}) };
}

/** One-line warnings, and the `client-bound` flag added to the paths concerned (returns new objects). */
export function checkClientBound(paths: readonly PathResult[], options: SelfCheckOptions = {}): { paths: PathResult[]; warnings: string[] } {
  const harnessUs = harnessCostUs(paths);
  const warnings: string[] = [];
  const checked = paths.map((p) => {
    const warning = clientBoundWarning(p, harnessUs, options);
    if (warning === undefined) return p;
    warnings.push(warning);
    return flagged(p);
  });
  return { paths: checked, warnings };
}

/**
 * The same check, decided once per path and concurrency on the trials folded together, then applied
 * to every trial of a flagged group with the reason as a note. Deciding per trial flagged a path
 * whose one busy trial (91%) sat in a group below the threshold (87% over all trials), and showed
 * no reason, since the warning came from the folded figures.
 */
export function checkClientBoundByGroup(trials: readonly PathResult[], options: SelfCheckOptions = {}): { paths: PathResult[]; warnings: string[] } {
  const folded = foldTrials(trials);
  const harnessUs = harnessCostUs(folded);
  const reasons = new Map<string, string>();
  for (const p of folded) {
    const warning = clientBoundWarning(p, harnessUs, options);
    if (warning !== undefined) reasons.set(pathKey(p), warning);
  }
  const paths = trials.map((p) => (reasons.has(pathKey(p)) ? flagged(p, reasons.get(pathKey(p))) : p));
  return { paths, warnings: [...reasons.values()] };
}
