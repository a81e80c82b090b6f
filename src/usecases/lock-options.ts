/**
 * Use case: how long a command waits for another run on the same table (table-lease.ts). Apart from
 * the lease so that the flags (and so `perfbench index --help`) can name the default without loading
 * the lease, which loads the PostgreSQL driver.
 */

/** Long enough for a default bench (about a minute) and a few more in a queue of CI jobs. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

/** How long to wait for another run on the same table. */
export interface LockOptions {
  /** False: fail at once when another run holds the table (`--no-wait`). */
  wait: boolean;
  /** Bound on the wait (`--lock-timeout`); 0 is the same as not waiting. */
  timeoutMs: number;
}

export const DEFAULT_LOCK: LockOptions = { wait: true, timeoutMs: DEFAULT_LOCK_TIMEOUT_MS };
