/** Command: `perfbench doctor` — checks what is configured and reachable, and hands the findings to a reporter. */
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption } from '../flags/options.js';
import { renderDoctor } from '../report/doctor-text.js';
import { doctor } from '../usecases/doctor.js';
import { tableIdentifier } from '../workload/identifiers.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description(COMMAND_SUMMARIES.doctor)
    .option('--table <name>', 'table to inspect', REPORT_DEFAULTS.table)
    .option('--format <f>', 'text | json', 'text')
    .addHelpText('after', '\nExit code 1 when PostgreSQL or Redis is unreachable.\n\nExample:\n  perfbench doctor --table products')
    .action((flags: { table: string; format: string }) => context.run(async (runtime) => {
      const format = choiceOption(flags.format, '--format', ['text', 'json'] as const);
      const report = await doctor(runtime, tableIdentifier(flags.table));
      runtime.out.data(format === 'json' ? JSON.stringify(report, null, 2) : renderDoctor(report));
      return report.healthy ? ExitCode.ok : ExitCode.failure;
    }));
}
