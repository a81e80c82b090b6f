/**
 * `perfbench bench`: times the report through every path (seq, index, cache, miss, noop) on the
 * same category sequence, and reports percentiles, speed-ups and the plans the paths ran.
 *
 * The shape, in order: prepare (dataset, index, cache tier, environment) -> run (concurrency
 * levels x trials x paths, the paths interleaved inside each trial so drift hits all alike) ->
 * check (plans, cache hits, client-bound) -> compare (speed-ups, baseline gate) -> publish.
 * The database is left as found: the index created for the run and the keys written are removed
 * by deferred cleanups, which run on success, on errors and after Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { cpus, platform, release } from 'node:os';
import type { Command } from 'commander';
import type pg from 'pg';
import { reportKey } from '../cache/report-cache.js';
import type { CacheTier } from '../cache/tier.js';
import { compareResult, type Comparison } from '../measure/compare.js';
import { DEFAULT_DATASET } from '../workload/dataset.js';
import { gate, type GateReport } from '../measure/gate.js';
import { initHistograms } from '../measure/histogram.js';
import { createResult, foldTrials, type BenchResult, type Environment, type PathResult, type RunOptionsRecord } from '../measure/result.js';
import { runTarget, type ProgressEvent } from '../measure/runner.js';
import { checkClientBound } from '../measure/self-check.js';
import { categorySequence, type CategorySequence } from '../workload/sequence.js';
import { columnValues, serverSettings } from '../db/bench-queries.js';
import { connectClient } from '../db/connection.js';
import { dropIndexes, listIndexes, requireColumn } from '../db/indexes.js';
import { datasetVersion, readDataset, tableInfo } from '../db/products.js';
import { builtinReportWorkload, checkWorkloadServable } from '../db/report.js';
import { ExitCode, firstLine, interruptedError, usageError, UserError } from '../errors.js';
import { formatMsFromUs, formatRate } from '../report/bench-format.js';
import { renderGateText } from '../report/bench-gate.js';
import type { Runtime } from '../runtime.js';
import { httpTarget } from '../targets/http.js';
import type { BenchPath, HttpServerInfo, PathContext, RunFindings } from '../targets/path.js';
import { HTTP_PATHS, pathDefinition, PATHS } from '../targets/registry.js';
import { BENCH_DEFAULTS, BENCH_FORMATS, benchOptions, redactUrl, type BenchFlags, type BenchOptions } from '../flags/bench-flags.js';
import { publish } from '../usecases/publish.js';
import type { CommandContext } from '../flags/context.js';
import { indexAdd } from './indexes.js';
import { readResultFile } from './merge.js';
import { formatCount, repeatable } from '../flags/options.js';
import { seed } from './seed.js';
import { startServe } from './serve.js';

/** Filter values read from a table perfbench did not seed (bounds the cache fill too). */
const MAX_CATEGORIES = 10_000;

/** Progress and status of a run, for the spinner (TTY only); all optional. */
export interface BenchHooks {
  /** A phase of the preparation, e.g. "creating index …". */
  onStatus?(text: string): void;
  /** Runner progress, with the run's position in the whole bench. */
  onProgress?(event: ProgressEvent, position: { run: number; runs: number; trials: number }): void;
  /** Wraps every line bench writes to stderr (a spinner clears itself around it). */
  aroundTalk?(write: () => void): void;
}

export interface BenchOutcome {
  result: BenchResult;
  comparisons: Comparison[];
  gate?: GateReport;
  /** One-line warnings already told to the user (plans, client-bound, environment…). */
  warnings: string[];
  /** Ctrl-C stopped the run: the result holds what was measured. */
  interrupted: boolean;
}

/** Runs the benchmark and returns its result; never prints data (the caller publishes it). */
export async function bench(runtime: Runtime, options: BenchOptions, hooks: BenchHooks = {}): Promise<BenchOutcome> {
  const { signal } = runtime;
  const talk = hooks.aroundTalk ?? ((write: () => void) => write());
  const out = {
    say: (line: string) => talk(() => runtime.out.say(line)),
    warn: (line: string) => talk(() => runtime.out.warn(line)),
  };
  const status = (text: string) => hooks.onStatus?.(text);
  const warnings: string[] = [];
  const warn = (line: string) => {
    warnings.push(line);
    out.warn(line);
  };
  const stopIfAborted = (what: string) => {
    if (signal.aborted) throw interruptedError(`${what}; nothing was measured`);
  };

  // Fail fast on a bad baseline, before minutes of measuring.
  const baseline = options.baseline === undefined ? undefined : await readResultFile(options.baseline, '--baseline');
  const backend = await initHistograms();
  const definitions = options.paths.map((name) => pathDefinition(name)!);
  const workload = builtinReportWorkload({ table: options.table, column: options.column });
  // A server at a URL is checked before anything is prepared: unreachable is one line, nothing changed.
  const serverUrl = definitions.some((d) => d.needsServer) ? options.http?.url : undefined;
  if (serverUrl !== undefined) await checkServer(serverUrl, runtime.config.connectTimeoutMs, status);

  status('connecting to PostgreSQL');
  const admin = await runtime.client();
  await ensureDataset(runtime, admin, options, status, out.say);
  stopIfAborted('stopped while preparing the dataset');
  await requireColumn(admin, options.table, options.column);
  await checkWorkloadServable(admin, workload);
  const sequence = await benchSequence(admin, options);
  const fingerprint = await datasetVersion(admin, options.table);

  if (definitions.some((d) => d.needsIndex)) {
    status(`checking the index on ${options.table.text}(${options.column.text})`);
    const outcome = await indexAdd(runtime, options.table, options.column, 'btree', false);
    if (outcome.created) {
      if (options.keepIndex) {
        out.say(`created index ${outcome.name} for the run (${(outcome.buildMs / 1000).toFixed(1)} s); --keep-index leaves it in place`);
      } else {
        out.say(`created index ${outcome.name} for the run (${(outcome.buildMs / 1000).toFixed(1)} s); it is dropped afterwards (--keep-index keeps it)`);
        runtime.defer(async () => {
          await dropIndexes(admin, { table: options.table, column: options.column, name: outcome.name, force: false, concurrently: false });
        });
      }
    }
    stopIfAborted('stopped after preparing the index');
  }

  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const keyNamespace = `${fingerprint}:${options.table.text}:${options.column.text}:bench-${runId}`;
  const notes: string[] = [];
  let tier: CacheTier | undefined;
  if (definitions.some((d) => d.needsCache)) {
    status('connecting to the cache');
    tier = await runtime.cache();
    const cacheTier = tier;
    if (cacheTier.kind === 'in-process') {
      const line = `the cache paths ran against the in-process tier (${cacheTier.label}): their figures say nothing about Redis`;
      notes.push(line);
      warn(line);
    }
    const prefix = reportKey(keyNamespace, '');
    runtime.defer(async () => {
      if (options.keepCache) {
        runtime.out.say(`kept the report keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
        return;
      }
      await cacheTier.deletePrefix(prefix);
    });
  }

  let http: HttpServerInfo | undefined;
  if (definitions.some((d) => d.needsServer)) {
    const prepared = await prepareHttp(runtime, options, keyNamespace, status, out.say);
    http = prepared.server;
    tier ??= prepared.tier;
    notes.push(...prepared.notes);
    for (const line of prepared.warnings) {
      notes.push(line);
      warn(line);
    }
    stopIfAborted('stopped while starting the server');
  }

  const environment = await describeEnvironment(admin, options, { fingerprint, backend, tier });
  if (http) environment.httpServer = options.http?.url === undefined ? 'in-process' : redactUrl(options.http.url);
  const database = await runtime.database();
  const context: PathContext = {
    connect: () => connectClient(database, runtime.config.connectTimeoutMs),
    workload,
    sequence,
    cache: () => runtime.cache(),
    keyNamespace,
    ttlSeconds: options.ttlSeconds,
    signal,
    ...(http ? { http } : {}),
  };
  const paths = definitions.map((definition) => {
    const path = definition.create(context);
    runtime.defer(() => path.close());
    return path;
  });

  const results = await measure(paths, options, sequence, signal, hooks, warn);
  const interrupted = signal.aborted || results.some((r) => r.interrupted);
  const checked = checkClientBound(results);
  for (const line of clientBoundWarnings(results)) warn(line);
  const result = createResult({ environment, options: optionsRecord(options, sequence), paths: checked.paths, notes });
  const comparisons = compareResult(result);
  const outcome: BenchOutcome = { result, comparisons, warnings, interrupted };
  if (baseline && !interrupted) {
    outcome.gate = gate(result, baseline, { thresholdPct: options.thresholdPct });
    for (const line of outcome.gate.warnings) warn(line);
  }
  return outcome;
}

/**
 * Concurrency levels, then trials, then paths: within a trial every path runs once, one after the
 * other (seq, index, cache, seq, index, cache…), so slow drift of the machine hits every path alike
 * and trial t of every path is a paired sample (compare.ts pairs trials by number).
 */
async function measure(paths: readonly BenchPath[], options: BenchOptions, sequence: CategorySequence, signal: AbortSignal,
  hooks: BenchHooks, warn: (line: string) => void): Promise<PathResult[]> {
  const results: PathResult[] = [];
  const runs = options.concurrency.length * options.trials * paths.length;
  const flagged = new Set<string>();
  let run = 0;
  for (const concurrency of options.concurrency) {
    for (let trial = 1; trial <= options.trials; trial++) {
      for (const path of paths) {
        if (signal.aborted) return results;
        run++;
        const position = { run, runs, trials: options.trials };
        const result = await runTarget(path.target(concurrency), {
          concurrency,
          ...(options.iterations !== undefined ? { iterations: options.iterations } : { durationMs: options.durationMs! }),
          // At least one warm-up operation per worker, so every connection has prepared its statement.
          warmupMs: options.warmupMs,
          warmupIterations: options.warmupMs > 0 ? concurrency : 0,
          ...(options.ratePerSec !== undefined ? { ratePerSec: options.ratePerSec } : {}),
          sequence,
          trial,
          signal,
          ...(hooks.onProgress ? { onProgress: (event: ProgressEvent) => hooks.onProgress!(event, position) } : {}),
        });
        let findings: RunFindings;
        try {
          findings = await path.findings(result.interrupted);
        } catch (error) {
          findings = { notes: [`checks failed after the run: ${firstLine((error as Error).message)}`], flags: ['check-failed'] };
        }
        const checked = withFindings(result, findings);
        // Loudly, once per path and problem: a mismatched plan makes the path's figures meaningless.
        for (const [i, flag] of findings.flags.entries()) {
          if (flagged.has(`${path.name}:${flag}`)) continue;
          flagged.add(`${path.name}:${flag}`);
          warn(findings.notes[i] ?? `${path.name}: ${flag}`);
        }
        if (result.errors > 0 && !result.interrupted && !flagged.has(`${path.name}:errors`)) {
          flagged.add(`${path.name}:errors`);
          warn(`${path.name} (concurrency ${concurrency}): ${formatCount(result.errors)} operation${result.errors === 1 ? '' : 's'} failed; first: ${result.firstError ?? 'unknown'}`);
        }
        results.push(checked);
      }
    }
  }
  return results;
}

/**
 * The exit code of a finished run, saying on stderr why it is not 0: interrupted (130); operations
 * failed (1: the figures are incomplete, and a gate verdict on them would mean nothing, so this
 * comes before the gate); the gate tripped with --fail-if-slower (3).
 */
export function benchExitCode(outcome: BenchOutcome, failIfSlower: boolean, say: (line: string) => void): ExitCode {
  if (outcome.interrupted) {
    say('interrupted: the figures cover what was measured before Ctrl-C; restoring the index and removing the keys');
    return ExitCode.interrupted;
  }
  if (outcome.gate) {
    for (const line of renderGateText(outcome.gate).trimEnd().split('\n')) say(line);
  }
  const failed = outcome.result.paths.filter((p) => p.errors > 0);
  if (failed.length > 0) {
    const errors = failed.reduce((total, p) => total + p.errors, 0);
    const names = [...new Set(failed.map((p) => p.name))].join(', ');
    say(`perfbench: ${formatCount(errors)} operation${errors === 1 ? '' : 's'} failed (${names}); the figures above are incomplete — see the warnings, fix the cause and run again`);
    return ExitCode.failure;
  }
  if (outcome.gate?.tripped && failIfSlower) return ExitCode.regression;
  return ExitCode.ok;
}

/** One warning per path and concurrency (not per trial), from the trials folded together. */
function clientBoundWarnings(results: readonly PathResult[]): string[] {
  return checkClientBound(foldTrials(results)).warnings;
}

/** The result with the path's findings: the plan, the cache check (an added field), notes and flags. */
function withFindings(result: PathResult, findings: RunFindings): PathResult {
  const out: PathResult & { cacheCheck?: unknown } = { ...result };
  if (findings.plan) out.plan = { ...findings.plan };
  if (findings.cacheCheck) out.cacheCheck = findings.cacheCheck;
  if (findings.serverTiming) out.serverTiming = findings.serverTiming;
  const notes = [...(result.notes ?? []), ...findings.notes];
  const flags = [...new Set([...(result.flags ?? []), ...findings.flags])];
  if (notes.length) out.notes = notes;
  if (flags.length) out.flags = flags;
  return out;
}

/**
 * The server the HTTP paths time. At a URL: checked once (GET /healthz), so an unreachable server is
 * one error line (exit 1) rather than a table of failed operations; its cache keys are its own.
 * No URL: `perfbench serve` started in-process on an ephemeral loopback port over the run's table,
 * column and TTL, with a cache-key namespace of the run's own, removed afterwards (the removal is
 * deferred before the server starts, so it runs after the server has drained: nothing writes later).
 */
async function prepareHttp(runtime: Runtime, options: BenchOptions, keyNamespace: string, status: (text: string) => void,
  say: (line: string) => void): Promise<{ server: HttpServerInfo; tier?: CacheTier; notes: string[]; warnings: string[] }> {
  const url = options.http?.url;
  if (url !== undefined) return { server: { baseUrl: url }, notes: [], warnings: [] };
  status('connecting to the cache');
  const tier = await runtime.cache();
  const namespace = `${keyNamespace}-http`;
  const prefix = reportKey(namespace, '');
  runtime.defer(async () => {
    if (options.keepCache) {
      runtime.out.say(`kept the in-process server's report keys under ${prefix}* (TTL ${options.ttlSeconds} s)`);
      return;
    }
    await tier.deletePrefix(prefix);
  });
  status('starting perfbench serve in-process');
  const running = await startServe(runtime, {
    port: 0,
    host: '127.0.0.1',
    table: options.table,
    column: options.column,
    ttlSeconds: options.ttlSeconds,
    // As `perfbench serve`'s default; the fast route's pool only serves misses, and connects lazily.
    poolSize: 10,
    namespace,
    slowWithoutIndex: true,
  });
  say(`started perfbench serve on ${running.url} for the http paths (cache ${running.cacheLabel}; /report/slow without index scans)`);
  const notes = ["the http paths timed a server inside perfbench's own process (one event loop and CPU for client and server); " +
    'to time a separate one, start `perfbench serve` and pass its URL to --http'];
  const warnings = tier.kind === 'in-process'
    ? [`http-fast ran against the in-process cache tier (${tier.label}): its figures say nothing about Redis`]
    : [];
  return { server: { baseUrl: running.url, namespace }, tier, notes, warnings };
}

/** GET /healthz of the server at `url`: a runtime error (exit 1, one line) unless it answers 200. */
async function checkServer(url: string, timeoutMs: number, status: (text: string) => void): Promise<void> {
  status(`checking ${redactUrl(url)}`);
  const probe = httpTarget({ baseUrl: url, route: 'fast', connections: 1, timeoutMs });
  try {
    await probe.setup!();
  } catch (error) {
    throw new UserError(`--http: ${(error as Error).message.replace(/\s+/g, ' ').trim()}`);
  } finally {
    await probe.teardown!();
  }
}

/** Seeds the default dataset when the default table is missing or empty; other tables must exist. */
async function ensureDataset(runtime: Runtime, client: pg.ClientBase, options: BenchOptions, status: (text: string) => void,
  say: (line: string) => void): Promise<void> {
  const info = await tableInfo(client, options.table);
  if (info?.hasRows) return;
  if (options.table.text !== BENCH_DEFAULTS.table) {
    throw usageError(`table ${options.table.text} ${info ? 'is empty' : 'does not exist'}`,
      `create it with \`perfbench seed --table ${options.table.text}\`, or pass --table with a table that has data`);
  }
  const d = DEFAULT_DATASET;
  say(`table ${options.table.text} ${info ? 'is empty' : 'does not exist'}: seeding the default dataset first ` +
    `(${formatCount(d.rows)} rows in ${formatCount(d.categories)} categories; \`perfbench seed\` makes other sizes)`);
  try {
    const seeded = await seed(runtime, { table: options.table, dataset: d, reset: false, withIndex: false },
      (rows) => status(`seeding ${options.table.text}: ${formatCount(rows)} / ${formatCount(d.rows)} rows`));
    say(`seeded ${seeded.table}: ${formatCount(seeded.rows)} rows in ${(seeded.totalMs / 1000).toFixed(1)} s`);
  } catch (error) {
    if (runtime.signal.aborted) throw interruptedError('stopped while seeding; nothing was measured');
    throw error;
  }
}

/**
 * The categories the operations ask for. A table perfbench seeded has categories `cat-…` (known
 * from its metadata); for another table (or another filter column), the column's distinct values.
 */
async function benchSequence(client: pg.ClientBase, options: BenchOptions): Promise<CategorySequence> {
  const draw = { distribution: options.distribution, seed: options.seed, ...(options.skew !== undefined ? { skew: options.skew } : {}) };
  const seeded = await readDataset(client, options.table);
  if (seeded && options.column.name === 'category') return categorySequence({ categories: seeded.parameters.categories, ...draw });
  const values = await columnValues(client, { table: options.table, column: options.column }, MAX_CATEGORIES);
  if (values.length === 0) throw usageError(`column ${options.column.text} of ${options.table.text} has no values`, 'pass --column with a filled column');
  const base = categorySequence({ categories: values.length, ...draw });
  const byName = new Map(base.names.map((name, k) => [name, values[k]!]));
  return { names: values, at: (index) => byName.get(base.at(index))! };
}

async function describeEnvironment(client: pg.ClientBase, options: BenchOptions,
  facts: { fingerprint: string; backend: string; tier: CacheTier | undefined }): Promise<Environment> {
  const server = await serverSettings(client);
  const indexes = await listIndexes(client, options.table);
  const cpu = cpus();
  const environment: Environment = {
    node: process.version,
    postgres: server.version,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    os: `${platform()} ${release()}`,
    dataset: facts.fingerprint,
    table: options.table.text,
    column: options.column.text,
    indexes: indexes.filter((i) => i.valid).map((i) => `${i.name} (${i.method} on ${i.columns.join(', ')})`).sort(),
    settings: server.settings,
    histogramBackend: facts.backend,
  };
  if (facts.tier) {
    environment.cacheTier = facts.tier.kind;
    environment.redis = facts.tier.kind === 'in-process' ? facts.tier.label : (await facts.tier.info()).version;
  }
  return environment;
}

function optionsRecord(options: BenchOptions, sequence: CategorySequence): RunOptionsRecord {
  const record: RunOptionsRecord = {
    mode: options.ratePerSec !== undefined ? 'open' : 'closed',
    concurrency: options.concurrency,
    warmupMs: options.warmupMs,
    trials: options.trials,
    distribution: options.distribution,
    seed: options.seed,
    categories: sequence.names.length,
    paths: options.paths,
    ttlSeconds: options.ttlSeconds,
  };
  if (options.durationMs !== undefined) record.durationMs = options.durationMs;
  if (options.iterations !== undefined) record.iterations = options.iterations;
  if (options.ratePerSec !== undefined) record.ratePerSec = options.ratePerSec;
  if (options.skew !== undefined) record.skew = options.skew;
  return record;
}

/** The spinner text for a progress event. */
export function progressText(event: ProgressEvent, position: { run: number; runs: number; trials: number }): string {
  const where = `[${position.run}/${position.runs}] ${event.target} c=${event.concurrency}${position.trials > 1 ? ` trial ${event.trial}/${position.trials}` : ''}`;
  if (event.phase !== 'measure') return `${where} · ${event.phase === 'warmup' ? 'warming up' : event.phase === 'setup' ? 'setting up' : event.phase}`;
  const errors = event.errors > 0 ? ` · ${formatCount(event.errors)} errors` : '';
  return `${where} · ${(event.elapsedMs / 1000).toFixed(1)} s · ${formatRate(event.opsPerSec)} ops/s · p99 ${formatMsFromUs(event.p99Us)} ms${errors}`;
}


export function register(program: Command, context: CommandContext): void {
  const d = BENCH_DEFAULTS;
  program
    .command('bench')
    .description('time the report through seq-scan, index-scan, cache-hit, cache-miss, no-op and (--http) HTTP paths; speed-ups, plans, CI gate')
    .option('--paths <list>', `paths to run: ${PATHS.map((p) => p.name).join(', ')} (default: all but ${HTTP_PATHS.join(', ')}; with --http, all)`)
    .option('--http [url]', 'also time /report/slow and /report/fast end to end: of `perfbench serve` at url, or (no url) of one started in-process')
    .option('--concurrency <list>', 'workers per path; a list such as 1,4,16 sweeps it', d.concurrency)
    .option('--duration <time>', `measured time per path and trial, e.g. 500ms, 5s, 1m (default ${d.duration})`)
    .option('--iterations <n>', 'measured operations per path and trial, instead of --duration')
    .option('--warmup <time>', 'unrecorded warm-up per path and trial (0 for none)', d.warmup)
    .option('--rate <ops/s>', 'open loop: operations per second on a fixed schedule (coordinated omission corrected)')
    .option('--trials <n>', 'rounds of all paths, interleaved; 3 or more give trial-based intervals', d.trials)
    .option('--distribution <d>', 'category draw: uniform | zipf', d.distribution)
    .option('--skew <s>', 'Zipf exponent with --distribution zipf (default 1)')
    .option('--seed <n>', 'seed of the category sequence (the same for every path)', d.seed)
    .option('--table <name>', 'table to read (the default one is seeded when missing)', d.table)
    .option('--column <name>', 'filter column of the report', d.column)
    .option('--ttl <seconds>', 'TTL of the cache keys the run writes', d.ttl)
    .option('--keep-index', 'leave the index created for the run in place')
    .option('--keep-cache', 'leave the report keys the run wrote in the cache')
    .option('--format <f>', `stdout format: ${BENCH_FORMATS.join(' | ')}`, d.format)
    .option('--output <file>', 'also write the report here, format from the extension (.json .md .csv .txt); repeatable', repeatable, [])
    .option('--baseline <file>', 'compare with an earlier JSON result (p50/p99, noise-aware)')
    .option('--fail-if-slower <pct>', 'exit 3 when a path is slower than the baseline by more than this, e.g. 10%')
    .addHelpText('after', `
Paths:
${PATHS.map((p) => `  ${p.name.padEnd(9)} ${p.description}`).join('\n')}

The index on the filter column is created for the run when missing and dropped afterwards (also
after Ctrl-C or an error); the cache keys the run writes are removed at the end, and so are those
of the server --http starts in-process (a server at a URL keeps its own). The HTTP paths report
the server's Server-Timing breakdown (queue, cache, db, total) beside the client-side latency.
The JSON result (--output result.json) embeds every path's HDR histogram: use it as a --baseline
or with merge.
Markdown is appended to $GITHUB_STEP_SUMMARY when that is set.

Exit codes: 0 ok, 1 runtime failure (also: operations failed), 2 usage error (also an unreadable baseline), 3 the gate
tripped, 130 interrupted (what was measured is printed).

Examples:
  perfbench bench
  perfbench bench --paths seq,index --concurrency 1,4,16 --duration 5s
  perfbench bench --http
  perfbench bench --http http://127.0.0.1:8080 --paths http-slow,http-fast
  perfbench bench --output result.json --output summary.md
  perfbench bench --baseline main.json --fail-if-slower 10%`)
    .action((flags: BenchFlags) => context.run(async (runtime) => {
      const options = benchOptions(flags);
      const spinner = runtime.out.interactive ? (await import('ora')).default({ text: 'preparing…', stream: process.stderr }).start() : undefined;
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
      await publish(runtime, options.format, options.outputs, outcome);
      return benchExitCode(outcome, options.failIfSlower, (line) => runtime.out.say(line));
    }));

}
