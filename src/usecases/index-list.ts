/**
 * Use case: `perfbench index list`. It only reads the catalog and perfbench's records, on the lean
 * catalog session, so it loads none of what add and drop need (the run lock, index builds): a
 * module of its own keeps its start-up to what it uses (bench:startup, issue 13 item 7).
 */
import { listIndexes, requireTable, type IndexInfo } from '../db/indexes.js';
import { readIntents, type IndexIntent } from '../db/runs.js';
import type { Runtime } from '../runtime.js';
import type { Identifier } from '../workload/identifiers.js';
import { describeOwner } from './owner-text.js';

/**
 * Every index of the table (a usage error when the table does not exist). An index recorded by a
 * perfbench build is perfbench's even if the crash came before its mark; the list only reads, and
 * says which indexes a crashed run left (bench or `index drop` settles them).
 */
export async function indexList(runtime: Runtime, table: Identifier): Promise<IndexInfo[]> {
  const client = await runtime.catalog();
  const resolved = await requireTable(client, table);
  const intents = await readIntents(client, resolved);
  for (const line of orphanNotes(intents, resolved)) runtime.out.say(line);
  return withRecordedOwnership(await listIndexes(client, resolved), intents);
}

/** An index as `index list` shows it: named in a record, it is perfbench's whether or not the mark was written. */
function withRecordedOwnership(indexes: readonly IndexInfo[], intents: readonly IndexIntent[]): IndexInfo[] {
  const recorded = new Set(intents.map((intent) => intent.name));
  return indexes.map((index) => (recorded.has(index.name) && !index.owned ? { ...index, owned: true } : index));
}

/** One line per index whose owner is gone, for `index list` (which only reads: bench or `index drop` settles it). */
function orphanNotes(intents: readonly IndexIntent[], table: Identifier): string[] {
  return intents.filter((intent) => !intent.ownerConnected && intent.state !== 'absent').map((intent) => {
    const who = describeOwner(intent.owner);
    return intent.disposition === 'run' || intent.state === 'invalid'
      ? `index ${intent.name} was left behind by a perfbench ${intent.owner.command} that is gone (${who}); \`perfbench index drop --table ${table.text}\` or the next bench removes it`
      : `index ${intent.name} was built by a perfbench ${intent.owner.command} that ended before marking it (${who}); it is perfbench's`;
  });
}
