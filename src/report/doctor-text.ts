/**
 * Reporter (pure): what `perfbench doctor` found, as the text it prints. The report's shape is
 * declared here, beside its only renderer, so the command that fills it and the tests that read it
 * share one definition without the reporter depending on a command.
 */
import type { IndexInfo } from '../db/indexes.js';
import type { SeededDataset, TableInfo } from '../db/products.js';
import { formatBytes, formatInt } from './format.js';

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
  redis: { ok: true; kind: string; label: string; version: string; usedMemoryBytes: number; cluster?: DoctorCluster } | { ok: false; error: string };
  /** True when every needed service answered. */
  healthy: boolean;
}

/** A Redis Cluster as doctor found it: its state, and each master as its own INFO tells it. */
export interface DoctorCluster {
  state: string;
  slotsOk: number;
  masters: Array<{ address: string; version: string; usedMemoryBytes: number; keys: number; replicas: number }>;
}

export function renderDoctor(report: DoctorReport): string {
  return [...configurationLines(report.configuration), ...postgresLines(report), ...tableLines(report.table), ...redisLines(report)].join('\n');
}

/** `host, port from env; user from flag`: which fields each source set (a user asks "why this value?"). */
function sources(map: Record<string, string>): string {
  const bySource = new Map<string, string[]>();
  for (const [field, source] of Object.entries(map)) bySource.set(source, [...(bySource.get(source) ?? []), field]);
  return [...bySource].map(([source, fields]) => `${fields.join(', ')} from ${source}`).join('; ') || 'defaults';
}

function configurationLines(c: DoctorReport['configuration']): string[] {
  return [
    'configuration',
    `  database   ${c.database.url} (${c.database.mode}; ${sources(c.database.sources)})`,
    `  redis      ${c.redis.url} (${c.redis.mode}; ${sources(c.redis.sources)})`,
    `  timeout    ${c.connectTimeoutMs} ms   cache dir ${c.cacheDir}   .env ${c.envFile ?? 'none'}`,
  ];
}

function postgresLines({ postgres }: DoctorReport): string[] {
  if (!postgres.ok) return ['postgresql', `  FAILED     ${postgres.error}`];
  return [
    'postgresql',
    `  ok         PostgreSQL ${postgres.version}${postgres.embeddedDataDir ? ` (embedded, data in ${postgres.embeddedDataDir})` : ''}`,
    `  settings   ${Object.entries(postgres.settings).map(([key, value]) => `${key}=${value}`).join(' ')}`,
  ];
}

function tableLines(table: DoctorReport['table']): string[] {
  if (!table) return [];
  const { info, dataset, indexes } = table;
  if (!info) return [`table ${table.name}`, '  missing    run `perfbench seed` to create it'];
  return [
    `table ${table.name}`,
    `  rows       ~${formatInt(info.estimatedRows)} (estimate), ${formatBytes(info.totalBytes)} with indexes, last ANALYZE ${info.lastAnalyze?.toISOString() ?? 'never'}`,
    `  dataset    ${dataset ? `${dataset.fingerprint} (${JSON.stringify(dataset.parameters)}), seeded ${dataset.seededAt.toISOString()}` : 'not seeded by perfbench'}`,
    ...indexes.map((index) => `  index      ${index.name} (${index.method} on ${index.columns.join(', ')}, ${formatBytes(index.bytes)}, ` +
      `${formatInt(index.scans)} scans${index.owned ? ', perfbench' : ''}${index.valid ? '' : ', INVALID'})`),
    ...(indexes.length === 0 ? ['  indexes    none'] : []),
  ];
}

function redisLines({ redis }: DoctorReport): string[] {
  if (!redis.ok) return ['redis', `  FAILED     ${redis.error}`];
  const lines = ['redis', `  ok         ${redis.label} (${redis.kind}), ${formatBytes(redis.usedMemoryBytes)} used`];
  if (!redis.cluster) return lines;
  const { state, slotsOk, masters } = redis.cluster;
  lines.push(`  cluster    state ${state}, ${formatInt(slotsOk)} of 16,384 slots served, ${masters.length} ${masters.length === 1 ? 'master' : 'masters'}`);
  for (const master of masters) {
    lines.push(`  master     ${master.address}: redis ${master.version}, ${formatInt(master.keys)} ${master.keys === 1 ? 'key' : 'keys'}, ` +
      `${formatBytes(master.usedMemoryBytes)} used, ${master.replicas} ${master.replicas === 1 ? 'replica' : 'replicas'}`);
  }
  return lines;
}
