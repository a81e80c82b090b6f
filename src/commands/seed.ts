/** Command: `perfbench seed` — flags -> the seed use case -> one line of what was done. */
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import type { CommandContext } from '../flags/context.js';
import { seedOptions, type SeedFlags } from '../flags/seed-flags.js';
import { startSpinner } from '../output.js';
import { DISTRIBUTIONS } from '../measure/random.js';
import { describeSeed, seedProgressText } from '../report/seed-text.js';
import { seed, type SeedResult } from '../usecases/dataset.js';
import { DEFAULT_DATASET, DEFAULT_ZIPF_SKEW } from '../workload/dataset.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { capYoungGeneration } from '../young-generation.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('seed')
    .description(COMMAND_SUMMARIES.seed)
    .option('--table <name>', 'table to create', REPORT_DEFAULTS.table)
    .option('--rows <n>', 'rows to generate', String(DEFAULT_DATASET.rows))
    .option('--categories <n>', 'distinct categories', String(DEFAULT_DATASET.categories))
    .option('--distribution <d>', `category distribution: ${DISTRIBUTIONS.join(' | ')}`, DEFAULT_DATASET.distribution)
    .option('--skew <s>', `Zipf exponent with --distribution zipf (default ${DEFAULT_ZIPF_SKEW})`)
    .option('--seed <n>', 'random seed: the same flags give the same data', String(DEFAULT_DATASET.seed))
    .option('--reset', 'replace a table perfbench seeded earlier with other data')
    .option('--with-index', 'also create the B-tree on category (default: leave the slow state)')
    .addHelpText('after', '\nExample:\n  perfbench seed --rows 1000000 --categories 1000 --distribution zipf --skew 1.1')
    .action((flags: SeedFlags) => context.run(async (runtime) => {
      capYoungGeneration();
      const options = seedOptions(flags);
      const progress = await startSpinner(runtime.out, 'seeding…');
      let result: SeedResult;
      try {
        result = await seed(runtime, options, (rows, elapsedMs) => {
          if (progress) progress.text = seedProgressText(options.table, rows, options.dataset.rows, elapsedMs);
        });
      } finally {
        progress?.stop();
      }
      runtime.out.data(describeSeed(result));
    }));
}
