/**
 * Server layer: the health of the fast route's cache, as the route really experiences it, and the
 * log lines of its changes.
 *
 * Three states, from what the cache last did:
 * - `up`: the last write succeeded, so /report/fast serves hits and caches its misses;
 * - `read-only`: reads answer but a write failed (Redis at maxmemory with noeviction, a replica,
 *   a full disk under AOF…): hits are served, misses are answered from the database with
 *   `X-Cache: BYPASS` and not cached;
 * - `down`: a read failed, so every report is answered from the database (BYPASS).
 *
 * Hysteresis: a successful read moves nothing; only a successful write brings the cache back `up`.
 * A cache refusing writes therefore reads as one steady state, instead of flipping between "back"
 * (GET answered) and "unavailable" (SET refused) on every miss.
 *
 * Logging: each change of state is logged once, and at most one line per `logIntervalMs` (5 s by
 * default). Changes inside that window are not lost: when it ends, one line gives the state then,
 * and how many changes it sums up.
 */
import { firstLine } from '../errors.js';

export type CacheState = 'up' | 'read-only' | 'down';

/** What `/healthz` and `/metrics` show of the cache's state. */
export interface CacheHealthSnapshot {
  state: CacheState;
  /** ISO 8601: when the cache entered this state. */
  since: string;
  /** The failure that put it there (read-only, down). */
  error?: string;
}

export interface CacheHealthOptions {
  /** The tier's label for the log lines, e.g. `redis 7.0.15`. */
  label: string;
  log: (line: string) => void;
  /** At most one state line per this many ms. */
  logIntervalMs: number;
  /** Monotonic clock, ms (default performance.now). */
  nowMs?: () => number;
  /** Wall clock for `since` (default Date.now). */
  wallMs?: () => number;
  /** Runs `fn` after `ms`; returns how to cancel it. Default: an unref'd setTimeout. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** Default bound on the cache's state lines: one per 5 s. */
export const DEFAULT_CACHE_LOG_INTERVAL_MS = 5_000;

function defaultSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

export class CacheHealth {
  private current: CacheState = 'up';
  private sinceWallMs: number;
  private error: string | undefined;
  /** The last read's outcome: a failed write after a failed read is still `down`, not `read-only`. */
  private lastReadOk = true;
  /** The state the log last told, and when (monotonic ms; undefined before the first line). */
  private logged: CacheState = 'up';
  private loggedAtMs: number | undefined;
  /** Changes since the last line. */
  private unlogged = 0;
  private cancelPending: (() => void) | undefined;
  private readonly nowMs: () => number;
  private readonly wallMs: () => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;

  constructor(private readonly options: CacheHealthOptions) {
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.wallMs = options.wallMs ?? Date.now;
    this.schedule = options.schedule ?? defaultSchedule;
    this.sinceWallMs = this.wallMs();
  }

  get state(): CacheState {
    return this.current;
  }

  snapshot(): CacheHealthSnapshot {
    const snapshot: CacheHealthSnapshot = { state: this.current, since: new Date(this.sinceWallMs).toISOString() };
    if (this.error !== undefined) snapshot.error = this.error;
    return snapshot;
  }

  /** A GET's outcome. A success changes nothing (only a write brings the cache back). */
  read(ok: boolean, error?: unknown): void {
    this.lastReadOk = ok;
    if (!ok) this.enter('down', error);
  }

  /** A SET's outcome. */
  write(ok: boolean, error?: unknown): void {
    if (ok) this.enter('up');
    else this.enter(this.lastReadOk ? 'read-only' : 'down', error);
  }

  /** Tells a change the window held back (so stopping loses no transition) and cancels the timer. */
  close(): void {
    this.cancelPending?.();
    this.cancelPending = undefined;
    if (this.unlogged > 0) this.tell(true);
  }

  private enter(state: CacheState, error?: unknown): void {
    if (state === this.current) return;
    this.current = state;
    this.sinceWallMs = this.wallMs();
    this.error = state === 'up' ? undefined : firstLine((error as Error | undefined)?.message ?? String(error ?? 'unknown error'));
    this.unlogged++;
    const now = this.nowMs();
    if (this.loggedAtMs === undefined || now - this.loggedAtMs >= this.options.logIntervalMs) {
      this.tell(false);
      return;
    }
    // Inside the window: one line when it ends, for however many changes it holds.
    this.cancelPending ??= this.schedule(() => {
      this.cancelPending = undefined;
      this.tell(true);
    }, this.loggedAtMs + this.options.logIntervalMs - now);
  }

  /**
   * One line: the state now. A line held back by the window also says when the state began and how
   * many changes the line stands for.
   */
  private tell(held: boolean): void {
    const changes = this.unlogged;
    if (changes === 0) return;
    const again = this.current === this.logged;
    let line = this.describe(again);
    if (held) {
      line += ` [${changes === 1 ? '1 state change' : `${changes} state changes`} since the last line, this state since ` +
        `${new Date(this.sinceWallMs).toISOString()}; cache state lines are limited to one per ${this.options.logIntervalMs / 1000} s]`;
    }
    this.logged = this.current;
    this.loggedAtMs = this.nowMs();
    this.unlogged = 0;
    this.options.log(line);
  }

  private describe(again: boolean): string {
    const cache = `cache (${this.options.label})`;
    const still = again ? ' again' : '';
    switch (this.current) {
      case 'up':
        return `${cache} is back${still}: a write succeeded; /report/fast caches reports again`;
      case 'read-only':
        return `${cache} refuses writes${still} (${this.error}): /report/fast serves what is cached and answers misses from the database ` +
          'with X-Cache: BYPASS, uncached, until a write succeeds';
      case 'down':
        return `${cache} unavailable${still} (${this.error}): /report/fast answers from the database with X-Cache: BYPASS until it returns`;
    }
  }
}
