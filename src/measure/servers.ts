/**
 * Measurement domain (pure): a DB path's figures per server, when its operations go to several
 * (`bench --replica-url`: reads round-robin over the replicas, writes to the primary). Each server's
 * latencies go into an HDR histogram of their own, encoded into the result so trials and `merge`
 * add them exactly, like the path's own.
 */
import { addEncoded, LatencyHistogram, summarize, summarizeEncoded, type LatencySummary } from './histogram.js';

/** One server a path sent operations to: its share of them and their latency (successful ones). */
export interface ServerRecord {
  /** `host:port`, as the report names it (never credentials). */
  server: string;
  role: 'primary' | 'replica';
  ops: number;
  errors: number;
  summary: LatencySummary;
  /** HdrHistogram compressed base64, microseconds. */
  histogram: string;
}

interface ServerCounts {
  server: string;
  role: ServerRecord['role'];
  ops: number;
  errors: number;
  histogram: LatencyHistogram;
}

/** The per-server counters of one path's run; `reset` when the measured phase starts (warm-up out). */
export class ServerStats {
  private counts: ServerCounts[] = [];

  constructor(private readonly servers: ReadonlyArray<{ label: string; role: ServerRecord['role'] }>) {
    this.reset();
  }

  reset(): void {
    for (const c of this.counts) c.histogram.destroy();
    this.counts = this.servers.map((s) => ({ server: s.label, role: s.role, ops: 0, errors: 0, histogram: LatencyHistogram.create() }));
  }

  /** An operation on server `k` that took `us` microseconds (or failed). */
  record(k: number, us: number, failed: boolean): void {
    const c = this.counts[k]!;
    if (failed) c.errors++;
    else {
      c.ops++;
      c.histogram.record(us);
    }
  }

  records(): ServerRecord[] {
    return this.counts.map((c) => ({ server: c.server, role: c.role, ops: c.ops, errors: c.errors, summary: summarize(c.histogram), histogram: c.histogram.encode() }));
  }

  /** Frees the histograms (WASM memory, never reclaimed otherwise); no records after this. */
  destroy(): void {
    for (const c of this.counts) c.histogram.destroy();
    this.counts = [];
  }
}

/** The records of several runs of one path (trials, or sources merged), added server by server. */
export function combineServers(parts: ReadonlyArray<readonly ServerRecord[] | undefined>): ServerRecord[] | undefined {
  const present = parts.filter((p): p is readonly ServerRecord[] => p !== undefined);
  if (present.length === 0) return undefined;
  const groups = new Map<string, ServerRecord[]>();
  for (const record of present.flat()) {
    const group = groups.get(record.server);
    if (group) group.push(record);
    else groups.set(record.server, [record]);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return group[0]!;
    const histogram = addEncoded(group.map((r) => r.histogram));
    return { ...group[0]!, ops: group.reduce((n, r) => n + r.ops, 0), errors: group.reduce((n, r) => n + r.errors, 0), summary: summarizeEncoded(histogram), histogram };
  });
}
