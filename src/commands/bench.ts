/**
 * Command: `perfbench bench` — flags -> the bench use case (prepare -> measure -> summarize) ->
 * the reporters (stdout, --output files, step summary) -> an exit code that says what happened.
 */
// First: this command runs load or serves, and nextTick must stay fast in its process (see
// tick-shape.ts). Imported here rather than by cli.ts, so commands that do neither skip its cost.
import '../tick-shape.js';
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import { BENCH_DEFAULTS, benchOptions, type BenchFlags } from '../flags/bench-flags.js';
import { LOCK_FLAG_HELP } from '../flags/lock-flags.js';
import type { CommandContext } from '../flags/context.js';
import { repeatable } from '../flags/options.js';
import { REPLICA_FLAG_HELP } from '../flags/replica-flags.js';
import { SHARD_FLAG_HELP } from '../flags/shard-flags.js';
import { DRIVER_HELP } from '../flags/workload-flags.js';
import { startSpinner } from '../output.js';
import { progressText } from '../report/bench-progress.js';
import { BENCH_FORMATS } from '../report/bench-report.js';
import { HTTP_PATHS, OPT_IN_PATHS, PATHS } from '../targets/registry.js';
import { bench, benchVerdict, type BenchOutcome } from '../usecases/bench.js';
import { DEFAULT_ZIPF_SKEW } from '../workload/dataset.js';
import { checkOutputs, publish } from '../usecases/publish.js';
import { capYoungGeneration } from '../young-generation.js';

export function register(program: Command, context: CommandContext): void {
  const d = BENCH_DEFAULTS;
  program
    .command('bench')
    .description(COMMAND_SUMMARIES.bench)
    .option('--paths <list>', `paths to run: ${PATHS.map((p) => p.name).join(', ')} (default: all but ${[...OPT_IN_PATHS, ...HTTP_PATHS].join(', ')}; `
      + `with --http, all but ${OPT_IN_PATHS.join(', ')})`)
    .option('--workload <file[@weight]>', 'time a pgbench script instead of the report (repeatable; weights as pgbench)', repeatable, [])
    .option('--builtin <name[@weight]>', "time pgbench's built-in script: tpcb-like, select-only, simple-update (repeatable)", repeatable, [])
    .option('-D, --define <name=value>', 'a script variable, as pgbench -D (repeatable)', repeatable, [])
    .option('--scale <n>', "the script's :scale (default: the rows of pgbench_branches, else 1)")
    .option('--max-tries <n>', 'tries of an execution that hit a serialization failure or deadlock (default 1: no retry)')
    .option('--concurrently', 'with a workload: the index=… paths build and drop their candidate index CONCURRENTLY (writes go on meanwhile)')
    .option('--http [url]', 'also time /report/slow and /report/fast (with a workload: its reads on /q/<name>/slow and /fast) end to end: of `perfbench serve` at url, or (no url) of one started in-process')
    .option('--concurrency <list>', 'workers per path; a list such as 1,4,16 sweeps it', d.concurrency)
    .option('--duration <time>', `measured time per path and trial, e.g. 500ms, 5s, 1m (default ${d.duration})`)
    .option('--iterations <n>', 'measured operations per path and trial, instead of --duration')
    .option('--warmup <time>', 'unrecorded warm-up per path and trial (0 for none)', d.warmup)
    .option('--driver <name>', DRIVER_HELP)
    .option('--workers <n>', 'worker threads generating the load, sharing --concurrency (or --rate); histograms added exactly (default 1)')
    .option('--rate <ops/s>', 'open loop: operations per second on a fixed schedule (coordinated omission corrected)')
    .option('--trials <n>', 'rounds of all paths, interleaved; 3 or more give trial-based intervals', d.trials)
    .option('--distribution <d>', 'category draw: uniform | zipf', d.distribution)
    .option('--skew <s>', `Zipf exponent with --distribution zipf (default ${DEFAULT_ZIPF_SKEW})`)
    .option('--seed <n>', 'seed of the category sequence (the same for every path)', d.seed)
    .option('--table <name>', 'table to read (the default one is seeded when missing)', d.table)
    .option('--column <name>', 'filter column of the report', d.column)
    .option('--ttl <seconds>', 'TTL of the cache keys the run writes', d.ttl)
    .option('--keep-index', 'leave the index created for the run in place')
    .option('--replica-url <url>', REPLICA_FLAG_HELP.replicaUrl, repeatable, [])
    .option('--replica-timeout <time>', REPLICA_FLAG_HELP.replicaTimeout)
    .option('--lock-timeout <time>', LOCK_FLAG_HELP.lockTimeout)
    .option('--no-wait', LOCK_FLAG_HELP.noWait)
    .option('--keep-cache', 'leave the report keys the run wrote in the cache')
    .option('--format <f>', `stdout format: ${BENCH_FORMATS.join(' | ')}`, d.format)
    .option('--output <file>', 'also write the report here, format from the extension (.json .md .csv .txt .html); repeatable', repeatable, [])
    .option('--shard <I/N>', SHARD_FLAG_HELP.shard)
    .option('--run-id <id>', SHARD_FLAG_HELP.runId)
    .option('--start-at <time>', SHARD_FLAG_HELP.startAt)
    .option('--barrier <key>', SHARD_FLAG_HELP.barrier)
    .option('--barrier-timeout <time>', SHARD_FLAG_HELP.barrierTimeout)
    .option('--baseline <file>', 'compare with an earlier JSON result (p50/p99, noise-aware)')
    .option('--fail-if-slower <pct>', 'exit 3 when a path is slower than the baseline by more than this, e.g. 10%')
    .addHelpText('after', `
Paths:
${PATHS.map((p) => `  ${p.name.padEnd(9)} ${p.description}`).join('\n')}

With --workload/--builtin, one script execution is one operation (pgbench's transaction) and the
paths are as-is (the database as it is), no-index (index scans off for the session),
index=TABLE(COLUMN, …) (a candidate index created for the path's runs and dropped after each;
CONCURRENTLY with --concurrently; recorded first, so a crashed run's index, even an INVALID one
from an unfinished concurrent build, is removed by the next run on the table) and
cache (cache-aside of every read statement; only for a workload that does not write), and with
--http http-slow and http-fast (each read statement as a GET of \`perfbench serve --workload\`'s
/q/<name>/slow or /fast; only for a workload that does not write). Default: as-is,no-index, plus
cache (and with --http the two http paths) when the workload only reads. The report adds a per-statement table
(like pgbench -r, with percentiles), failures by SQLSTATE and retries.

Runs on the same table take turns: a second bench (or index add/drop) waits for the first, saying
whose turn it is, up to --lock-timeout (--no-wait: exit 1 at once). The index on the filter column
is created for the run when missing and dropped afterwards (also after Ctrl-C or an error; after a
crash, by the next run on the table or \`perfbench index drop\`). A path whose plan changes during
the run is flagged plan-changed and the run exits 1. The cache keys the run writes are removed at
the end, and so are those of the server --http starts in-process (a server at a URL keeps its own).
The HTTP paths report the server's Server-Timing breakdown (queue, cache, db, total) beside the
client-side latency.
The JSON result (--output result.json) embeds every path's HDR histogram: use it as a --baseline
or with merge.

More than one generator: run N processes with --shard 1/N … N/N (the same other flags, and
--start-at or --barrier to start them together), each with its own --output, then merge the N
results. Shards change nothing on the table: seed it and add the index before they start.
Markdown is appended to $GITHUB_STEP_SUMMARY when that is set.

Exit codes: 0 ok, 1 runtime failure (also: operations failed, a plan changed), 2 usage error (also an unreadable baseline), 3 the gate
tripped, 130 interrupted (what was measured is printed).

Examples:
  perfbench bench
  perfbench bench --paths seq,index --concurrency 1,4,16 --duration 5s
  perfbench bench --http
  perfbench bench --paths cache,http-fast --http --concurrency 16 --workers 2
  perfbench bench --builtin select-only --paths as-is,no-index,cache
  perfbench bench --workload my.sql@2 --builtin tpcb-like -D delta=5 --max-tries 3 --paths 'as-is,index=orders(customer_id)'
  perfbench bench --http http://127.0.0.1:8080 --paths http-slow,http-fast
  perfbench bench --output result.json --output summary.md
  perfbench bench --baseline main.json --fail-if-slower 10%
  perfbench bench --shard 2/4 --paths index --concurrency 8 --barrier nightly --output shard-2.json`)
    .action((flags: BenchFlags) => context.run(async (runtime) => {
      capYoungGeneration();
      const options = benchOptions(flags);
      // Before minutes of measuring: an --output that cannot be written is a usage error now, not at the end.
      await checkOutputs(options.outputs);
      const spinner = await startSpinner(runtime.out, 'preparing…');
      let outcome: BenchOutcome;
      try {
        outcome = await bench(runtime, options, spinner ? {
          onStatus: (text) => void (spinner.text = text),
          onProgress: (event, position) => void (spinner.text = progressText(event, position)),
          aroundTalk: (write) => {
            spinner.clear();
            write();
            spinner.render();
          },
        } : {});
      } finally {
        spinner?.stop();
      }
      // An --output that failed (a full disk) still lets the verdict be read; its error then decides the exit code.
      const published = await publish(runtime, options.format, options.outputs, outcome).then(() => undefined, (error: unknown) => error);
      const verdict = benchVerdict(outcome, options.failIfSlower);
      for (const line of verdict.lines) runtime.out.say(line);
      if (published) throw published;
      return verdict.exitCode;
    }));

}
