import type { Command } from 'commander';
import Table from 'cli-table3';
import { columnIdentifier, printable, tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { addIndex, defaultIndexName, dropIndexNamed, dropIndexes, requireTable, INDEX_METHODS, listIndexes, type AddIndexOutcome, type IndexInfo, type IndexMethod } from '../db/indexes.js';
import { interruptedError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption, formatBytes, formatCount } from '../flags/options.js';

interface IndexFlags {
  table: string;
  column: string;
  method: string;
  concurrently?: boolean;
  name?: string;
  force?: boolean;
}

/** Creates the index (idempotent). Ctrl-C cancels the build; a concurrent build's leftovers are dropped. */
export async function indexAdd(runtime: Runtime, table: Identifier, column: Identifier, method: IndexMethod, concurrently: boolean): Promise<AddIndexOutcome> {
  const client = await runtime.client();
  const name = defaultIndexName(table, column, method);
  const existedBefore = (await listIndexes(client, table)).some((index) => index.name === name);
  const stopCancelling = runtime.cancelOnAbort(client);
  try {
    return await addIndex(client, { table, column, method, concurrently });
  } catch (error) {
    if (!runtime.signal.aborted) throw error;
    // Ctrl-C can land after the build committed (on the statements that follow it): an index this
    // call created must not outlive the interruption, whatever statement the cancel hit.
    if (!existedBefore) await dropIndexNamed(client, table, name);
    throw interruptedError(`index build cancelled; no index was left behind on ${table.text}`);
  } finally {
    stopCancelling();
  }
}

export function describeAdd(outcome: AddIndexOutcome, table: Identifier, column: Identifier): string {
  if (!outcome.created) return `index ${outcome.name} on ${table.text}(${column.text}) is already present (${formatBytes(outcome.bytes)}); nothing to do`;
  const replaced = outcome.replacedInvalid ? ' (replaced an invalid index left by an interrupted build)' : '';
  return `created index ${outcome.name} on ${table.text}(${column.text}) in ${(outcome.buildMs / 1000).toFixed(2)} s, ${formatBytes(outcome.bytes)}${replaced}`;
}

export function renderIndexList(table: Identifier, indexes: IndexInfo[]): string {
  if (indexes.length === 0) return `${table.text} has no indexes`;
  const grid = new Table({ head: ['index', 'method', 'columns', 'size', 'scans', 'valid', 'owner'], style: { head: [], border: [] } });
  for (const index of indexes) {
    grid.push([index.name, index.method, index.columns.join(', '), formatBytes(index.bytes), formatCount(index.scans),
      index.valid ? 'yes' : 'NO', index.owned ? 'perfbench' : index.primary ? 'primary key' : 'other']);
  }
  return grid.toString();
}

export function register(program: Command, context: CommandContext): void {
  const index = program.command('index').description('add, drop or list the index on the filter column');
  const common = (command: Command) => command
    .option('--table <name>', 'table', 'products')
    .option('--column <name>', 'column to index', 'category');
  const parse = (flags: IndexFlags) => ({ table: tableIdentifier(flags.table), column: columnIdentifier(flags.column) });

  common(index.command('add'))
    .description('create the index (a present one is left alone)')
    .option('--method <m>', `index method: ${INDEX_METHODS.join(' | ')}`, 'btree')
    .option('--concurrently', 'build without blocking writes (CREATE INDEX CONCURRENTLY)')
    .addHelpText('after', '\nExample:\n  perfbench index add --column category --method btree')
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const method = choiceOption(flags.method, '--method', INDEX_METHODS);
      runtime.out.data(describeAdd(await indexAdd(runtime, table, column, method, Boolean(flags.concurrently)), table, column));
    }));

  common(index.command('drop'))
    .description("drop perfbench's index on the column (others only with --name and --force)")
    .option('--name <index>', 'drop exactly this index')
    .option('--force', 'allow dropping an index perfbench did not create')
    .option('--concurrently', 'drop without blocking (DROP INDEX CONCURRENTLY)')
    .addHelpText('after', '\nExample:\n  perfbench index drop --column category')
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const client = await runtime.client();
      // A DROP INDEX can wait on a lock: Ctrl-C cancels it (the drop then did not happen).
      const stopCancelling = runtime.cancelOnAbort(client);
      let dropped: string[];
      try {
        dropped = await dropIndexes(client, { table, column, name: flags.name, force: Boolean(flags.force), concurrently: Boolean(flags.concurrently) });
      } catch (error) {
        if (runtime.signal.aborted) throw interruptedError(`index drop cancelled; \`perfbench index list --table ${table.text}\` shows what remains`);
        throw error;
      } finally {
        stopCancelling();
      }
      runtime.out.data(dropped.length > 0
        ? `dropped ${dropped.join(', ')} from ${table.text}`
        : `no ${flags.name ? `index ${printable(flags.name)}` : `perfbench index on ${table.text}(${column.text})`} to drop; nothing to do`);
    }));

  index.command('list')
    .description('every index of the table: size, scans, owner')
    .option('--table <name>', 'table', 'products')
    .addHelpText('after', '\nExample:\n  perfbench index list --table products')
    .action((flags: { table: string }) => context.run(async (runtime) => {
      const table = tableIdentifier(flags.table);
      const client = await runtime.client();
      await requireTable(client, table);
      runtime.out.data(renderIndexList(table, await listIndexes(client, table)));
    }));
}
