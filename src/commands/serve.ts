/** Command: `perfbench serve` — flags -> the report-server use case, until Ctrl-C. */
// First: this command runs load or serves, and nextTick must stay fast in its process (see
// tick-shape.ts). Imported here rather than by cli.ts, so commands that do neither skip its cost.
import '../tick-shape.js';
import { COMMAND_SUMMARIES } from '../command-list.js';
import type { Command } from 'commander';
import { DEFAULT_TTL_SECONDS } from '../cache/report-cache.js';
import type { CommandContext } from '../flags/context.js';
import { repeatable } from '../flags/options.js';
import { serveOptions, type ServeFlags } from '../flags/serve-flags.js';
import { workloadOptions } from '../flags/workload-flags.js';
import { DEFAULT_NEAR_CACHE_MB, DEFAULT_POOL_SIZE, serve } from '../usecases/report-server.js';
import { serveWorkload } from '../usecases/workload-server.js';
import { REPORT_DEFAULTS } from '../workload/report.js';
import { capYoungGeneration } from '../young-generation.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('serve')
    .description(COMMAND_SUMMARIES.serve)
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--host <address>', 'address to bind; anything but loopback is warned about', '127.0.0.1')
    .option('--table <name>', 'table to report from', REPORT_DEFAULTS.table)
    .option('--column <name>', 'filter column', REPORT_DEFAULTS.column)
    .option('--ttl <seconds>', 'cache TTL of /report/fast', String(DEFAULT_TTL_SECONDS))
    .option('--pool <n>', "connections in /report/fast's pool", String(DEFAULT_POOL_SIZE))
    .option('--workload <file>', "serve a pgbench script's read statements at /q/<name>/slow and /q/<name>/fast instead of the report (repeatable)", repeatable, [])
    .option('--builtin <name>', "the same for pgbench's built-in script (select-only; repeatable)", repeatable, [])
    .option('--near-cache-mb <n>', "memory for /report/fast's near cache of hot reports, kept coherent by Redis invalidations (0: off)", String(DEFAULT_NEAR_CACHE_MB))
    .addHelpText('after', [
      '',
      'Routes:',
      '  GET /report/slow?category=X   one dedicated connection used serially, no cache (X-Cache: BYPASS)',
      '  GET /report/fast?category=X   pooled, Redis cache-aside with single-flight (X-Cache: NEAR | HIT | MISS | BYPASS);',
      '                                NEAR: from memory, no Redis round trip (gzip/br, ETag and 304 on If-None-Match)',
      '  GET /healthz                  database and cache status (503 while the database is down)',
      '  GET /metrics                  Prometheus text: requests, cache outcomes, latency histograms',
      '',
      'Example:',
      '  perfbench serve --port 8080 --ttl 60',
      "  curl -i 'http://127.0.0.1:8080/report/fast?category=cat-001'",
      '  perfbench serve --workload orders.sql   # GET /q/<statement name>/slow|fast?<variable>=…',
      '  perfbench serve --builtin select-only   # GET /q/select-only%231/fast?aid=42 (a statement without -- name: is <file>#<k>)',
    ].join('\n'))
    .action((flags: ServeFlags & { workload: string[]; builtin: string[] }) => context.run(async (runtime) => {
      capYoungGeneration();
      const workload = workloadOptions({ workload: flags.workload, builtin: flags.builtin });
      if (workload) {
        const o = serveOptions(flags);
        await serveWorkload(runtime, { scripts: workload.scripts, port: o.port, host: o.host, ttlSeconds: o.ttlSeconds, poolSize: o.poolSize });
        return 0;
      }
      await serve(runtime, serveOptions(flags));
      return 0;
    }));
}
