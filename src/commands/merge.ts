/** Command: `perfbench merge a.json b.json …` — the merge use case, rendered like bench. */
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import { BENCH_DEFAULTS, outputFormat } from '../flags/bench-flags.js';
import { BENCH_FORMATS } from '../report/bench-report.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption, repeatable } from '../flags/options.js';
import { checkOutputs, publish } from '../usecases/publish.js';
import { merge } from '../usecases/result-file.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('merge')
    .description(COMMAND_SUMMARIES.merge)
    .argument('<files...>', 'JSON results of `perfbench bench`')
    .option('--format <f>', `stdout format: ${BENCH_FORMATS.join(' | ')}`, BENCH_DEFAULTS.format)
    .option('--output <file>', 'also write the merged report here, format from the extension; repeatable', repeatable, [])
    .option('--force', 'merge results that differ in their options or dataset, or shards that are not one whole run (refused otherwise; the notes say what differed)')
    .addHelpText('after', '\nResults must come from one run (the same options and dataset): different ones are refused, exit 2, unless --force.\n' +
      'Shards (bench --shard I/N) must be the whole run: the same --run-id, each of shards 1..N once. The merged report\n' +
      'states the number of generators and the skew of their measured phases\' start times.\n\n' +
      'Example:\n  perfbench merge host-a.json host-b.json --output merged.json\n  perfbench merge shard-*.json --output merged.json')
    .action((files: string[], flags: { format: string; output: string[]; force?: boolean }) => context.run(async (runtime) => {
      const format = choiceOption(flags.format, '--format', BENCH_FORMATS);
      const outputs = flags.output.map((path) => ({ path, format: outputFormat(path) }));
      await checkOutputs(outputs);
      const merged = await merge(files, { force: Boolean(flags.force) });
      await publish(runtime, format, outputs, merged);
    }));
}
