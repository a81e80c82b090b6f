/**
 * Flags layer: the run-lock flags, shared by bench, index add and index drop (see
 * usecases/table-lease.ts). A module of their own so that `index` loads them without the bench
 * flags, which pull in every path, reporter and the histograms.
 */
import { usageError } from '../errors.js';
import { DEFAULT_LOCK_TIMEOUT_MS, type LockOptions } from '../usecases/lock-options.js';
import { durationOption } from './options.js';

export interface LockFlags {
  lockTimeout?: string;
  /** False with `--no-wait` (commander's negated option). */
  wait?: boolean;
}

export const LOCK_FLAG_HELP = {
  lockTimeout: `how long to wait for another perfbench run on the same table, e.g. 30s or 10m (default ${DEFAULT_LOCK_TIMEOUT_MS / 60_000}m)`,
  noWait: 'fail at once (exit 1) when another perfbench run is using the table',
} as const;

/** `--lock-timeout` / `--no-wait` -> how long to wait for another run on the same table. */
export function lockOptions(flags: LockFlags): LockOptions {
  if (flags.wait === false && flags.lockTimeout !== undefined) throw usageError('give either --no-wait or --lock-timeout, not both');
  const timeoutMs = flags.lockTimeout === undefined ? DEFAULT_LOCK_TIMEOUT_MS : durationOption(flags.lockTimeout, '--lock-timeout', true);
  return { wait: flags.wait !== false, timeoutMs };
}
