/** Use case (bench --shard): what a shard's result records about the run it is part of. */
import type { ShardRecord } from '../measure/result.js';
import type { ShardOptions } from './bench-options.js';

export function shardRecord(options: ShardOptions): ShardRecord {
  const { shard, runId, start } = options;
  const record: ShardRecord = { index: shard.index, count: shard.count, runId, start: start.kind };
  if (start.kind === 'start-at') record.startAt = new Date(start.atMs).toISOString();
  if (start.kind === 'barrier') record.barrier = start.key;
  return record;
}
