/** Command: `perfbench index add|drop|list` — flags -> the index use cases -> one line or a table. */
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import { INDEX_METHODS } from '../db/indexes.js';
import { LOCK_FLAG_HELP, lockOptions, type LockFlags } from '../flags/lock-flags.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption } from '../flags/options.js';
import { columnIdentifier, tableIdentifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

interface IndexFlags extends LockFlags {
  table: string;
  column: string;
  method: string;
  concurrently?: boolean;
  name?: string;
  force?: boolean;
}

const SAFETY = `
Runs on the same table take turns: this waits for a bench (or another index add/drop) on the table,
up to --lock-timeout (--no-wait: exit 1 at once). An index perfbench builds is recorded as its own
before the build, so a crash mid-build cannot leave it unowned; what a crashed run left is settled
here (its run index dropped, a finished build marked as perfbench's), one line each.
`;

/**
 * The use cases and their reporter, loaded when an action runs (the PostgreSQL driver, the run lock,
 * cli-table3): `perfbench index … --help` and a flag's usage error do without them.
 */
const loadIndexing = () => Promise.all([import('../usecases/indexes.js'), import('../report/index-text.js')]);

export function register(program: Command, context: CommandContext): void {
  const index = program.command('index').description(COMMAND_SUMMARIES.index);
  const common = (command: Command) => command
    .option('--table <name>', 'table', REPORT_DEFAULTS.table)
    .option('--column <name>', 'column to index', REPORT_DEFAULTS.column);
  const parse = (flags: IndexFlags) => ({ table: tableIdentifier(flags.table), column: columnIdentifier(flags.column) });

  common(index.command('add'))
    .description('create the index (a present one is left alone)')
    .option('--method <m>', `index method: ${INDEX_METHODS.join(' | ')}`, 'btree')
    .option('--concurrently', 'build without blocking writes (CREATE INDEX CONCURRENTLY)')
    .option('--lock-timeout <time>', LOCK_FLAG_HELP.lockTimeout)
    .option('--no-wait', LOCK_FLAG_HELP.noWait)
    .addHelpText('after', `${SAFETY}\nExample:\n  perfbench index add --column category --method btree`)
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const method = choiceOption(flags.method, '--method', INDEX_METHODS);
      const lock = lockOptions(flags);
      const [{ indexAdd }, { describeAdd }] = await loadIndexing();
      runtime.out.data(describeAdd(await indexAdd(runtime, { table, column, method, concurrently: Boolean(flags.concurrently) }, lock), table, column));
    }));

  common(index.command('drop'))
    .description("drop perfbench's index on the column (others only with --name and --force)")
    .option('--name <index>', 'drop exactly this index')
    .option('--force', 'allow dropping an index perfbench did not create')
    .option('--concurrently', 'drop without blocking (DROP INDEX CONCURRENTLY)')
    .option('--lock-timeout <time>', LOCK_FLAG_HELP.lockTimeout)
    .option('--no-wait', LOCK_FLAG_HELP.noWait)
    .addHelpText('after', `${SAFETY}\nExample:\n  perfbench index drop --column category`)
    .action((flags: IndexFlags) => context.run(async (runtime) => {
      const { table, column } = parse(flags);
      const lock = lockOptions(flags);
      const [{ indexDrop }, { describeDrop }] = await loadIndexing();
      const dropped = await indexDrop(runtime, { table, column, name: flags.name, force: Boolean(flags.force), concurrently: Boolean(flags.concurrently) }, lock);
      runtime.out.data(describeDrop(dropped, table, column, flags.name));
    }));

  index.command('list')
    .description('every index of the table: size, scans, owner')
    .option('--table <name>', 'table', REPORT_DEFAULTS.table)
    .addHelpText('after', '\nExample:\n  perfbench index list --table products')
    .action((flags: { table: string }) => context.run(async (runtime) => {
      const table = tableIdentifier(flags.table);
      // In the order the work can start: the session (the server starts it), the use case (its
      // queries go out), and the reporter (cli-table3), which loads while they run.
      await runtime.catalogAhead();
      const { indexList } = await import('../usecases/index-list.js');
      const [indexes, { renderIndexList }] = await Promise.all([indexList(runtime, table), import('../report/index-text.js')]);
      runtime.out.data(renderIndexList(table, indexes));
    }));
}
