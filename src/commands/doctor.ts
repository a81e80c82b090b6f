/** Command: `perfbench doctor` — checks what is configured and reachable, and hands the findings to a reporter. */
import type { Command } from 'commander';
import { describeDatabase, describeRedis, type Config } from '../config.js';
import { tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { listIndexes } from '../db/indexes.js';
import { readDataset, tableInfo } from '../db/products.js';
import { sql } from '../db/sql.js';
import { ExitCode, firstLine, UserError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption } from '../flags/options.js';
import { renderDoctor, type DoctorReport } from '../report/doctor-text.js';
import { REPORT_DEFAULTS } from '../workload/report.js';

// Callers that read doctor's findings (the embedded-PostgreSQL test) take the shape and its
// rendering from here, as they did before the renderer moved to report/.
export { renderDoctor, type DoctorReport };

export async function doctor(runtime: Runtime, table: Identifier): Promise<DoctorReport> {
  const config = runtime.config;
  const report: DoctorReport = {
    configuration: describeConfiguration(config),
    postgres: { ok: false, error: 'not checked' },
    table: null,
    redis: { ok: false, error: 'not checked' },
    healthy: false,
  };
  try {
    const client = await runtime.client();
    const server = (await client.query(sql('server-info'))).rows[0];
    const { version, version_num: _, ...settings } = server;
    report.postgres = { ok: true, version, settings, embeddedDataDir: runtime.embedded?.dataDir ?? null };
    const info = await tableInfo(client, table);
    report.table = {
      name: table.text,
      info: info ?? null,
      dataset: (await readDataset(client, table)) ?? null,
      indexes: info ? await listIndexes(client, table) : [],
    };
  } catch (error) {
    report.postgres = { ok: false, error: oneLine(error) };
  }
  try {
    const cache = await runtime.cache();
    const info = await cache.info();
    report.redis = { ok: true, kind: cache.kind, label: cache.label, version: info.version, usedMemoryBytes: info.usedMemoryBytes };
  } catch (error) {
    report.redis = { ok: false, error: oneLine(error) };
  }
  report.healthy = report.postgres.ok && report.redis.ok;
  return report;
}

function oneLine(error: unknown): string {
  return error instanceof UserError ? error.line : firstLine((error as Error).message);
}

function describeConfiguration(config: Config): DoctorReport['configuration'] {
  return {
    database: { url: describeDatabase(config.database), mode: config.database.mode, sources: { ...config.database.sources } },
    redis: { url: describeRedis(config.redis), mode: config.redis.mode, sources: { ...config.redis.sources } },
    connectTimeoutMs: config.connectTimeoutMs,
    cacheDir: config.cacheDir,
    envFile: config.envFile ?? null,
  };
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description('show the configuration and where it came from, check PostgreSQL, the table and Redis')
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
