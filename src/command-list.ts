/**
 * Shared: the commands' names and one-line summaries, apart from the command modules so that the
 * CLI can list every command (`perfbench --help`) and load only the one that runs: each module
 * pulls in its own dependencies (pg, the histograms, the server…), and start-up pays for those only
 * when that command is asked for.
 */
export const COMMAND_SUMMARIES = {
  seed: 'create the synthetic products table (COPY, one transaction, ANALYZE)',
  index: 'add, drop or list the index on the filter column',
  doctor: 'show the configuration and where it came from, check PostgreSQL, the table and Redis',
  explain: 'EXPLAIN ANALYZE the report query (or --query): plan tree, warnings, index check, before/after with --compare',
  serve: 'serve the report over HTTP: /report/slow (one connection, no cache) and /report/fast (pool + Redis cache)',
  bench: 'time the report through seq-scan, index-scan, cache-hit, cache-miss, no-op and (--http) HTTP paths; speed-ups, plans, CI gate',
  merge: 'add the histograms of bench results from several processes or machines into one result',
  report: 'one self-contained HTML page of bench results: latency curves, speed-ups, over time, plans; several results side by side',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;

export const COMMAND_NAMES = Object.keys(COMMAND_SUMMARIES) as CommandName[];
