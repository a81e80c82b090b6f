/**
 * Cache adapter: a Redis Cluster through ioredis's Cluster client (redis.ts's RedisCache drives it
 * as it drives one Redis): the client, its masters, and the hash-slot arithmetic for keys that must
 * land on one particular master.
 *
 * A cluster splits the keyspace over its masters by hash slot (CRC16 of the key, or of its `{hash
 * tag}`, mod 16384). So everything that one server answers for its own keyspace (SCAN, INFO,
 * CLIENT TRACKING) is asked of every master, and a key that proves one master's invalidation
 * channel (cluster-tracking.ts) carries a hash tag that master serves. The report keys themselves
 * carry no tag on purpose: they spread over the masters, as an application's would.
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisConfig } from '../config.js';

export const SLOTS = 16_384;

/** The cluster client: fails fast while a slot has no master, keeps reconnecting in the background. */
export function clusterClient(config: RedisConfig, connectTimeoutMs: number): Cluster {
  return new Cluster((config.clusterNodes ?? []).map(({ host, port }) => ({ host, port })), {
    lazyConnect: true,
    enableOfflineQueue: false,
    slotsRefreshTimeout: connectTimeoutMs,
    // Keep looking for the cluster in the background (it may come back), never blocking a command on it.
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A failover (a replica taking over a dead master's slots) takes about the cluster's
    // node timeout; commands to those slots retry meanwhile, then fail: 16 tries, 100 ms apart.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    maxRedirections: 16,
    redisOptions: {
      username: config.username,
      password: config.password,
      connectTimeout: connectTimeoutMs,
      // As for one Redis: a node that hangs fails the command after the same bound.
      commandTimeout: connectTimeoutMs,
      maxRetriesPerRequest: 1,
    },
  });
}

/**
 * Connects, failing as soon as no startup node answers (with a retry strategy the client would wait
 * for one without end); once connected it reconnects in the background as its options say.
 */
export async function connectOnce(cluster: Cluster): Promise<void> {
  const retry = cluster.options.clusterRetryStrategy;
  cluster.options.clusterRetryStrategy = null;
  try {
    await cluster.connect();
  } finally {
    cluster.options.clusterRetryStrategy = retry;
  }
}

export function isCluster(client: Redis | Cluster): client is Cluster {
  return client instanceof Cluster;
}

/** The servers that hold the keyspace: every master of a cluster, or the one Redis. */
export function mastersOf(client: Redis | Cluster): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** `host:port` of one node's connection, as ioredis keys its slot map. */
export function nodeAddress(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/**
 * A hash tag whose slot `master` (`host:port`) serves now, by the client's slot map; undefined when
 * it serves none. Keys `…{tag}…` then go to that master and no other. The first base-36 number
 * that hashes into one of its slots: a handful of CRC16s for a master with a share of the slots.
 */
export function tagServedBy(cluster: Cluster, master: string): string | undefined {
  const served = new Uint8Array(SLOTS);
  let count = 0;
  for (let slot = 0; slot < SLOTS; slot++) {
    if (cluster.slots[slot]?.[0] !== master) continue;
    served[slot] = 1;
    count++;
  }
  if (count === 0) return undefined;
  // Every slot is reached by some number below 100,000, so this ends.
  for (let n = 0; ; n++) {
    const tag = n.toString(36);
    if (served[calculateSlot(tag)]) return tag;
  }
}

/** Whether `master` still serves the slot of `tag` (one CRC16: cheap enough for every write that uses it). */
export function servesTag(cluster: Cluster, master: string, tag: string): boolean {
  return cluster.slots[calculateSlot(tag)]?.[0] === master;
}

/** Whether every slot's master (by the client's slot map) is one of `masters`. */
export function slotsCoveredBy(cluster: Cluster, masters: ReadonlySet<string>): boolean {
  for (let slot = 0; slot < SLOTS; slot++) {
    const master = cluster.slots[slot]?.[0];
    if (master === undefined || !masters.has(master)) return false;
  }
  return true;
}
