/**
 * Targets: a DB path's connections when its operations go to several servers (`bench --replica-url`):
 * one `Connections` per server (each with the path's session settings, reconnects and outages), and
 * the per-server figures of the run.
 *
 * Reads are spread round-robin **per operation**: operation i goes to read server i mod n. Why not
 * per connection (worker k to server k mod n, as a driver's host list does)? At concurrency 1, or
 * any level below the number of replicas, that leaves replicas idle, so the split would depend on
 * --concurrency; per operation it is exact at every level, deterministic, and operation i asks the
 * same server for the same value on every path, so the paths' per-server figures compare like with
 * like. The cost: each worker holds one connection per server (concurrency x servers in all).
 */
import type pg from 'pg';
import { ServerStats, type ServerRecord } from '../measure/servers.js';
import { firstLine } from '../errors.js';
import { Connections, type ConnectionOutage, type ConnectionsOptions, type PathContext, type PooledClient, type RunFindings, type ServerEndpoint } from './path.js';
import type { PlanWatch } from './plan-check.js';

/** The servers the context's reads go to: its replicas, else the primary alone. */
export function readEndpoints(context: Pick<PathContext, 'connect' | 'readServers'>): ServerEndpoint[] {
  return context.readServers?.length ? context.readServers : [{ label: 'primary', role: 'primary', connect: context.connect }];
}

export class RoutedConnections<C extends PooledClient = pg.Client> {
  private readonly pools: Connections<C>[];
  /** Only with replicas: a path on one server times nothing per server, and needs no histogram for it. */
  private readonly stats: ServerStats | undefined;
  private readonly reads: number[];
  /** Replicas are in play: only then are operations timed per server (no cost without them). */
  readonly routed: boolean;

  constructor(readonly servers: readonly ServerEndpoint<C>[], options: ConnectionsOptions<C> = {}) {
    this.pools = servers.map((server) => new Connections(server.connect, options));
    const replicas = servers.flatMap((s, k) => (s.role === 'replica' ? [k] : []));
    this.reads = replicas.length ? replicas : servers.map((_, k) => k);
    this.routed = replicas.length > 0;
    this.stats = this.routed ? new ServerStats(servers.map((s) => ({ label: s.label, role: s.role }))) : undefined;
  }

  /** The server operation i reads from: round-robin over the replicas (or the servers there are). */
  readServer(index: number): number {
    return this.reads[index % this.reads.length]!;
  }

  /** The primary's position in `servers` (writes go there), or -1 when it is not among them. */
  get primary(): number {
    return this.servers.findIndex((s) => s.role === 'primary');
  }

  async ensure(concurrency: number): Promise<void> {
    for (const pool of this.pools) await pool.ensure(concurrency);
  }

  /** Runs `work` on server k's idle connection; with replicas, the operation counts for that server. */
  async use<T>(k: number, work: (client: C) => Promise<T>): Promise<T> {
    const stats = this.stats;
    if (!stats) return this.pools[k]!.use(work);
    const started = performance.now();
    try {
      const result = await this.pools[k]!.use(work);
      stats.record(k, (performance.now() - started) * 1000, false);
      return result;
    } catch (error) {
      stats.record(k, 0, true);
      throw error;
    }
  }

  /**
   * Runs `work` at once on server k's idle connection (Connections.useNow), when it can; never with
   * replicas, whose per-server timing is `use`'s.
   */
  useNow<A>(k: number, work: (client: C, arg: A) => void, arg: A): boolean {
    return !this.stats && this.pools[k]!.useNow(work, arg);
  }

  /** The measured phase starts: the per-server counts start from zero (the warm-up is left out). */
  resetStats(): void {
    this.stats?.reset();
  }

  /** With replicas: each server's operations and latency in the run; else undefined. */
  serverRecords(): ServerRecord[] | undefined {
    return this.stats?.records();
  }

  /** A live connection to server k, if any (plan checks run on the server that ran the path). */
  any(k = 0): C | undefined {
    return this.pools[k]?.any();
  }

  /** Every server's outages since the last call; with replicas each names its server. */
  takeOutages(): ConnectionOutage[] {
    return this.pools.flatMap((pool, k) => pool.takeOutages().map((o) => (this.routed ? { ...o, server: this.servers[k]!.label } : o)));
  }

  async close(): Promise<void> {
    // WASM histograms are not garbage-collected: a closed path's would stay for the life of the process.
    this.stats?.destroy();
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

/**
 * The plan check of a path on every server it read from, one PlanWatch each (`watches[k]` for read
 * server k): the first server's plan is the path's; a mismatch or change on any server flags the
 * path, its note naming the server. A server without a live connection (stopped mid-run) is skipped.
 */
export async function checkPlansOn(routed: RoutedConnections, watches: ReadonlyMap<number, PlanWatch>, onlyStarted = false): Promise<RunFindings> {
  const findings: RunFindings = { notes: [], flags: [] };
  for (const [k, watch] of watches) {
    const client = routed.any(k);
    if (!client || (onlyStarted && !watch.started)) continue;
    const where = routed.routed ? ` (on ${routed.servers[k]!.role} ${routed.servers[k]!.label})` : '';
    let found: RunFindings;
    try {
      found = await watch.check(client);
    } catch (error) {
      if (!routed.routed) throw error;
      found = { notes: [`the plan check failed: ${firstLine((error as Error).message)}`], flags: ['check-failed'] };
    }
    if (found.plan && !findings.plan) findings.plan = found.plan;
    findings.notes.push(...found.notes.map((note) => note + where));
    for (const flag of found.flags) if (!findings.flags.includes(flag)) findings.flags.push(flag);
  }
  return findings;
}

/** One PlanWatch per server the path reads from. */
export function watchesFor(routed: RoutedConnections, make: () => PlanWatch): Map<number, PlanWatch> {
  const reads = new Set(routed.servers.map((_, k) => routed.readServer(k)));
  return new Map([...reads].map((k) => [k, make()]));
}
