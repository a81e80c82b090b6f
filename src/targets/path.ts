/**
 * Targets: what `perfbench bench` knows about a timed path beyond the runner's `Target`: how to
 * make the Target for one run at a given concurrency, what to record next to its figures (the plan
 * it ran, whether its cache hits were real), and how to let go of what it holds. One file per path in
 * src/targets/; the registry (registry.ts) lists them, so a new path (HTTP…) is one more entry.
 */
import type pg from 'pg';
import type { CacheTier } from '../cache/tier.js';
import type { CacheCheck, PlanSummary, ServerTimingRecord } from '../measure/result.js';
import type { CategorySequence } from '../workload/sequence.js';
import type { Target, TargetKind } from '../measure/target.js';
import type { Workload } from '../workload/workload.js';

// What a path finds is recorded in the result contract, so its types live there; re-exported for
// the paths that build them.
export type { CacheCheck, PlanSummary } from '../measure/result.js';

/** What every path is built from; the bench command fills it once per run. */
export interface PathContext {
  /** Opens one new connection to the benchmarked database; the path closes what it opens. */
  connect(): Promise<pg.Client>;
  /** What every path times: the statement, its filter target and its body. */
  workload: Workload;
  /** The categories operation i asks for: identical for every path. */
  sequence: CategorySequence;
  /** The cache tier (resolved on first use). */
  cache(): Promise<CacheTier>;
  /** The key namespace of this bench run: dataset fingerprint, table, column and a run id. */
  keyNamespace: string;
  ttlSeconds: number;
  /** Ctrl-C: long setup work (the cache fill) stops early. */
  signal: AbortSignal;
  /** The `perfbench serve` the HTTP paths time (`bench --http`); absent when no HTTP path runs. */
  http?: HttpServerInfo;
}

/** Where the HTTP paths send their requests. */
export interface HttpServerInfo {
  /** e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /**
   * The server's cache-key namespace when perfbench started it (in-process) and so shares its cache
   * tier: http-fast then fills the reports straight into that namespace before warming over HTTP.
   * Absent for a server at a URL the user gave.
   */
  namespace?: string;
  /** Bound on one request, ms (the connect timeout for the reachability check). */
  timeoutMs?: number;
}

/** What a path adds to a run's result: at most one plan, a cache check, notes and flags. */
export interface RunFindings {
  plan?: PlanSummary;
  cacheCheck?: CacheCheck;
  /** HTTP paths: the server's Server-Timing breakdown and X-Cache outcomes of the measured responses. */
  serverTiming?: ServerTimingRecord;
  notes: string[];
  /** Short machine-readable warnings, e.g. `plan-mismatch`, `cache-hits-unverified`. */
  flags: string[];
}

export interface BenchPath {
  readonly name: string;
  readonly kind: TargetKind;
  /** The Target the runner drives for one run at `concurrency` workers (or outstanding ops). */
  target(concurrency: number): Target;
  /** Called after each run, outside the measurement: what to record next to its figures. */
  findings(interrupted: boolean): Promise<RunFindings>;
  /**
   * DB paths: verifies the plan once more when every path has run (a change after the path's last
   * trial still means something altered the table mid-bench). Only `plan-…` flags and their notes.
   */
  checkPlan?(): Promise<RunFindings>;
  /** Releases connections and removes what the path wrote that nobody else needs; idempotent. */
  close(): Promise<void>;
}

/** A path's registry entry. */
export interface PathDefinition {
  name: string;
  /** One line for --help. */
  description: string;
  /** The index on the filter column must exist while the path runs. */
  needsIndex: boolean;
  /** The path reads or writes the cache tier. */
  needsCache: boolean;
  /** The path talks to `perfbench serve` (`bench --http`): `PathContext.http` is set. */
  needsServer?: boolean;
  create(context: PathContext): BenchPath;
}

/**
 * One connection per worker, like pgbench's clients: an operation takes an idle connection and
 * gives it back. With at most `concurrency` operations in flight and `concurrency` connections,
 * one is always idle, so no operation waits for a connection (a pool's queue would be timed too).
 */
export class Connections {
  private readonly all: pg.Client[] = [];
  private readonly idle: pg.Client[] = [];

  constructor(
    private readonly open: () => Promise<pg.Client>,
    /** Runs once on every new connection (session settings). */
    private readonly prepare?: (client: pg.Client) => Promise<void>,
  ) {}

  get size(): number {
    return this.all.length;
  }

  /** Opens connections until there are `count`. */
  async ensure(count: number): Promise<void> {
    while (this.all.length < count) {
      const client = await this.open();
      try {
        await this.prepare?.(client);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.all.push(client);
      this.idle.push(client);
    }
  }

  /** An idle connection; give it back with `release`. */
  take(): pg.Client {
    const client = this.idle.pop();
    if (!client) throw new Error('no idle connection: more operations in flight than connections opened');
    return client;
  }

  release(client: pg.Client): void {
    this.idle.push(client);
  }

  /** Any one connection (for the plan capture), or undefined before `ensure`. */
  any(): pg.Client | undefined {
    return this.all[0];
  }

  async close(): Promise<void> {
    const all = this.all.splice(0);
    this.idle.length = 0;
    await Promise.all(all.map((client) => client.end().catch(() => undefined)));
  }
}
