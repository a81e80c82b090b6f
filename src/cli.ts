/** CLI entry: the commander program; registers the commands and turns every outcome into an exit code and one line. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Commander from 'commander';
import { COMMAND_NAMES, COMMAND_SUMMARIES, type CommandName } from './command-list.js';
import type { CommandContext, Register } from './flags/context.js';
import { loadConfig, type ConfigFlags } from './config.js';
import { ExitCode, describeError } from './errors.js';
import { terminalOutput, type Output } from './output.js';
import { Runtime } from './runtime.js';

const EXIT_CODES = `
Exit codes:
  0    ok
  1    runtime failure (a server unreachable, a query failed)
  2    usage or configuration error
  3    a regression gate tripped (bench --fail-if-slower)
  130  interrupted by Ctrl-C (after restoring the database)`;

const EXAMPLES = `
Examples:
  perfbench seed                       # 1,000,000 products in 1,000 categories (embedded PostgreSQL if none is configured)
  perfbench index add --column category
  perfbench index list
  perfbench explain --compare          # the report query's plan without and with the index; nothing is kept
  perfbench serve --port 8080          # /report/slow and /report/fast over HTTP
  perfbench bench                      # seq vs index vs cache: percentiles, speed-ups, plans (seeds the dataset if missing)
  perfbench doctor                     # what is configured, and is it reachable?`;

// commander is CommonJS, loaded with require(): an ESM import of it goes through Node 20's ESM
// translator (cjs-module-lexer over it, each of its requires resolved by the ESM loader), ~6 ms more
// at every start than Node's CommonJS loader alone (bench:startup, issue 13 item 7).
const { Command, CommanderError } = createRequire(import.meta.url)('commander') as typeof Commander;
type Command = Commander.Command;

/** Signals this close after the first are the same Ctrl-C delivered twice (terminal and npx). */
const DUPLICATE_SIGNAL_MS = 1000;

/** Each command's module, imported only when that command runs (or its own --help is asked for). */
const COMMAND_MODULES: Record<CommandName, () => Promise<{ register: Register }>> = {
  seed: () => import('./commands/seed.js'),
  index: () => import('./commands/indexes.js'),
  doctor: () => import('./commands/doctor.js'),
  explain: () => import('./commands/explain.js'),
  serve: () => import('./commands/serve.js'),
  bench: () => import('./commands/bench.js'),
  merge: () => import('./commands/merge.js'),
  report: () => import('./commands/report.js'),
};

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--database-url', '--redis-url', '--redis-cluster', '--dotenv', '--connect-timeout']);

/** The command argv names (`perfbench [global options] COMMAND …`, or `perfbench help COMMAND`), if any. */
export function invokedCommand(argv: readonly string[]): CommandName | undefined {
  const words = argv.slice(2);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    const name = word === 'help' ? words[i + 1] : word;
    return (COMMAND_NAMES as readonly string[]).includes(name ?? '') ? (name as CommandName) : undefined;
  }
  return undefined;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Builds the program for `argv`: the command it names is loaded and registered in full; the others
 * are listed by name and summary only (enough for `perfbench --help` and for commander's errors).
 */
export async function buildProgram(output: Output, signal: AbortSignal, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Command> {
  const program = new Command('perfbench')
    .description('Make PostgreSQL performance work measurable: seed, explain, index, bench, serve.')
    .version(packageVersion())
    .option('--database-url <url>', 'PostgreSQL to use (default: DATABASE_URL, DB_*, PG*, else an embedded server)')
    .option('--redis-url <url>', 'Redis to use: redis://, rediss://, or memory:// for the in-process tier (default: REDIS_URL, REDIS_*, else a private redis-server)')
    .option('--redis-cluster <nodes>', 'Redis Cluster to use: host:port[,host:port…], some of its nodes (default: REDIS_CLUSTER_NODES); not with --redis-url')
    .option('--dotenv <path>', 'read variables from this file (default: ./.env when present)')
    .option('--connect-timeout <ms>', 'bound on every connection attempt', undefined)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES}`)
    .exitOverride();

  const context: CommandContext = {
    async run(action) {
      const config = loadConfig({ flags: program.opts<ConfigFlags>(), env, cwd: process.cwd() });
      const runtime = new Runtime(config, output, signal);
      try {
        const code = await action(runtime);
        process.exitCode = code ?? ExitCode.ok;
      } finally {
        await runtime.close();
      }
    },
  };
  const invoked = invokedCommand(argv);
  for (const name of COMMAND_NAMES) {
    if (name === invoked) (await COMMAND_MODULES[name]()).register(program, context);
    else program.command(name).description(COMMAND_SUMMARIES[name]);
  }
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Parses argv, runs the command, and turns every outcome into an exit code and at most one error line. */
export async function main(argv: string[]): Promise<number> {
  const output = terminalOutput();
  const controller = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = () => {
    // The first Ctrl-C stops the work and restores the database; a second one gives up waiting.
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      output.say('stopping: restoring the database and cleaning up… (Ctrl-C again to quit now)');
      controller.abort();
      return;
    }
    // One Ctrl-C can arrive twice: from the terminal to the whole process group, and forwarded by a
    // parent such as npx. Only a press that comes later is a person insisting.
    if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
    process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `perfbench … | head` closes the pipe early: that is the reader's choice, not a crash. The
  // error can arrive after main returns, so the listener stays for the life of the process.
  if (!process.stdout.listeners('error').includes(exitOnClosedPipe)) process.stdout.on('error', exitOnClosedPipe);
  try {
    await (await buildProgram(output, controller.signal, argv)).parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return quiet ? ExitCode.ok : ExitCode.usage;
    }
    const { line, exitCode, stack } = describeError(error);
    process.stderr.write(`perfbench: ${line}\n`);
    if (stack) process.stderr.write(`${stack}\n(this is a bug in perfbench; please report it with the command you ran)\n`);
    return exitCode;
  } finally {
    // After a Ctrl-C the handler stays until the duplicate window has passed: its echo (npx
    // forwarding it) may land after the work is done, and must not kill the process with the default
    // action. The timer keeps the process alive that long (at most DUPLICATE_SIGNAL_MS after the
    // press): an unref'd one let a quick stop exit inside the window, and an echo arriving while the
    // process tore itself down killed it by signal instead of letting it exit with its code.
    const detach = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    if (firstSignalAt === undefined) detach();
    else setTimeout(detach, Math.max(0, firstSignalAt + DUPLICATE_SIGNAL_MS - Date.now()));
  }
}

function exitOnClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(ExitCode.ok);
  process.stderr.write(`perfbench: cannot write the output: ${error.message}\n`);
  process.exit(ExitCode.failure);
}

