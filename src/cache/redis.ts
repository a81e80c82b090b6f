/**
 * Cache adapter: Redis through ioredis, one server or a Redis Cluster (redis-cluster.ts): connect
 * with one-line errors, commands that fail fast.
 */
import { Redis, type Cluster } from 'ioredis';
import { describeNode, describeRedis, type RedisConfig } from '../config.js';
import { firstLine, UserError } from '../errors.js';
import { withTimeout } from '../timeout.js';
import type { BarrierOutcome, CacheKind, CacheServerInfo, CacheStats, CacheTier, InvalidationListener, Tracking } from './tier.js';
import { ClusterTrackingHub } from './cluster-tracking.js';
import { clusterClient, connectOnce, isCluster, mastersOf, nodeAddress } from './redis-cluster.js';
import { GetChannel } from './get-channel.js';
import { TrackingHub } from './tracking.js';

/**
 * Redis through ioredis. Commands fail fast while disconnected instead of queueing forever. Over a
 * Redis Cluster, keys are routed by the cluster client, and what one server answers for its own
 * keyspace (SCAN, INFO, CLIENT TRACKING) is asked of every master.
 */
export class RedisCache implements CacheTier {
  /** The CLIENT TRACKING session of this connection (of each master's, for a cluster), shared by its near caches. */
  private hub: TrackingHub | ClusterTrackingHub | undefined;

  constructor(
    readonly kind: Exclude<CacheKind, 'in-process'>,
    readonly label: string,
    private readonly client: Redis | Cluster,
    private readonly address: string,
  ) {}

  get(key: string): Promise<Buffer | null> {
    // .catch, not an async wrapper: the hit path stays one promise.
    return this.client.getBuffer(key).catch(plainRedisError);
  }

  async set(key: string, value: Buffer | string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, 'EX', ttlSeconds).catch(plainRedisError);
  }

  async ttlMs(key: string): Promise<number | null> {
    const ms = await this.client.pttl(key).catch(plainRedisError);
    // PTTL: -2 the key does not exist, -1 it has no expiry.
    return ms === -2 ? null : ms === -1 ? Infinity : ms;
  }

  /** Walks every master's keyspace (a cluster's is split among them; SCAN walks one server's). */
  async deletePrefix(prefix: string): Promise<number> {
    const counts = await Promise.all(mastersOf(this.client).map((node) => this.deletePrefixOn(node, prefix)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  private async deletePrefixOn(node: Redis, prefix: string): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    // SCAN rather than KEYS: it does not block a shared server while walking a large keyspace.
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      // One UNLINK per key, pipelined (one round trip): keys of one node may lie in different
      // slots, and a multi-key UNLINK across slots is refused by a cluster (CROSSSLOT).
      const replies = (await node.pipeline(keys.map((key) => ['unlink', key])).exec()) ?? [];
      for (const [index, [error, count]] of replies.entries()) {
        // MOVED: the slot moved while we walked; the cluster client routes the key to its master.
        deleted += error ? await this.client.unlink(keys[index]!) : Number(count);
      }
    } while (cursor !== '0');
    return deleted;
  }

  /** Keyspace hits and misses, summed over the masters (reads go to masters only). */
  async stats(): Promise<CacheStats> {
    const nodes = await Promise.all(mastersOf(this.client).map(async (node) => parseInfo(await node.info('stats'))));
    const sum = (field: string) => nodes.reduce((total, fields) => total + Number(fields[field] ?? 0), 0);
    return { hits: sum('keyspace_hits'), misses: sum('keyspace_misses') };
  }

  /** The server, or for a cluster every master (memory summed, each one listed). */
  async info(): Promise<CacheServerInfo> {
    const masters = await Promise.all(mastersOf(this.client).map(async (node) => ({ node, fields: parseInfo(await node.info()) })));
    const versions = [...new Set(masters.map(({ fields }) => fields.redis_version ?? 'unknown'))];
    const info: CacheServerInfo = {
      version: versions.join(', '),
      usedMemoryBytes: masters.reduce((total, { fields }) => total + Number(fields.used_memory ?? 0), 0),
      address: this.address,
    };
    if (!isCluster(this.client) || masters.length === 0) return info;
    const state = parseInfo(String(await masters[0]!.node.call('CLUSTER', 'INFO')));
    info.cluster = {
      state: state.cluster_state ?? 'unknown',
      slotsOk: Number(state.cluster_slots_ok ?? 0),
      masters: masters.map(({ node, fields }) => ({
        address: nodeAddress(node),
        version: fields.redis_version ?? 'unknown',
        usedMemoryBytes: Number(fields.used_memory ?? 0),
        keys: Number(/keys=(\d+)/.exec(fields.db0 ?? '')?.[1] ?? 0),
        hits: Number(fields.keyspace_hits ?? 0),
        misses: Number(fields.keyspace_misses ?? 0),
        replicas: Number(fields.connected_slaves ?? 0),
      })).sort((a, b) => a.address.localeCompare(b.address)),
    };
    return info;
  }

  /** Invalidations of the keys under `prefix`, pushed by Redis (CLIENT TRACKING BCAST on this connection, or on every master's). */
  track(prefix: string, listener: InvalidationListener): Tracking {
    if (!this.hub || this.hub.isClosed) this.hub = isCluster(this.client) ? new ClusterTrackingHub(this.client, prefix) : new TrackingHub(this.client, prefix);
    return this.hub.register(prefix, listener);
  }

  /**
   * A barrier of `parties` processes: INCR of `<key>:count`; the last to arrive pushes one token per
   * waiter onto `<key>:open` (and deletes the count), the others wait in BLPOP on it. Blocking, not
   * polling: every waiter wakes within a round trip of the last arrival. BLPOP waits in slices of
   * 200 ms so the command timeout never cuts it and Ctrl-C is seen. Both keys expire a minute after
   * the timeout, so a shard that never came leaves nothing behind for long.
   */
  async meet(key: string, parties: number, timeoutMs: number, signal?: AbortSignal): Promise<BarrierOutcome> {
    // One hash tag: on a Redis Cluster both keys live in one slot, so the MULTIs may touch both.
    const count = `{${key}}:count`;
    const open = `{${key}}:open`;
    const ttlMs = timeoutMs + 60_000;
    const replies = await this.client.multi().incr(count).pexpire(count, ttlMs).exec();
    const arrived = Number(replies?.[0]?.[1] ?? NaN);
    if (!(arrived <= parties)) return { outcome: 'overfull', arrived };
    if (arrived === parties) {
      const release = this.client.multi().del(count);
      if (parties > 1) release.rpush(open, ...Array.from({ length: parties - 1 }, () => '1')).pexpire(open, ttlMs);
      await release.exec();
      return { outcome: 'open', arrived };
    }
    const deadline = performance.now() + timeoutMs;
    // Giving up takes this process's arrival back, so the others do not open with it gone (and the
    // last to give up removes the count).
    const leave = async (outcome: 'timeout' | 'aborted'): Promise<BarrierOutcome> => {
      const others = await this.client.decr(count).catch(() => arrived - 1);
      if (others <= 0) await this.client.del(count).catch(() => undefined);
      return { outcome, arrived: others + 1 };
    };
    for (;;) {
      if (signal?.aborted) return leave('aborted');
      if (deadline - performance.now() <= 0) return leave('timeout');
      const left = deadline - performance.now();
      const token = await this.client.blpop(open, Math.max(0.01, Math.min(0.2, left / 1000)));
      if (token) return { outcome: 'open', arrived: parties };
    }
  }

  /**
   * A GET-only connection of its own to the same server and database, for the timed hit paths
   * (get-channel.ts). None on a Redis Cluster, where a GET may be redirected: the paths use get().
   */
  async openGetChannel(): Promise<GetChannel | undefined> {
    if (isCluster(this.client)) return undefined;
    const { host, port, username, password, db, tls, connectTimeout } = this.client.options;
    return GetChannel.open({ host: host ?? '127.0.0.1', port: port ?? 6379, username, password, db: db ?? 0, tls: Boolean(tls) }, connectTimeout ?? 10_000);
  }

  async close(): Promise<void> {
    await this.hub?.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * ioredis says "Stream isn't writeable and enableOfflineQueue options is false" for a command on a
 * connection that is down: true, but not what a person reading /healthz or a warning needs.
 */
function plainRedisError(error: unknown): never {
  const message = (error as Error)?.message ?? String(error);
  if (/Stream isn't writeable|Connection is closed|Cluster isn't ready/i.test(message)) throw new Error('Redis is not connected (reconnecting in the background)');
  throw error;
}

function redisClient(config: RedisConfig, connectTimeoutMs: number): Redis | Cluster {
  if (config.mode === 'cluster') return clusterClient(config, connectTimeoutMs);
  return new Redis({
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    db: config.db,
    tls: config.tls ? {} : undefined,
    connectTimeout: connectTimeoutMs,
    // A Redis that hangs (rather than goes away) must not hang a report: commands fail after the
    // same bound and the cache-aside layer answers from the database.
    commandTimeout: connectTimeoutMs,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Keep reconnecting in the background (a Redis restart mid-run recovers), but never block a command on it.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/** Connects and checks the server answers, or throws a one-line UserError naming host, port and cause. */
export async function connectRedis(config: RedisConfig, connectTimeoutMs: number, kind: Exclude<CacheKind, 'in-process'> = 'redis'): Promise<RedisCache> {
  const client = redisClient(config, connectTimeoutMs);
  // ioredis rejects connect() with a generic "Connection is closed."; the cause arrives as an event.
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    // connectTimeout bounds only the TCP handshake; a peer that accepts and then stays silent
    // would hang the first command, so the whole exchange gets the same bound.
    const connected = isCluster(client) ? connectOnce(client) : client.connect();
    const fields = parseInfo(await withTimeout(connected.then(() => mastersOf(client)[0]!.info('server')), connectTimeoutMs));
    const version = fields.redis_version ?? '';
    const label = isCluster(client)
      ? `redis cluster ${version}, ${mastersOf(client).length} masters`
      : `${kind === 'embedded-redis' ? 'embedded redis' : 'redis'} ${version}`.trim();
    return new RedisCache(kind, label, client, describeRedis(config));
  } catch (error) {
    client.disconnect();
    if (config.mode === 'cluster') throw await clusterError(error, cause, config, connectTimeoutMs);
    const timedOut = (error as { code?: string }).code === 'ETIMEDOUT';
    throw redisError(timedOut ? error : cause ?? error, config, connectTimeoutMs);
  }
}

/**
 * Why a cluster client did not connect. ioredis says only "None of startup nodes is available", so
 * the startup nodes are asked one by one as single servers: the first one's own failure (refused,
 * unknown host, authentication…) is the line; a node that answers but is no cluster node says so.
 */
async function clusterError(error: unknown, cause: unknown, config: RedisConfig, connectTimeoutMs: number): Promise<UserError> {
  const startup = config.clusterNodes ?? [];
  const nodes = startup.map(describeNode).join(',');
  const detail = firstLine((cause as { lastNodeError?: Error })?.lastNodeError?.message ?? (error as Error)?.message ?? String(error));
  for (const node of startup) {
    const single: RedisConfig = { ...config, mode: 'external', host: node.host, port: node.port, db: 0 };
    let server: RedisCache;
    try {
      server = await connectRedis(single, connectTimeoutMs);
    } catch (nodeError) {
      if (node === startup.at(-1)) return retitle(nodeError as UserError, nodes);
      continue;
    }
    await server.close();
    if (/cluster support disabled/i.test(detail)) {
      return new UserError(`Redis at ${describeNode(node)} is not a cluster node (cluster support disabled)`, 'use --redis-url (REDIS_URL) for a single Redis, or name the nodes of a cluster in --redis-cluster');
    }
  }
  const unreachable = (error as Error)?.message === 'Connection is closed.' || /None of startup nodes/i.test(detail);
  const line = `cannot connect to Redis Cluster at ${nodes}: ${detail}`;
  const fix = 'check --redis-cluster / REDIS_CLUSTER_NODES (some nodes of the cluster, host:port) and REDIS_PASSWORD';
  return unreachable ? new RedisUnreachable(line, fix) : new UserError(line, fix);
}

/** A single node's connection error, told as the cluster's (an unreachable one stays RedisUnreachable). */
function retitle(error: UserError, nodes: string): UserError {
  const message = error.message.replace(/^cannot connect to Redis at .*?:\d+:/, `cannot connect to Redis Cluster at ${nodes}:`);
  const fix = 'check --redis-cluster / REDIS_CLUSTER_NODES (some nodes of the cluster, host:port) and REDIS_PASSWORD';
  return error instanceof RedisUnreachable ? new RedisUnreachable(message, fix) : new UserError(message, fix, error.exitCode);
}

/**
 * A Redis that was unreachable at start, for a server that must start degraded (`serve`): the
 * client keeps connecting in the background, every command fails fast meanwhile (the cache-aside
 * layer answers BYPASS from the database), and once Redis answers the cache works without a restart.
 */
export function redisInBackground(config: RedisConfig, connectTimeoutMs: number): RedisCache {
  const client = redisClient(config, connectTimeoutMs);
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  return new RedisCache('redis', `${isCluster(client) ? 'redis cluster' : 'redis'} (unreachable at start)`, client, describeRedis(config));
}

/**
 * Redis did not answer at all (refused, no answer, unknown host): it may come up later, so a server
 * can start degraded. A wrong password or TLS mismatch is a configuration error and stays fatal.
 */
export class RedisUnreachable extends UserError {}

export function redisError(error: unknown, config: RedisConfig, connectTimeoutMs: number): UserError {
  const where = `Redis at ${config.host}:${config.port}`;
  const err = error as { code?: string; message?: string };
  const message = firstLine(err.message ?? String(error));
  const fix = 'check REDIS_URL / REDIS_HOST / REDIS_PORT (or --redis-url)';
  if (err.code === 'ECONNREFUSED') return new RedisUnreachable(`cannot connect to ${where}: connection refused`, `is redis-server running? ${fix}`);
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new RedisUnreachable(`cannot connect to ${where}: unknown host '${config.host}'`, fix);
  if (err.code === 'ETIMEDOUT' || /timeout/i.test(message)) {
    return new RedisUnreachable(`cannot connect to ${where}: no answer within ${connectTimeoutMs} ms`, `${fix}, or raise --connect-timeout`);
  }
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) {
    return new UserError(`cannot connect to ${where}: authentication failed`, 'check REDIS_PASSWORD or the password in REDIS_URL');
  }
  if (/SSL|TLS|certificate|wrong version number/i.test(message)) {
    return new UserError(`cannot connect to ${where}: TLS failed (${message})`, 'use redis:// for a plain server and rediss:// for TLS');
  }
  return new UserError(`cannot connect to ${where}: ${message}`, fix);
}

/** Parses the text of Redis INFO into a field map. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
