/** Use case: what is configured and where it came from, and is PostgreSQL, the table and Redis reachable. */
import { describeDatabase, describeRedis, type Config } from '../config.js';
import { listIndexes } from '../db/indexes.js';
import { readDataset, tableInfo } from '../db/products.js';
import { sql } from '../db/sql.js';
import { firstLine, UserError } from '../errors.js';
import type { DoctorReport } from '../report/doctor-text.js';
import type { Runtime } from '../runtime.js';
import type { Identifier } from '../workload/identifiers.js';

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
    if (info.cluster) report.redis.cluster = info.cluster;
  } catch (error) {
    report.redis = { ok: false, error: oneLine(error) };
  }
  // A cluster that answers but does not serve every slot (a master down) fails part of the keys.
  report.healthy = report.postgres.ok && report.redis.ok && (report.redis.cluster?.state ?? 'ok') === 'ok';
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

