/**
 * Use case (bench --shard): a shard changes nothing on the table. N processes seeding the default
 * dataset, or creating and dropping the run's index, at once would race each other, and the first
 * shard to finish would drop the index while the others still measure it. So the table is prepared
 * once, before the shards start (`perfbench seed`, `perfbench index add`), and each shard only
 * checks that it is (one line, exit 2, naming the command that prepares it).
 */
import type pg from 'pg';
import { listIndexes } from '../db/indexes.js';
import { tableInfo } from '../db/products.js';
import { usageError } from '../errors.js';
import type { Identifier } from '../workload/identifiers.js';
import type { FilterTarget } from '../workload/workload.js';

export async function requireDataset(client: pg.ClientBase, table: Identifier): Promise<void> {
  const info = await tableInfo(client, table);
  if (info?.hasRows) return;
  throw usageError(`table ${table.text} ${info ? 'is empty' : 'does not exist'}, and a shard (--shard) does not seed it`,
    `seed it once before starting the shards: perfbench seed --table ${table.text}`);
}

/** The index the index path reads: a valid, whole-table index led by the filter column. */
export async function requireRunIndex(client: pg.ClientBase, filter: FilterTarget): Promise<void> {
  const indexes = await listIndexes(client, filter.table);
  if (indexes.some((i) => i.valid && !i.partial && i.columns[0] === filter.column.name)) return;
  throw usageError(`${filter.table.text} has no index on ${filter.column.text}, and a shard (--shard) does not create one`,
    `create it once before starting the shards (perfbench index add --table ${filter.table.text} --column ${filter.column.text}) and drop it after (perfbench index drop …), or leave the index path out of --paths`);
}
