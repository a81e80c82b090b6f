/**
 * Issue 14, item 4: `bench --replica-url` against a private primary with two streaming replicas on
 * loopback (pg_basebackup -R -X stream; private-replication.ts). The report's read paths run on the
 * replicas, split round-robin per operation, and the replicas' own statistics count the scans; the
 * run's setup (the index) is built on the primary and waited for on the replicas; the lag is read at
 * the start and the end; a URL that is no replica, or does not answer, is one line; a replica
 * stopped mid-run costs counted errors, never a hang.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { benchOptions } from '../../src/flags/bench-flags.js';
import { seedOptions } from '../../src/flags/seed-flags.js';
import { freeLoopbackPort } from '../../src/net.js';
import { renderReport } from '../../src/report/bench-report.js';
import { validateResult } from '../../src/measure/result.js';
import { bench, benchVerdict } from '../../src/usecases/bench.js';
import { seed } from '../../src/usecases/dataset.js';
import { query, startReplicatedCluster, type ReplicatedCluster } from '../support/private-replication.js';
import { testRuntime, withRuntime } from '../support/services.js';
import { usesOnlyItsOwnServers } from '../support/one-file-at-a-time.js';

// A private primary and its replicas, memory:// for the cache: nothing shared, so no lock.
usesOnlyItsOwnServers();

let cluster: ReplicatedCluster;
// Quoted, mixed case, with a space: nothing like `products`.
const table = '"Read Side"';
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ DATABASE_URL: cluster.primaryUrl(), REDIS_URL: 'memory://', ...extra });
/** A replica's URL without user or database: both are the primary's. */
const replicaUrl = (k: number): string => `postgres://127.0.0.1:${cluster.replicas[k]!.port}`;

beforeAll(async () => {
  cluster = await startReplicatedCluster(2);
  await withRuntime((runtime) => seed(runtime, seedOptions({ table, rows: '20000', categories: '40', distribution: 'uniform', seed: '8' })), env());
  await cluster.waitForReplay();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

/**
 * One server's own statistics (a standby counts the queries it runs): seq scans of the table, and
 * committed transactions in the database (the run's index, and its scan counts, are gone afterwards).
 */
async function scans(url: string): Promise<{ seq: number; xact: number }> {
  const rows = await query(url, "SELECT seq_scan::int AS seq, (SELECT xact_commit::int FROM pg_stat_database WHERE datname = current_database()) AS xact FROM pg_stat_user_tables WHERE relname = 'Read Side'");
  return { seq: rows[0]!['seq'] as number, xact: rows[0]!['xact'] as number };
}

async function bothReplicas(): Promise<Array<{ seq: number; xact: number }>> {
  return [await scans(cluster.replicaUrl(0)), await scans(cluster.replicaUrl(1))];
}

describe('bench --replica-url with two replicas', () => {
  it('reads on the replicas, split round-robin per operation; waits for the index to be replayed; reports lag at the start and end', async () => {
    const before = { primary: await scans(cluster.primaryUrl()), replicas: await bothReplicas() };
    // Replica 2 stops replaying: the index the run builds on the primary cannot reach it until it
    // resumes, 1 s after bench starts waiting. Measuring must not start before.
    await query(cluster.replicaUrl(1), 'SELECT pg_wal_replay_pause()');
    let resumed: Promise<unknown> | undefined;
    const runtime = testRuntime(env());
    let outcome;
    try {
      const options = benchOptions({ table, paths: 'seq,index,miss,cache', iterations: '60', warmup: '0', trials: '1', replicaUrl: [replicaUrl(0), replicaUrl(1)] });
      outcome = await bench(runtime, options, {
        onStatus: (text) => {
          if (text.startsWith('waiting for the replicas') && !resumed) {
            resumed = new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => query(cluster.replicaUrl(1), 'SELECT pg_wal_replay_resume()'));
          }
        },
      });
    } finally {
      await runtime.close();
      await query(cluster.replicaUrl(1), 'SELECT pg_wal_replay_resume()').catch(() => undefined);
    }
    await resumed;
    expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.ok);
    const result = validateResult(JSON.parse(JSON.stringify(outcome.result)));
    const replicas = [`127.0.0.1:${cluster.replicas[0]!.port}`, `127.0.0.1:${cluster.replicas[1]!.port}`];

    // Every operation of a DB path ran on a replica, operation i on replica i mod 2: 30 each.
    for (const name of ['seq', 'index', 'miss']) {
      const path = result.paths.find((p) => p.name === name)!;
      expect(path.ops, name).toBe(60);
      expect(path.servers?.map((s) => [s.server, s.role, s.ops, s.errors]), name).toEqual(replicas.map((server) => [server, 'replica', 30, 0]));
      expect(path.servers!.every((s) => s.summary.count === 30 && s.summary.p50Us > 0), name).toBe(true);
      expect(path.flags ?? [], name).not.toContain('plan-mismatch');
    }
    // The index path found its index on the replicas (its plan is checked on each of them): the wait worked.
    expect(result.paths.find((p) => p.name === 'index')!.plan?.usesIndex).toBe(true);
    expect(result.paths.find((p) => p.name === 'seq')!.plan?.usesIndex).toBe(false);
    expect(result.replication?.replayWaitMs).toBeGreaterThanOrEqual(900);

    // The replicas' own statistics: each ran 30 seq scans for seq, and 30 queries each for index and miss.
    const after = { primary: await scans(cluster.primaryUrl()), replicas: await bothReplicas() };
    for (const k of [0, 1]) {
      expect(after.replicas[k]!.seq - before.replicas[k]!.seq, `replica ${k} seq scans`).toBeGreaterThanOrEqual(30);
      expect(after.replicas[k]!.xact - before.replicas[k]!.xact, `replica ${k} transactions`).toBeGreaterThanOrEqual(90);
    }
    // The primary ran the setup and the run's bookkeeping (a scan for the values, the index build), not the report queries.
    expect(after.primary.seq - before.primary.seq).toBeLessThan(10);
    const replicaXacts = [0, 1].map((k) => after.replicas[k]!.xact - before.replicas[k]!.xact);
    expect(after.primary.xact - before.primary.xact).toBeLessThan(Math.min(...replicaXacts));

    // Lag at the start and the end, on both sides.
    const replication = result.replication!;
    expect(replication.routing).toBe('per-operation');
    expect(replication.replicas).toEqual(replicas);
    for (const snapshot of [replication.start, replication.end!]) {
      expect(snapshot.primaryLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(snapshot.replicas.map((r) => r.server)).toEqual(replicas);
      for (const lag of snapshot.replicas) {
        expect(lag.error).toBeUndefined();
        expect(lag.bytesBehind).toBeGreaterThanOrEqual(0);
        expect(lag.replayDelayMs).toBeGreaterThanOrEqual(0);
      }
      expect(snapshot.standbys.filter((s) => s.state === 'streaming')).toHaveLength(2);
    }
    const text = renderReport('table', { result, comparisons: outcome.comparisons });
    expect(text).toContain('Replication lag (at the start and the end of the measuring)');
    expect(text).toMatch(new RegExp(`│ index │ +1 │ ${replicas[1]!.replace(/\./g, '\\.')} │ replica │ +30 │ +0 │`));
    expect(renderReport('markdown', { result, comparisons: outcome.comparisons })).toContain('### Replication lag');
    expect(runtime.out.stderr).toMatch(/replicas .* replayed the run's setup \(primary LSN [0-9A-F]+\/[0-9A-F]+\) in \d+\.\d s/);
  }, 90_000);

  it('with --workers 2, each worker thread reads from the replicas, and their per-server figures add up', async () => {
    const runtime = testRuntime(env());
    let outcome;
    try {
      outcome = await bench(runtime, benchOptions({ table, paths: 'index', concurrency: '2', workers: '2', iterations: '40', warmup: '0', trials: '1', replicaUrl: [replicaUrl(0), replicaUrl(1)] }));
    } finally {
      await runtime.close();
    }
    expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.ok);
    const index = outcome.result.paths[0]!;
    expect(index.workers).toBe(2);
    expect(index.ops).toBe(40);
    expect(index.servers?.map((s) => [s.server, s.ops, s.errors])).toEqual([0, 1].map((k) => [`127.0.0.1:${cluster.replicas[k]!.port}`, 20, 0]));
    expect(index.plan?.usesIndex).toBe(true);
  }, 60_000);

  it('--workload: a read-only script on the replicas, a script that writes on the primary, a candidate index waited for on the replicas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfbench-replica-workload-'));
    await query(cluster.primaryUrl(), 'CREATE TABLE "Ledger Rows" ("Account Id" int NOT NULL, amount int NOT NULL)');
    await query(cluster.primaryUrl(), 'INSERT INTO "Ledger Rows" SELECT g % 200, 1 FROM generate_series(1, 20000) g');
    await query(cluster.primaryUrl(), 'ANALYZE "Ledger Rows"');
    writeFileSync(join(dir, 'read.sql'), '\\pb_from aid "Ledger Rows"."Account Id"\n-- name: balance\nSELECT sum(amount) FROM "Ledger Rows" WHERE "Account Id" = :aid;\n');
    writeFileSync(join(dir, 'write.sql'), '\\set aid random(0, 199)\n-- name: credit\nUPDATE "Ledger Rows" SET amount = amount + 1 WHERE "Account Id" = :aid;\n');
    await cluster.waitForReplay();
    const runtime = testRuntime(env());
    let outcome;
    try {
      outcome = await bench(runtime, benchOptions({
        workload: [join(dir, 'read.sql'), join(dir, 'write.sql')], paths: 'as-is,index="Ledger Rows"("Account Id")',
        iterations: '60', warmup: '0', trials: '1', replicaUrl: [replicaUrl(0), replicaUrl(1)],
      }));
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
    try {
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.ok);
      const primary = `127.0.0.1:${cluster.primary.port}`;
      for (const path of outcome.result.paths) {
        const reads = path.scripts!.find((s) => s.name.endsWith('read.sql'))!.ops;
        const writes = path.scripts!.find((s) => s.name.endsWith('write.sql'))!.ops;
        expect(reads, path.name).toBeGreaterThan(10);
        expect(writes, path.name).toBeGreaterThan(10);
        const servers = path.servers!;
        expect(servers.map((s) => s.role), path.name).toEqual(['replica', 'replica', 'primary']);
        expect(servers[0]!.ops + servers[1]!.ops, path.name).toBe(reads);
        expect(servers[2]!.server).toBe(primary);
        expect(servers[2]!.ops, path.name).toBe(writes);
      }
      // The candidate index was built on the primary and found by the read statement on a replica.
      const indexed = outcome.result.paths.find((p) => p.name.startsWith('index='))!;
      expect(indexed.plan?.usesIndex).toBe(true);
      expect(indexed.flags ?? []).not.toContain('plan-mismatch');
      // Every write landed on the primary: 20,000 rows of amount 1, plus one per updated row.
      const total = await query(cluster.primaryUrl(), 'SELECT sum(amount)::int AS total FROM "Ledger Rows"');
      expect(total[0]!['total']).toBeGreaterThan(20_000);
    } finally {
      await query(cluster.primaryUrl(), 'DROP TABLE "Ledger Rows"');
    }
  }, 60_000);

  it('refuses a URL that is not a replica (exit 2) and one that does not answer (exit 1), each in one line, before changing anything', async () => {
    const refused = async (url: string): Promise<UserError> => {
      const runtime = testRuntime(env());
      try {
        await bench(runtime, benchOptions({ table, paths: 'index', iterations: '5', warmup: '0', trials: '1', replicaUrl: [url] }));
      } catch (error) {
        return error as UserError;
      } finally {
        await runtime.close();
      }
      throw new Error(`bench accepted ${url}`);
    };
    const primary = await refused(`postgres://127.0.0.1:${cluster.primary.port}`);
    expect(primary.exitCode).toBe(ExitCode.usage);
    expect(primary.line).toBe(`flag --replica-url 127.0.0.1:${cluster.primary.port} is not a replica: pg_is_in_recovery() is false there (a primary, or a promoted standby) — ` +
      "pass the URL of a streaming replica of the database; the writes and the run's setup go to DATABASE_URL");
    const port = await freeLoopbackPort();
    const down = await refused(`postgres://127.0.0.1:${port}`);
    expect(down.exitCode).toBe(ExitCode.failure);
    expect(down.line).toMatch(new RegExp(`^flag --replica-url: cannot connect to the replica at 127\\.0\\.0\\.1:${port}: connection refused — is the replica running and reachable\\?`));
    expect(down.line).not.toContain('\n');
    // Nothing was built for those runs.
    const indexes = await query(cluster.primaryUrl(), "SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'Read Side' AND indexname <> 'Read Side_pkey'");
    expect(indexes[0]!['n']).toBe(0);
    expect(() => benchOptions({ table, replicaUrl: ['mysql://127.0.0.1:3306'] })).toThrow(/flag --replica-url must start with postgres:\/\/ or postgresql:\/\//);
  }, 60_000);

  it('times out with a clear line when a replica does not replay the setup within --replica-timeout', async () => {
    await query(cluster.replicaUrl(0), 'SELECT pg_wal_replay_pause()');
    const runtime = testRuntime(env());
    let error: UserError | undefined;
    try {
      await bench(runtime, benchOptions({ table, paths: 'index', iterations: '5', warmup: '0', trials: '1', replicaUrl: [replicaUrl(0)], replicaTimeout: '1s' }));
    } catch (caught) {
      error = caught as UserError;
    } finally {
      await runtime.close();
      await query(cluster.replicaUrl(0), 'SELECT pg_wal_replay_resume()');
    }
    expect(error?.exitCode).toBe(ExitCode.failure);
    expect(error?.line).toMatch(new RegExp(`^the replica 127\\.0\\.0\\.1:${cluster.replicas[0]!.port} has not replayed the run's setup within 1 s: it is at [0-9A-F]+/[0-9A-F]+, the primary's setup ended at [0-9A-F]+/[0-9A-F]+ \\(\\d+ bytes behind\\) — .*raise --replica-timeout`));
    // The run's index was dropped again on the primary.
    const indexes = await query(cluster.primaryUrl(), "SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'Read Side' AND indexname <> 'Read Side_pkey'");
    expect(indexes[0]!['n']).toBe(0);
  }, 60_000);

  it('a replica stopped mid-run (PERFBENCH_REPLICA_URLS): its operations fail and are counted, the other replica goes on, nothing hangs', async () => {
    await cluster.waitForReplay();
    const runtime = testRuntime(env({ PERFBENCH_REPLICA_URLS: `${replicaUrl(0)},${replicaUrl(1)}` }));
    let stopped: Promise<void> | undefined;
    let outcome;
    try {
      outcome = await bench(runtime, benchOptions({ table, paths: 'seq', duration: '2.5s', warmup: '0', trials: '1' }), {
        onProgress: (event) => {
          if (event.phase === 'measure' && event.elapsedMs >= 500 && !stopped) stopped = cluster.replicas[1]!.stopServer();
        },
      });
    } finally {
      await runtime.close();
    }
    await stopped;
    try {
      const seq = outcome.result.paths[0]!;
      const [alive, dead] = seq.servers!;
      expect(alive!.ops).toBeGreaterThan(5);
      expect(alive!.errors).toBe(0);
      expect(dead!.errors).toBeGreaterThan(0);
      // Bounded backoff: a few failed operations a second, not a tight loop.
      expect(dead!.errors).toBeLessThan(40);
      expect(seq.errors).toBe(dead!.errors);
      expect(seq.flags).toContain('connection-lost');
      expect(seq.outages?.[0]?.server).toBe(`127.0.0.1:${cluster.replicas[1]!.port}`);
      expect(benchVerdict(outcome, false).exitCode).toBe(ExitCode.failure);
      // The end snapshot says the stopped replica could not be read.
      const end = outcome.result.replication!.end!;
      expect(end.replicas[1]!.error).toMatch(/cannot connect to the replica/);
      expect(end.replicas[0]!.error).toBeUndefined();
    } finally {
      await cluster.replicas[1]!.startServer();
    }
  }, 60_000);
});
