/**
 * bench --replica-url / PERFBENCH_REPLICA_URLS (issue 14, item 4), without servers: the URLs parsed
 * (what they leave out is the primary's), bad ones refused in one line, per-server figures added
 * exactly across trials and merges, and the report's per-server table and lag lines.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseReplicaUrls } from '../../src/config.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { replicaOptions } from '../../src/flags/replica-flags.js';
import { LatencyHistogram } from '../../src/measure/histogram.js';
import { combinePaths, createResult, validateResult, type PathResult } from '../../src/measure/result.js';
import { combineServers, ServerStats } from '../../src/measure/servers.js';
import { renderReplicationMarkdown, renderReplicationText } from '../../src/report/bench-replicas.js';

describe('replica URLs', () => {
  it('keeps what the URL says and leaves the rest to the primary', () => {
    const problems: string[] = [];
    expect(parseReplicaUrls(['postgres://10.0.0.2', 'postgresql://reader:s%40cret@[::1]:5433/Shop?sslmode=require'], 'flag --replica-url', problems)).toEqual([
      { host: '10.0.0.2', port: 5432, source: 'flag --replica-url' },
      { host: '::1', port: 5433, user: 'reader', password: 's@cret', database: 'Shop', sslmode: 'require', source: 'flag --replica-url' },
    ]);
    expect(problems).toEqual([]);
  });

  it('refuses a bad URL in one line (exit 2), never echoing a password', () => {
    const refuse = (url: string): UserError => {
      try {
        replicaOptions({ replicaUrl: [url] });
      } catch (error) {
        return error as UserError;
      }
      throw new Error(`accepted ${url}`);
    };
    expect(refuse('redis://10.0.0.2').line).toBe('flag --replica-url must start with postgres:// or postgresql://, not redis:// — pass the URL of a streaming replica, e.g. --replica-url postgres://10.0.0.2:5432');
    expect(refuse('postgres://10.0.0.2:99999').line).toMatch(/^flag --replica-url is not a URL \(expected postgres:\/\/host:5433 or /);
    expect(refuse('postgres://10.0.0.2:0').line).toMatch(/^flag --replica-url '0' is not a port \(1-65535\)/);
    expect(refuse('postgres://u:p%zz@h').line).toBe('flag --replica-url has a malformed %-escape in its password (write a literal % as %25) — pass the URL of a streaming replica, e.g. --replica-url postgres://10.0.0.2:5432');
    expect(refuse('postgres://h?sslmode=maybe').exitCode).toBe(ExitCode.usage);
    expect(() => replicaOptions({ replicaTimeout: 'soon' })).toThrow("--replica-timeout 'soon' is not a duration");
    expect(replicaOptions({ replicaUrl: [] })).toEqual({ replicaTimeoutMs: 60_000 });
  });

  it('reads PERFBENCH_REPLICA_URLS, comma-separated, from the environment, and lists its problems with the others', () => {
    const config = loadConfig({ flags: {}, env: { DATABASE_URL: 'postgres://app@db:5432/shop', PERFBENCH_REPLICA_URLS: 'postgres://r1, postgres://r2:5433' }, cwd: '/nonexistent' });
    expect(config.replicaUrls?.map((r) => [r.host, r.port, r.source])).toEqual([['r1', 5432, 'env PERFBENCH_REPLICA_URLS'], ['r2', 5433, 'env PERFBENCH_REPLICA_URLS']]);
    expect(loadConfig({ flags: {}, env: {}, cwd: '/nonexistent' }).replicaUrls).toBeUndefined();
    expect(() => loadConfig({ flags: {}, env: { PERFBENCH_REPLICA_URLS: 'postgres://r1,,' }, cwd: '/nonexistent' })).toThrow('env PERFBENCH_REPLICA_URLS has an empty URL');
  });
});

function serverRun(ops: number[], errors: number[]): ReturnType<ServerStats['records']> {
  const stats = new ServerStats([{ label: 'r1:5432', role: 'replica' }, { label: 'r2:5432', role: 'replica' }]);
  ops.forEach((n, k) => {
    for (let i = 0; i < n; i++) stats.record(k, 1000 * (k + 1) + i, false);
    for (let i = 0; i < errors[k]!; i++) stats.record(k, 0, true);
  });
  return stats.records();
}

describe('per-server figures', () => {
  it('count ops and errors per server, and add exactly across trials', () => {
    const a = serverRun([3, 2], [0, 1]);
    const b = serverRun([1, 4], [0, 0]);
    const added = combineServers([a, undefined, b])!;
    expect(added.map((s) => [s.server, s.ops, s.errors, s.summary.count])).toEqual([['r1:5432', 4, 0, 4], ['r2:5432', 6, 1, 6]]);
    expect(added[0]!.summary.minUs).toBe(1000);
    expect(combineServers([undefined])).toBeUndefined();
  });

  it('survive combinePaths, the JSON round trip and validation, and render as a table with the lag', () => {
    const histogram = LatencyHistogram.create();
    histogram.record(1500);
    const path = (servers: PathResult['servers']): PathResult => ({
      name: 'index', kind: 'db', mode: 'closed', concurrency: 1, trial: 1, sources: 1, ops: 5, errors: 1, elapsedMs: 100, throughputOpsPerSec: 50,
      coCorrected: false, summary: { count: 1, meanUs: 1500, stddevUs: 0, minUs: 1500, p50Us: 1500, p90Us: 1500, p99Us: 1500, p999Us: 1500, maxUs: 1500 },
      histogram: histogram.encode(), interrupted: false, ...(servers ? { servers } : {}),
    });
    const folded = combinePaths([path(serverRun([3, 2], [0, 1])), { ...path(serverRun([1, 1], [0, 0])), trial: 2 }], 'sequential');
    expect(folded.servers!.map((s) => s.ops)).toEqual([4, 3]);
    const lag = { server: 'r1:5432', replayLsn: '0/3000148', receiveLsn: '0/3000148', bytesBehind: 0, replayDelayMs: 0 };
    const result = createResult({
      environment: {}, options: { mode: 'closed', concurrency: [1], trials: 1, distribution: 'uniform', seed: 1 }, paths: [folded],
      replication: {
        routing: 'per-operation', primary: 'p:5432', replicas: ['r1:5432', 'r2:5432'], replayWaitMs: 1234,
        start: { at: '2026-12-01T00:00:00.000Z', primaryLsn: '0/3000148', replicas: [lag, { ...lag, server: 'r2:5432', bytesBehind: 16_384, replayDelayMs: 12.5 }], standbys: [] },
        end: { at: '2026-12-01T00:00:02.000Z', primaryLsn: '0/3000200', replicas: [lag, { server: 'r2:5432', error: 'cannot connect to the replica at r2:5432: connection refused' }],
          standbys: [{ applicationName: 'walreceiver', client: '10.0.0.2:41000', state: 'streaming', writeLagMs: 1.2, flushLagMs: 1.3, replayLagMs: 1.5, bytesBehind: 0 }] },
      },
    });
    const read = validateResult(JSON.parse(JSON.stringify(result)));
    expect(read.paths[0]!.servers).toEqual(folded.servers);
    expect(() => validateResult(JSON.parse(JSON.stringify({ ...result, paths: [{ ...folded, servers: [{ server: 'x' }] }] })))).toThrow('paths[0].servers is not a list of per-server figures');
    const text = renderReplicationText(read);
    expect(text).toContain('Reads went round-robin per operation to 2 replicas (r1:5432, r2:5432); writes and the run\'s setup to the primary p:5432, replayed by every replica 1.2 s after the setup, before measuring.');
    expect(text).toMatch(/│ index │ +1 │ r2:5432 │ replica │ +3 │ +1 │/);
    expect(text).toContain('r2:5432  start: 16.4 kB behind, replay delay 12.5 ms (replayed 0/3000148) · end: not read (cannot connect to the replica at r2:5432: connection refused)');
    expect(text).toContain('walreceiver from 10.0.0.2:41000 streaming: write 1.20 / flush 1.30 / replay 1.50 ms, 0 B behind');
    expect(renderReplicationMarkdown(read)).toContain('| index | 1 | r1:5432 | replica | 4 | 0 |');
    expect(renderReplicationText({ ...read, paths: [path(undefined)], replication: undefined })).toBe('');
  });
});
