/** Command: `perfbench explain` — flags -> the explain, explain --file or explain --compare use case -> the explain reporter. */
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import type { CommandContext } from '../flags/context.js';
import { DEFAULT_MAX_CANDIDATES, DEFAULT_MAX_TABLE_SIZE, DEFAULT_RUNS, DEFAULT_TIMEOUT_MS, explainOptions, type ExplainFlags } from '../flags/explain-flags.js';
import { repeatable } from '../flags/options.js';
import { dataColors } from '../output.js';
import { renderAdvise } from '../report/advise-output.js';
import { EXPLAIN_FORMATS, renderExplain, renderExplainCompare } from '../report/explain-output.js';
import { explain, explainFile } from '../usecases/explain.js';
import { explainAdvise } from '../usecases/explain-advise.js';
import { explainAdviseWorkload } from '../usecases/explain-advise-workload.js';
import { explainCompare } from '../usecases/explain-compare.js';
import { DEFAULT_CATEGORY } from '../usecases/explain-statement.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

const HELP = `
Every run is EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) inside a transaction that is rolled back,
under SET LOCAL statement_timeout (--timeout). ANALYZE executes the statement: a --query that writes
(INSERT, UPDATE, DELETE, MERGE, a data-modifying CTE) is undone by the rollback and the output says
so (sequences still advance; functions with effects outside the transaction are not undone).
DDL, transaction control and several statements are refused before anything runs.

--compare builds a B-tree on --column inside the same transaction when there is none (writes to
the table wait until the rollback), or disables index scans for the "before" runs when there is one.
No index or setting outlives the command.

--advise measures index advice instead of estimating it (Dexter and HypoPG only estimate). It reads
candidate B-trees from the plan (filter columns, join keys, correlated subqueries, ORDER BY … LIMIT
and GROUP BY keys; none an existing index already leads with; at most --max-candidates), then, in
one transaction that is rolled back, builds each in a savepoint and runs the statement --runs times
with and without it (interleaved on a second connection when it only reads), and ranks them by the
median gain. CREATE INDEX takes a SHARE lock: writes to the table wait while a candidate is built
and measured (a warning says so first). Tables whose heap is above --max-table-size
(default ${DEFAULT_MAX_TABLE_SIZE}) are refused unless --force. A candidate is recommended only beyond noise: at
least 10% faster by the medians, and faster in at least 90% of the (before, after) run pairs;
otherwise the verdict is "no index helps". The winner comes with a \`perfbench index add\` command that
runs as printed (a multi-column winner with its CREATE INDEX, as index add builds one column).
--file with --advise may hold the SQL statement (a saved plan alone cannot be measured: add --query).
--advise --workload FILE (or --builtin NAME) advises on a pgbench script: the statements of the
execution bench runs first, with the values it binds (--seed, -D, --scale, \pb_from as bench), all
measured together in the one rolled-back transaction. BEGIN/END are left out; statements that write
run each in a savepoint, undone with the rest, and the lock warning names them.

Exit codes: 0 ok; 1 the run failed (timeout, lost connection); 2 bad flags, a refused statement, an
error in --query (syntax, unknown table or column), a missing or corrupt --file, a table above
--max-table-size without --force; 130 Ctrl-C.

Examples:
  perfbench explain                                 # the report query for cat-000 on products
  perfbench explain --compare --runs 5              # before/after an index on category, nothing kept
  perfbench explain --query "SELECT * FROM products WHERE price < \\$1" --param 5 --column price
  perfbench explain --format json > plan.json && perfbench explain --file plan.json --format markdown
  perfbench explain --advise --query "SELECT * FROM orders WHERE customer_id = \$1 ORDER BY placed_at DESC LIMIT 20" --param 42
  perfbench explain --advise --file slow-query.sql --runs 5
  perfbench explain --advise --workload orders.sql -D region=7
  perfbench explain --advise --builtin tpcb-like`;

export function register(program: Command, context: CommandContext): void {
  program
    .command('explain')
    .description(COMMAND_SUMMARIES.explain)
    .option('--category <value>', `category for the report query (default: ${DEFAULT_CATEGORY} when present, else the first row's)`)
    .option('--table <name>', `table of the report query, and whose index --compare toggles (default: ${REPORT_DEFAULTS.table})`)
    .option('--column <name>', `filter column of the report query, and the column --compare indexes (default: ${REPORT_DEFAULTS.column})`)
    .option('--query <sql>', 'explain this statement instead of the report query ($1, $2… take --param values)')
    .option('--param <value>', 'a value for the next $n placeholder of --query (repeat in order)', repeatable)
    .option('--file <path>', 'render a saved EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output; no database (with --advise: a SQL statement)')
    .option('--compare', 'the plan without and with an index on --column, in one transaction that is rolled back')
    .option('--advise', 'measure candidate indexes from the plan, each built inside the rolled-back transaction; recommend only a gain beyond noise')
    .option('--runs <n>', `with --compare or --advise: before/after runs, interleaved; medians are reported (default: ${DEFAULT_RUNS})`)
    .option('--max-table-size <size>', `with --advise: refuse to build on a table whose heap is larger, e.g. 500MB (default: ${DEFAULT_MAX_TABLE_SIZE})`)
    .option('--max-candidates <n>', `with --advise: measure at most this many candidates, heaviest first (default: ${DEFAULT_MAX_CANDIDATES})`)
    .option('--force', 'with --advise: build candidates on tables above --max-table-size')
    .option('--workload <file>', "with --advise: a pgbench script's statements, with the values bench binds (repeatable, FILE@WEIGHT as bench)", repeatable)
    .option('--builtin <name>', "with --advise: pgbench's built-in script: tpcb-like, select-only, simple-update", repeatable)
    .option('-D, --define <name=value>', 'with --workload/--builtin: a script variable, as pgbench -D (repeatable)', repeatable)
    .option('--scale <n>', "with --workload/--builtin: the script's :scale (default: the rows of pgbench_branches, else 1)")
    .option('--seed <n>', "with --workload/--builtin: bench's --seed, whose first execution's values are bound (default: 1, as bench)")
    .option('--format <f>', `output: ${EXPLAIN_FORMATS.join(' | ')}`, 'text')
    .option('--timeout <ms>', 'statement_timeout for every statement of the run', String(DEFAULT_TIMEOUT_MS))
    .addHelpText('after', HELP)
    .action((flags: ExplainFlags) => context.run(async (runtime) => {
      const options = explainOptions(flags);
      // Only the text format is coloured: the others need no chalk loaded.
      const chalk = options.format === 'text' ? await dataColors(runtime.out) : undefined;
      if (options.mode === 'file') {
        runtime.out.data(renderExplain(await explainFile(options.path), options.format, chalk));
      } else if (options.mode === 'advise') {
        runtime.out.data(renderAdvise(await explainAdvise(runtime, options.request), options.format, chalk));
      } else if (options.mode === 'advise-workload') {
        runtime.out.data(renderAdvise(await explainAdviseWorkload(runtime, options.request), options.format, chalk));
      } else if (options.mode === 'explain') {
        runtime.out.data(renderExplain(await explain(runtime, options.request), options.format, chalk));
      } else {
        runtime.out.data(renderExplainCompare(await explainCompare(runtime, options.request, options.runs), options.format, chalk));
      }
    }));
}
