/**
 * Targets: what `perfbench bench` knows about a timed path beyond the runner's `Target`: how to
 * make the Target for one run at a given concurrency, what to record next to its figures (the plan
 * it ran, whether its cache hits were real), and how to let go of what it holds. One file per path in
 * src/targets/; the registry (registry.ts) lists them, so a new path (HTTP…) is one more entry.
 */
import type pg from 'pg';
import type { CacheTier } from '../cache/tier.js';
import { isUnavailable } from '../db/availability.js';
import { firstLine } from '../errors.js';
import type { CacheCheck, ConnectionOutage, PlanSummary, ServerTimingRecord, WorkloadRecord } from '../measure/result.js';
import type { ServerRecord } from '../measure/servers.js';
import type { CategorySequence } from '../workload/sequence.js';
import type { Target, TargetKind } from '../measure/target.js';
import type { Workload } from '../workload/workload.js';

// What a path finds is recorded in the result contract, so its types live there; re-exported for
// the paths that build them.
export type { CacheCheck, ConnectionOutage, PlanSummary } from '../measure/result.js';

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
  /**
   * Where the paths' reads go (`bench --replica-url`): the replicas, round-robin per operation
   * (routed-connections.ts). Absent: every read goes to `connect`'s server, the primary.
   */
  readServers?: ServerEndpoint[];
}

/** A server a path sends operations to, and how to open a connection to it. */
export interface ServerEndpoint<C extends PooledClient = pg.Client> {
  /** `host:port`, as reports name it. */
  label: string;
  role: 'primary' | 'replica';
  connect(): Promise<C>;
}

/**
 * What Connections keeps: a node-postgres client, or a libpq session (bench --driver libpq). `on`:
 * told when the connection ends or errs on its own (pg). `alive`: asked, before each run, whether
 * an idle connection still stands, without a round trip (libpq, whose calls block and emit
 * nothing). With neither, a lost connection shows only as an operation's failure.
 */
export interface PooledClient {
  end(): Promise<unknown>;
  on?(event: 'end' | 'error', listener: () => void): unknown;
  alive?(): boolean;
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
  /** DB paths: the stretches in which the path had no connection to PostgreSQL (a restart…). */
  outages?: ConnectionOutage[];
  /** Workload paths (`bench --workload`): per-statement histograms, script counts, failures, retries. */
  workload?: WorkloadRecord;
  /** DB paths with read replicas: each server's operations and latency. */
  servers?: ServerRecord[];
  notes: string[];
  /** Short machine-readable warnings, e.g. `plan-mismatch`, `cache-hits-unverified`. */
  flags: string[];
}

export interface BenchPath {
  readonly name: string;
  readonly kind: TargetKind;
  /**
   * The Target the runner drives for one run at `concurrency` workers (or outstanding ops);
   * `runConcurrency`, when this target makes a share of a run (a worker thread's), is the whole run's.
   */
  target(concurrency: number, runConcurrency?: number): Target;
  /** Called after each run, outside the measurement: what to record next to its figures. */
  findings(interrupted: boolean): Promise<RunFindings>;
  /**
   * DB paths: verifies the plan once more when every path has run (a change after the path's last
   * trial still means something altered the table mid-bench). Only `plan-…` flags and their notes.
   */
  checkPlan?(): Promise<RunFindings>;
  /**
   * bench --workers: what the process sets up once around each run its threads make of this path
   * (a workload's candidate index, which the threads' own paths then share), and takes down after it.
   */
  beforeThreadedRun?(): Promise<void>;
  afterThreadedRun?(): Promise<void>;
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

/** How a lost connection is replaced: the first retry after `firstDelayMs`, doubling up to `maxDelayMs`. */
export interface ReconnectPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

/** 50 ms, 100, 200, 400, 800, then every second: a restart of a few seconds costs a handful of attempts. */
export const DEFAULT_RECONNECT: ReconnectPolicy = { firstDelayMs: 50, maxDelayMs: 1_000 };

/** The wait before reconnect attempt `attempt` (1-based) of an outage. */
export function reconnectDelayMs(attempt: number, policy: ReconnectPolicy = DEFAULT_RECONNECT): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.firstDelayMs * 2 ** (attempt - 2), policy.maxDelayMs);
}

export interface ConnectionsOptions<C extends PooledClient = pg.Client> {
  /** Runs once on every new connection (session settings), replacements included. */
  prepare?: (client: C) => Promise<void>;
  /** Ctrl-C: a wait for the next reconnect attempt ends at once. */
  signal?: AbortSignal;
  policy?: ReconnectPolicy;
}

/** An outage while it lasts. */
interface OpenOutage {
  startedMs: number;
  attempts: number;
  error: string;
}

/**
 * One connection per worker, like pgbench's clients: an operation takes an idle connection and
 * gives it back. With at most `concurrency` operations in flight and `concurrency` connections,
 * one is always idle, so no operation waits for a connection (a pool's queue would be timed too).
 *
 * A connection the server ended (a restart, a terminated backend, a network cut) is replaced, with a
 * bounded backoff: while the server is down, each operation that needs a connection waits for the
 * next reconnect attempt (at once, then 50 ms, doubling up to 1 s; one attempt at a time for all
 * workers), and fails if it fails. So the operations of an outage are counted as errors without
 * spinning: a few per second, not hundreds of thousands. The outage's window, from the first failed
 * operation to the reconnect that ended it (or to the end of the run), is kept for the path's
 * findings (`takeOutages`).
 */
export class Connections<C extends PooledClient = pg.Client> {
  private readonly all: C[] = [];
  private readonly idle: C[] = [];
  /** Clients the server or the network ended: replaced before their next use. */
  private readonly lost = new WeakSet<C>();
  private readonly policy: ReconnectPolicy;
  private outage: OpenOutage | undefined;
  /** Outages that ended since the last `takeOutages`. */
  private readonly ended: ConnectionOutage[] = [];
  /** The reconnect attempt in flight: other workers wait for its outcome instead of making their own. */
  private attempt: Promise<void> | undefined;
  private notBeforeMs = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<C>,
    /** Session settings for every new connection, or the options. */
    options?: ((client: C) => Promise<void>) | ConnectionsOptions<C>,
  ) {
    const o: ConnectionsOptions<C> = typeof options === 'function' ? { prepare: options } : options ?? {};
    this.prepare = o.prepare;
    this.signal = o.signal;
    this.policy = o.policy ?? DEFAULT_RECONNECT;
  }

  private readonly prepare: ((client: C) => Promise<void>) | undefined;
  private readonly signal: AbortSignal | undefined;

  get size(): number {
    return this.all.length;
  }

  /**
   * Opens connections until there are `count`, outside any measurement. A connection lost since the
   * last run is replaced here too, if the server answers; if it does not, the run starts anyway and
   * its operations wait for the reconnects (so the outage shows as errors, not as a failed setup).
   */
  async ensure(count: number): Promise<void> {
    // A connection the server ended while it sat idle between runs is replaced now, not found by
    // the run's first operation on it (which would count a failure the run did not cause).
    for (const client of this.all) if (!this.lost.has(client) && client.alive?.() === false) this.lost.add(client);
    for (const [i, client] of this.all.entries()) {
      if (!this.lost.has(client)) continue;
      try {
        const fresh = await this.connect();
        this.swap(client, fresh, i);
        this.recovered();
      } catch (error) {
        this.attemptFailed(error);
        break;
      }
    }
    while (this.all.length < count) {
      const client = await this.connect();
      this.all.push(client);
      this.idle.push(client);
    }
  }

  /**
   * Runs `work` on an idle connection (a live one: a lost connection is replaced first). A failure
   * that means the connection is gone marks it lost and starts an outage; the error is rethrown, so
   * the operation counts as an error of the path.
   */
  async use<T>(work: (client: C) => Promise<T>): Promise<T> {
    let client = this.idle.pop();
    if (!client) throw new Error('no idle connection: more operations in flight than connections opened');
    try {
      if (this.lost.has(client)) client = await this.replace(client);
      try {
        const result = await work(client);
        return result;
      } catch (error) {
        this.failedOn(client, error);
        throw error;
      }
    } finally {
      this.idle.push(client);
    }
  }

  /**
   * Runs `work(client, arg)` at once, synchronously, on an idle live connection (`arg` spares the
   * caller a closure per operation), and says whether it could: with
   * none (or a lost one, which only `use` replaces) it returns false and the caller takes `use`.
   * For a client whose calls block (a libpq session): its operation then costs no promise at all.
   * A failure marks the connection as `use` does, and is rethrown.
   */
  useNow<A>(work: (client: C, arg: A) => void, arg: A): boolean {
    const client = this.idle.at(-1);
    if (client === undefined || this.lost.has(client)) return false;
    this.idle.pop();
    try {
      work(client, arg);
      return true;
    } catch (error) {
      this.failedOn(client, error);
      throw error;
    } finally {
      this.idle.push(client);
    }
  }

  /** Any one live connection (for the plan capture), or undefined before `ensure` or while all are lost. */
  any(): C | undefined {
    return this.all.find((client) => !this.lost.has(client));
  }

  /**
   * The outages since the last call (the path calls it after each run): those that ended, and the
   * one still going on, recorded as such (no `endedAt`). Either way each record lies within one
   * run: an outage still going on is closed here, and the next run, whose setup tries to reconnect,
   * records its own if that fails too. (Ending it at the next run's reconnect would stretch it over
   * the other paths' runs, when this path was not even trying.)
   */
  takeOutages(nowMs = Date.now()): ConnectionOutage[] {
    const out = this.ended.splice(0);
    if (this.outage) out.push(describeOutage(this.outage, undefined, nowMs));
    this.outage = undefined;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.all.splice(0);
    this.idle.length = 0;
    await Promise.all(all.map((client) => client.end().catch(() => undefined)));
  }

  /** A new connection with its session settings; it is marked lost as soon as it ends or errs. */
  private async connect(): Promise<C> {
    const client = await this.open();
    const lose = (): void => {
      this.lost.add(client);
    };
    client.on?.('end', lose);
    client.on?.('error', lose);
    try {
      await this.prepare?.(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('connections closed');
    }
    return client;
  }

  /**
   * A replacement for a lost connection: waits for the backoff (or for the attempt another worker
   * is making), then connects. Throws when the attempt fails; the lost client stays in its slot.
   */
  private async replace(dead: C): Promise<C> {
    for (;;) {
      if (this.signal?.aborted) throw new Error('interrupted while reconnecting to PostgreSQL');
      const pending = this.attempt;
      if (pending) {
        // Another worker is already trying: its outcome says whether the server is back.
        await pending.catch(() => undefined);
        if (this.outage) throw new Error(`PostgreSQL connection lost; reconnecting (${this.outage.error})`);
        continue;
      }
      const waitMs = this.notBeforeMs - Date.now();
      if (waitMs <= 0) break;
      await sleep(waitMs, this.signal);
    }
    let fresh: C | undefined;
    const attempt = (async () => {
      fresh = await this.connect();
    })();
    this.attempt = attempt;
    try {
      await attempt;
    } catch (error) {
      this.attemptFailed(error);
      throw new Error(`PostgreSQL connection lost; reconnect failed: ${firstLine(messageOf(error))}`);
    } finally {
      if (this.attempt === attempt) this.attempt = undefined;
    }
    this.swap(dead, fresh!);
    this.recovered();
    return fresh!;
  }

  /** A reconnect attempt failed: the outage goes on, and the next attempt waits longer (capped). */
  private attemptFailed(error: unknown): void {
    this.failed(error);
    const outage = this.outage!;
    outage.attempts++;
    this.notBeforeMs = Date.now() + reconnectDelayMs(outage.attempts + 1, this.policy);
  }

  /** Puts `fresh` where `dead` was (in `all`; the caller puts it back in `idle`) and ends `dead`. */
  private swap(dead: C, fresh: C, at = this.all.indexOf(dead)): void {
    if (at >= 0) this.all[at] = fresh;
    else this.all.push(fresh);
    const idleAt = this.idle.indexOf(dead);
    if (idleAt >= 0) this.idle[idleAt] = fresh;
    void dead.end().catch(() => undefined);
  }

  /** An operation on `client` failed: if for want of a connection, it is lost, and the outage starts (or goes on). */
  private failedOn(client: C, error: unknown): void {
    if (this.lost.has(client) || isUnavailable(error)) {
      this.lost.add(client);
      this.failed(error);
    }
  }

  /** An operation or a reconnect failed for want of a connection: the outage starts (or goes on). */
  private failed(error: unknown): void {
    this.outage ??= { startedMs: Date.now(), attempts: 0, error: firstLine(messageOf(error)) };
  }

  /** A reconnect succeeded: the outage, if any, ends now (the successful attempt counts). */
  private recovered(): void {
    this.notBeforeMs = 0;
    const outage = this.outage;
    if (!outage) return;
    outage.attempts++;
    this.outage = undefined;
    const now = Date.now();
    this.ended.push(describeOutage(outage, now, now));
  }
}

function describeOutage(outage: OpenOutage, endedMs: number | undefined, nowMs: number): ConnectionOutage {
  const record: ConnectionOutage = {
    startedAt: new Date(outage.startedMs).toISOString(),
    durationMs: Math.max(0, (endedMs ?? nowMs) - outage.startedMs),
    reconnectAttempts: outage.attempts,
    error: outage.error,
  };
  if (endedMs !== undefined) record.endedAt = new Date(endedMs).toISOString();
  return record;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
