/**
 * What the integration tests leave behind. global-setup takes an inventory of the test database
 * and the test Redis database before the run and again after it; whatever is new at the end was
 * left by a test (each test file must remove its tables, schemas, dataset records and keys), and
 * the run fails naming it.
 *
 * Several runs may share one database (the machine's `test` database and Redis db 0): an object
 * whose name carries the pid of a process that is still running (uniqueTable() puts the worker's
 * pid in every name) belongs to a run still in progress, not to this one, and is not counted. This
 * run's workers have all exited by the time the inventory is taken.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { PROBE_KEY } from '../../src/server/routes/health.js';

export interface Inventory {
  /** `schema.relation` of every user table, view and sequence outside perfbench's own metadata tables. */
  relations: string[];
  /** User schemas. */
  schemas: string[];
  /** Rows of perfbench's metadata tables (perfbench_datasets, perfbench_runs, …), as `table: key`. */
  records: string[];
  /** Every key of the Redis database. */
  keys: string[];
}

/** Rows of perfbench's metadata tables are known by these columns; any other perfbench_* table by the whole row. */
const RECORD_KEYS: Record<string, string> = {
  perfbench_datasets: 'table_name',
  perfbench_runs: 'table_key',
  perfbench_index_intents: "index_schema || '.' || index_name",
};

export async function takeInventory(databaseUrl: string, redisUrl: string): Promise<Inventory> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const relations = await client.query<{ name: string; meta: boolean }>(`
      SELECT format('%I.%I', n.nspname, c.relname) AS name, (n.nspname = 'public' AND c.relname LIKE 'perfbench\\_%') AS meta
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
       ORDER BY 1`);
    const schemas = await client.query<{ name: string }>(`
      SELECT quote_ident(nspname) AS name FROM pg_namespace
       WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`);
    const records: string[] = [];
    for (const { name } of relations.rows.filter((row) => row.meta)) {
      const table = name.slice('public.'.length);
      const key = RECORD_KEYS[table] ?? 't::text';
      const rows = await client.query<{ key: string }>(`SELECT (${key})::text AS key FROM ${name} t`);
      records.push(...rows.rows.map((row) => `${table}: ${row.key}`));
    }
    return {
      relations: relations.rows.filter((row) => !row.meta).map((row) => row.name),
      schemas: schemas.rows.map((row) => row.name),
      records: records.sort(),
      keys: await redisKeys(redisUrl),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every key of a Redis database (SCAN, not KEYS). */
export async function redisKeys(url: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return (await scanKeys(redis)).sort();
  } finally {
    redis.disconnect();
  }
}

/** Every key of one server's selected database (one node of a cluster: its own keys), deduplicated. */
export async function scanKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)];
}

/**
 * What `after` holds that `before` did not, less what belongs to a run still in progress. Lines
 * ready to print, one per kind, empty when nothing was left.
 */
/**
 * Keys perfbench writes with a short TTL of their own, by design: serve's /healthz probe key lives
 * 10 s, so it is there at the end whenever a serve test probed in the run's last seconds.
 */
const SELF_EXPIRING_KEYS = new Set([PROBE_KEY]);

export function leftBehind(before: Inventory, after: Inventory, isRunning: (pid: number) => boolean = processRuns): string[] {
  const fresh = (kind: keyof Inventory) => after[kind].filter((name) => !before[kind].includes(name) && !ownedByRunningProcess(name, isRunning)
    && !(kind === 'keys' && SELF_EXPIRING_KEYS.has(name)));
  const lines: string[] = [];
  const say = (what: string, names: string[]) => {
    if (names.length > 0) lines.push(`${what} (${names.length}): ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`);
  };
  say('tables, views or sequences', fresh('relations'));
  say('schemas', fresh('schemas'));
  say("rows of perfbench's metadata tables", fresh('records'));
  say('Redis keys', fresh('keys'));
  return lines;
}

/** True when a number in the name, set off by `_` (uniqueTable's `pbt_<what>_<pid>_<n>`), is the pid of a running process. */
export function ownedByRunningProcess(name: string, isRunning: (pid: number) => boolean): boolean {
  const decoded = safeDecode(name);
  for (const match of decoded.matchAll(/_(\d{2,7})_/g)) {
    const pid = Number(match[1]);
    if (pid !== process.pid && isRunning(pid)) return true;
  }
  return false;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
