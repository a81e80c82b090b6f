/**
 * Targets: what the paths of `bench --workload` are built from (WorkloadContext, filled once per run
 * by the bench use case), and which paths there are (WorkloadPathKind). Types and names only: the
 * database paths (workload-path.ts), the HTTP paths (workload-http-path.ts) and the planning they
 * share (workload-execution.ts) all read them.
 */
import type pg from 'pg';
import type { CacheTier } from '../cache/tier.js';
import type { LibpqSession } from '../db/libpq-session.js';
import type { Script, ScriptStatement } from '../workload/pgbench/index.js';
import type { HttpRoute } from './http.js';
import type { ServerEndpoint } from './path.js';
import type { CandidateIndex, CandidateOwnership } from './workload-index.js';

/** What every workload path is built from; the bench use case fills it once per run. */
export interface WorkloadContext {
  connect(): Promise<pg.Client>;
  /**
   * bench --driver libpq: the connections the scripts' statements run on are libpq sessions opened
   * by this, whose calls block (one client per process: see libpq-session.ts); absent: node-postgres.
   * The plan capture, the no-index session settings and the cache path's misses use the same
   * sessions; an index= path's candidate is built on a node-postgres connection of its own.
   */
  connectLibpq?(): Promise<LibpqSession>;
  scripts: readonly Script[];
  seed: number;
  scale: number;
  defines: Readonly<Record<string, string>>;
  /** The value of \pb_from `name` for execution i, draw k: the same on every path. */
  draw(name: string, executionIndex: number, k: number): string;
  /** Tries per execution (1: no retry). */
  maxTries: number;
  cache(): Promise<CacheTier>;
  /** The cache keys' namespace: run id and dataset version. */
  keyNamespace: string;
  ttlSeconds: number;
  signal: AbortSignal;
  /** Who records the index= paths' candidate builds (the run's owner, under the table's run lock); absent: not recorded. */
  indexOwnership?: CandidateOwnership;
  /**
   * bench --workers, in a thread: an index= path's candidate index is built and dropped around each
   * run by the process (the path's beforeThreadedRun/afterThreadedRun there), not by this path.
   */
  sharedCandidate?: boolean;
  /** Test hook: told every statement step planned for execution i on a path (the bound values). */
  onStep?(path: string, executionIndex: number, statement: ScriptStatement, values: readonly string[]): void;
  /**
   * bench --replica-url: the replicas the executions of read-only scripts go to (round-robin per
   * operation; a script with a statement that writes runs on the primary, `connect`), the primary's
   * `host:port`, and a wait until the replicas have replayed what the primary wrote so far (a candidate index).
   */
  replicas?: { readServers: ServerEndpoint[]; primaryLabel: string; catchUp(): Promise<void> };
  /** bench --http: the perfbench serve --workload that the http-slow and http-fast paths send the read statements to. */
  http?: { baseUrl: string; timeoutMs?: number };
}

export type { CandidateIndex };

export type WorkloadPathKind =
  | { kind: 'as-is' }
  | { kind: 'no-index' }
  | { kind: 'index'; index: CandidateIndex }
  | { kind: 'cache' }
  /** bench --http: each read statement as a GET of perfbench serve --workload's route (slow or fast). */
  | { kind: 'http'; route: HttpRoute };

/** The name a workload path has in tables and comparisons. */
export function workloadPathName(kind: WorkloadPathKind): string {
  if (kind.kind === 'http') return `http-${kind.route}`;
  return kind.kind === 'index' ? `index=${kind.index.expression}` : kind.kind;
}

