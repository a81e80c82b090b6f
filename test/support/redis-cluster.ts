/**
 * A private Redis Cluster for the cluster tests (issue 14, item 3): `masters` redis-server
 * processes from Debian's package (plus `replicasPerMaster` replicas each), cluster-enabled, on
 * free loopback ports (the client port and the bus port both picked, `cluster-port`), each in a
 * temp directory of its own without persistence, joined with `redis-cli --cluster create
 * --cluster-yes`, and ready once every node says cluster_state:ok with all 16384 slots and every
 * replica is in sync. A missing redis-server or redis-cli is an error, never a skip.
 *
 * A detached watchdog kills the processes and removes the directory when the test process ends,
 * however it ends, so a crashed test run leaves no cluster behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freeLoopbackPort } from '../../src/net.js';
import { scanKeys } from './leftovers.js';

export interface ClusterOptions {
  /** Masters (default 3, the fewest `redis-cli --cluster create` accepts). */
  masters?: number;
  /** Replicas of each master (default 0). With replicas, a killed master is replaced by failover. */
  replicasPerMaster?: number;
  /** cluster-node-timeout, ms (default 1000): how soon a silent master is failed over. */
  nodeTimeoutMs?: number;
}

export interface ClusterNodeProcess {
  port: number;
  busPort: number;
  /** `127.0.0.1:port`, as CLUSTER NODES and the clients name it. */
  address: string;
  child: ChildProcess;
  dir: string;
}

/** One line of CLUSTER NODES that matters to the tests. */
export interface ClusterNodeState {
  address: string;
  role: 'master' | 'replica';
  failed: boolean;
  /** Slots it serves (masters). */
  slots: number;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

export class PrivateRedisCluster {
  private constructor(readonly dir: string, readonly nodes: ClusterNodeProcess[], readonly nodeTimeoutMs: number) {}

  /** Starts the processes, creates the cluster and waits until it serves every slot. */
  static async start(options: ClusterOptions = {}): Promise<PrivateRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 0;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_000;
    requireBinary('redis-server');
    requireBinary('redis-cli');
    const dir = mkdtempSync(join(tmpdir(), 'perfbench-redis-cluster-'));
    const nodes: ClusterNodeProcess[] = [];
    const cluster = new PrivateRedisCluster(dir, nodes, nodeTimeoutMs);
    cluster.watch();
    try {
      const ports = await distinctFreePorts(2 * masters * (1 + replicas));
      for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(launchNode(dir, ports[2 * i]!, ports[2 * i + 1]!, nodeTimeoutMs));
      await Promise.all(nodes.map((node) => waitForLog(node, /Ready to accept connections/)));
      const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((node) => node.address),
        '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (exit ${create.status}): ${(create.stderr || create.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      await cluster.waitUntilServing();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The startup nodes as `--redis-cluster` and REDIS_CLUSTER_NODES take them: `127.0.0.1:p1,127.0.0.1:p2,…`. */
  get startupNodes(): string {
    return this.nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null).map((node) => node.address).join(',');
  }

  /** The nodes as the cluster sees them now (from a live node's CLUSTER NODES). */
  /** A connected ioredis Cluster client of the tests' own (an application beside perfbench); the caller disconnects it. */
  async client(): Promise<Cluster> {
    const client = new Cluster(this.startupNodes.split(',').map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) })), { lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async state(): Promise<ClusterNodeState[]> {
    for (const node of this.liveNodes()) {
      try {
        return parseClusterNodes(String(await withNode(node.port, (redis) => redis.call('CLUSTER', 'NODES'))));
      } catch {
        // that node may be going away: ask the next one
      }
    }
    throw new Error('no node of the test cluster answers');
  }

  /** The addresses of the masters that serve slots now. */
  async masters(): Promise<string[]> {
    return (await this.state()).filter((node) => node.role === 'master' && !node.failed && node.slots > 0).map((node) => node.address).sort();
  }

  /** How many replicas follow `master` now (its INFO replication). */
  async replicasOf(master: string): Promise<number> {
    const fields = parseFields(await withNode(Number(master.split(':')[1]), (redis) => redis.info('replication')));
    return Number(fields.connected_slaves ?? 0);
  }

  /** Every key on every live master, by master address (SCAN on each: a cluster has no global keyspace). */
  async keysByMaster(): Promise<Map<string, string[]>> {
    const byMaster = new Map<string, string[]>();
    for (const address of await this.masters()) {
      const port = Number(address.split(':')[1]);
      byMaster.set(address, (await withNode(port, scanKeys)).sort());
    }
    return byMaster;
  }

  /** All keys of the cluster. */
  async allKeys(): Promise<string[]> {
    return [...(await this.keysByMaster()).values()].flat().sort();
  }

  /** Kills a node as a crash would (SIGKILL); resolves once the process is gone. */
  async kill(address: string): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.address === address);
    if (!node) throw new Error(`${address} is no node of the test cluster`);
    await killProcess(node.child);
  }

  /** Waits until the cluster serves every slot again (after a failover), or throws after `timeoutMs`. */
  async waitUntilServing(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        last = await this.servingProblem();
        if (last === '') return;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`the test Redis Cluster did not become ready within ${timeoutMs} ms: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops every process and removes the directory. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => killProcess(node.child)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private liveNodes(): ClusterNodeProcess[] {
    return this.nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
  }

  /** '' when every live node says cluster_state:ok with every slot served and every live replica is in sync; else what is not yet. */
  private async servingProblem(): Promise<string> {
    for (const node of this.liveNodes()) {
      const info = parseFields(String(await withNode(node.port, (redis) => redis.call('CLUSTER', 'INFO'))));
      if (info.cluster_state !== 'ok' || info.cluster_slots_ok !== '16384') return `${node.address}: cluster_state ${info.cluster_state}, ${info.cluster_slots_ok} slots ok`;
      const replication = parseFields(await withNode(node.port, (redis) => redis.info('replication')));
      if (replication.role === 'slave' && replication.master_link_status !== 'up') return `${node.address}: replica not in sync yet`;
    }
    const state = await this.state();
    const live = new Set(this.liveNodes().map((node) => node.address));
    const unknown = [...live].filter((address) => !state.some((node) => node.address === address));
    return unknown.length > 0 ? `nodes not joined yet: ${unknown.join(', ')}` : '';
  }

  /** Kills the processes and removes the directory once this process is gone (a crashed or killed test run too). */
  private watch(): void {
    // The pids are read from the directory when the watchdog fires: nodes start after it does.
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
      `for f in '${this.dir}'/*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf '${this.dir}'`;
    spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  }
}

function requireBinary(name: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${name} is not on PATH: the Redis Cluster tests need Debian's redis-server and redis-tools (apt-get install redis-server; .ci/prepare does)`);
}

/** `count` free loopback ports, all different (a port the kernel just gave may come back on the next ask). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freeLoopbackPort());
  return [...ports];
}

function launchNode(root: string, port: number, busPort: number, nodeTimeoutMs: number): ClusterNodeProcess {
  const dir = join(root, String(port));
  spawnSync('mkdir', ['-p', dir]);
  const child = spawn('redis-server', [
    '--port', String(port), '--cluster-port', String(busPort), '--bind', HOST,
    '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
    '--cluster-node-timeout', String(nodeTimeoutMs),
    // A replica fails over however long its link was down: the test kills masters on purpose.
    '--cluster-replica-validity-factor', '0',
    '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log'),
    '--pidfile', join(dir, 'pid'), '--daemonize', 'no',
  ], { stdio: 'ignore', detached: true });
  child.unref();
  child.on('error', () => undefined);
  return { port, busPort, address: `${HOST}:${port}`, child, dir };
}

function waitForLog(node: ClusterNodeProcess, ready: RegExp): Promise<void> {
  const logfile = join(node.dir, 'redis.log');
  const log = () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (ready.test(log())) {
        clearInterval(poll);
        resolve();
      } else if (node.child.exitCode !== null || Date.now() - started > READY_TIMEOUT_MS) {
        clearInterval(poll);
        reject(new Error(`redis-server on ${node.address} did not start: ${log().trim().split('\n').slice(-2).join(' | ') || `exit ${node.child.exitCode}`}`));
      }
    }, 20);
  });
}

function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Runs `body` on a short-lived plain connection to one node. */
async function withNode<T>(port: number, body: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, connectTimeout: 2_000, commandTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await body(redis);
  } finally {
    redis.disconnect();
  }
}

function parseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>`. */
export function parseClusterNodes(text: string): ClusterNodeState[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [, address, flags, , , , , , ...ranges] = line.trim().split(' ');
    const flagList = flags!.split(',');
    let slots = 0;
    for (const range of ranges) {
      if (range.startsWith('[')) continue; // a slot being migrated
      const [from, to] = range.split('-').map(Number);
      slots += (to ?? from!) - from! + 1;
    }
    return {
      address: address!.split('@')[0]!,
      role: flagList.includes('master') ? 'master' : 'replica',
      failed: flagList.includes('fail') || flagList.includes('fail?'),
      slots,
    };
  });
}
