import type { Command } from 'commander';
import { describeDatabase, describeRedis, type Config } from '../config.js';
import { tableIdentifier, type Identifier } from '../workload/identifiers.js';
import { listIndexes, type IndexInfo } from '../db/indexes.js';
import { readDataset, tableInfo, type SeededDataset, type TableInfo } from '../db/products.js';
import { sql } from '../db/sql.js';
import { ExitCode, firstLine, UserError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { CommandContext } from '../flags/context.js';
import { choiceOption, formatBytes, formatCount } from '../flags/options.js';

/** Everything `doctor` found, as data (rendered as text, or JSON with --format json). */
export interface DoctorReport {
  configuration: {
    database: { url: string; mode: string; sources: Record<string, string> };
    redis: { url: string; mode: string; sources: Record<string, string> };
    connectTimeoutMs: number;
    cacheDir: string;
    envFile: string | null;
  };
  postgres: { ok: true; version: string; settings: Record<string, string>; embeddedDataDir: string | null } | { ok: false; error: string };
  table: { name: string; info: TableInfo | null; dataset: SeededDataset | null; indexes: IndexInfo[] } | null;
  redis: { ok: true; kind: string; label: string; version: string; usedMemoryBytes: number } | { ok: false; error: string };
  /** True when every needed service answered. */
  healthy: boolean;
}

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

export function renderDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  const { configuration: c } = report;
  const sources = (map: Record<string, string>) => {
    const bySource = new Map<string, string[]>();
    for (const [field, source] of Object.entries(map)) bySource.set(source, [...(bySource.get(source) ?? []), field]);
    return [...bySource].map(([source, fields]) => `${fields.join(', ')} from ${source}`).join('; ') || 'defaults';
  };
  lines.push('configuration');
  lines.push(`  database   ${c.database.url} (${c.database.mode}; ${sources(c.database.sources)})`);
  lines.push(`  redis      ${c.redis.url} (${c.redis.mode}; ${sources(c.redis.sources)})`);
  lines.push(`  timeout    ${c.connectTimeoutMs} ms   cache dir ${c.cacheDir}   .env ${c.envFile ?? 'none'}`);
  lines.push('postgresql');
  if (report.postgres.ok) {
    lines.push(`  ok         PostgreSQL ${report.postgres.version}${report.postgres.embeddedDataDir ? ` (embedded, data in ${report.postgres.embeddedDataDir})` : ''}`);
    lines.push(`  settings   ${Object.entries(report.postgres.settings).map(([key, value]) => `${key}=${value}`).join(' ')}`);
  } else {
    lines.push(`  FAILED     ${report.postgres.error}`);
  }
  if (report.table) {
    const { info, dataset, indexes } = report.table;
    lines.push(`table ${report.table.name}`);
    if (!info) {
      lines.push('  missing    run `perfbench seed` to create it');
    } else {
      lines.push(`  rows       ~${formatCount(info.estimatedRows)} (estimate), ${formatBytes(info.totalBytes)} with indexes, last ANALYZE ${info.lastAnalyze?.toISOString() ?? 'never'}`);
      lines.push(`  dataset    ${dataset ? `${dataset.fingerprint} (${JSON.stringify(dataset.parameters)}), seeded ${dataset.seededAt.toISOString()}` : 'not seeded by perfbench'}`);
      for (const index of indexes) {
        lines.push(`  index      ${index.name} (${index.method} on ${index.columns.join(', ')}, ${formatBytes(index.bytes)}, ${formatCount(index.scans)} scans${index.owned ? ', perfbench' : ''}${index.valid ? '' : ', INVALID'})`);
      }
      if (indexes.length === 0) lines.push('  indexes    none');
    }
  }
  lines.push('redis');
  if (report.redis.ok) {
    lines.push(`  ok         ${report.redis.label} (${report.redis.kind}), ${formatBytes(report.redis.usedMemoryBytes)} used`);
  } else {
    lines.push(`  FAILED     ${report.redis.error}`);
  }
  return lines.join('\n');
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description('show the configuration and where it came from, check PostgreSQL, the table and Redis')
    .option('--table <name>', 'table to inspect', 'products')
    .option('--format <f>', 'text | json', 'text')
    .addHelpText('after', '\nExit code 1 when PostgreSQL or Redis is unreachable.\n\nExample:\n  perfbench doctor --table products')
    .action((flags: { table: string; format: string }) => context.run(async (runtime) => {
      const format = choiceOption(flags.format, '--format', ['text', 'json'] as const);
      const report = await doctor(runtime, tableIdentifier(flags.table));
      runtime.out.data(format === 'json' ? JSON.stringify(report, null, 2) : renderDoctor(report));
      return report.healthy ? ExitCode.ok : ExitCode.failure;
    }));
}
