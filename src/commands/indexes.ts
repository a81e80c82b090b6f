/** Command: `perfbench index add|drop|list` — flags -> the index use cases -> one line or a table. */
import type { Command } from 'commander';
import { INDEX_METHODS } from '../db/indexes.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption } from '../flags/options.js';
import { describeAdd, describeDrop, renderIndexList } from '../report/index-text.js';
import { indexAdd, indexDrop, indexList } from '../usecases/indexes.js';
import { columnIdentifier, tableIdentifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

interface IndexFlags {
  table: string;
  column: string;
  method: string;
  concurrently?: boolean;
  name?: string;
  force?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  const index = program.command('index').description('add, drop or list the index on the filter column');
  const common = (command: Command) => command
    .option('--table <name>', 'table', REPORT_DEFAULTS.table)
    .option('--column <name>', 'column to index', REPORT_DEFAULTS.column);
  const parse = (flags: IndexFlags) => ({ table: tableIdentifier(flags.table), column: columnIdentifier(flags.column) });

  common(index.command('add'))
    .description('create the index (a present one is left alone)')
    .option('--method <m>', `index method: ${INDEX_METHODS.join(' | ')}`, 'btree')
    .option('--concurrently', 'build without blocking writes (CREATE INDEX CONCURRENTLY)')
    .addHelpText('after', '\nExample:\n  perfbench index add --column category --method btree')
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const method = choiceOption(flags.method, '--method', INDEX_METHODS);
      runtime.out.data(describeAdd(await indexAdd(runtime, { table, column, method, concurrently: Boolean(flags.concurrently) }), table, column));
    }));

  common(index.command('drop'))
    .description("drop perfbench's index on the column (others only with --name and --force)")
    .option('--name <index>', 'drop exactly this index')
    .option('--force', 'allow dropping an index perfbench did not create')
    .option('--concurrently', 'drop without blocking (DROP INDEX CONCURRENTLY)')
    .addHelpText('after', '\nExample:\n  perfbench index drop --column category')
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const dropped = await indexDrop(runtime, { table, column, name: flags.name, force: Boolean(flags.force), concurrently: Boolean(flags.concurrently) });
      runtime.out.data(describeDrop(dropped, table, column, flags.name));
    }));

  index.command('list')
    .description('every index of the table: size, scans, owner')
    .option('--table <name>', 'table', REPORT_DEFAULTS.table)
    .addHelpText('after', '\nExample:\n  perfbench index list --table products')
    .action((flags: { table: string }) => context.run(async (runtime) => {
      const table = tableIdentifier(flags.table);
      runtime.out.data(renderIndexList(table, await indexList(runtime, table)));
    }));
}
