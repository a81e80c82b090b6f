/**
 * Flags: `bench --replica-url URL` (repeatable) and `--replica-timeout`: the read replicas the read
 * paths use, parsed into options (PERFBENCH_REPLICA_URLS in the configuration when no flag is given).
 * Pure: a malformed URL is a one-line usage error (exit 2).
 */
import { parseReplicaUrls, type ReplicaUrl } from '../config.js';
import { usageError } from '../errors.js';
import { durationOption } from './options.js';

export interface ReplicaFlags {
  replicaUrl?: string[];
  replicaTimeout?: string;
}

/** How long bench waits, by default, for the replicas to replay the primary's setup (dataset, index). */
export const DEFAULT_REPLICA_TIMEOUT_MS = 60_000;

export const REPLICA_FLAG_HELP = {
  replicaUrl: 'a read replica of the database: the read paths go round-robin to the replicas, per operation; writes to the primary (repeatable; env PERFBENCH_REPLICA_URLS, comma-separated)',
  replicaTimeout: `how long to wait for the replicas to replay the run's setup (dataset, index) before measuring (default ${DEFAULT_REPLICA_TIMEOUT_MS / 1000}s)`,
} as const;

export interface ReplicaOptions {
  /** From --replica-url; absent: the configuration's (PERFBENCH_REPLICA_URLS), if any. */
  replicaUrls?: ReplicaUrl[];
  replicaTimeoutMs: number;
}

export function replicaOptions(flags: ReplicaFlags): ReplicaOptions {
  const problems: string[] = [];
  const urls = flags.replicaUrl?.length ? parseReplicaUrls(flags.replicaUrl, 'flag --replica-url', problems) : undefined;
  if (problems.length) throw usageError(problems.join('; '), 'pass the URL of a streaming replica, e.g. --replica-url postgres://10.0.0.2:5432');
  const replicaTimeoutMs = flags.replicaTimeout === undefined ? DEFAULT_REPLICA_TIMEOUT_MS : durationOption(flags.replicaTimeout, '--replica-timeout');
  return { ...(urls ? { replicaUrls: urls } : {}), replicaTimeoutMs };
}
