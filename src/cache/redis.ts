/** Cache adapter: Redis through ioredis (the only ioredis importer): connect with one-line errors, commands that fail fast. */
import { Redis } from 'ioredis';
import { describeRedis, type RedisConfig } from '../config.js';
import { firstLine, UserError } from '../errors.js';
import { withTimeout } from '../timeout.js';
import type { CacheKind, CacheServerInfo, CacheStats, CacheTier, InvalidationListener, Tracking } from './tier.js';
import { TrackingHub } from './tracking.js';

/** Redis through ioredis. Commands fail fast while disconnected instead of queueing forever. */
export class RedisCache implements CacheTier {
  /** The CLIENT TRACKING session of this connection, shared by its near caches (tracking.ts). */
  private hub: TrackingHub | undefined;

  constructor(
    readonly kind: Exclude<CacheKind, 'in-process'>,
    readonly label: string,
    private readonly client: Redis,
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

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    // SCAN rather than KEYS: it does not block a shared server while walking a large keyspace.
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  async stats(): Promise<CacheStats> {
    const fields = parseInfo(await this.client.info('stats'));
    return { hits: Number(fields.keyspace_hits ?? 0), misses: Number(fields.keyspace_misses ?? 0) };
  }

  async info(): Promise<CacheServerInfo> {
    const fields = parseInfo(await this.client.info());
    return { version: fields.redis_version ?? 'unknown', usedMemoryBytes: Number(fields.used_memory ?? 0), address: this.address };
  }

  /** Invalidations of the keys under `prefix`, pushed by Redis (CLIENT TRACKING BCAST on this connection). */
  track(prefix: string, listener: InvalidationListener): Tracking {
    if (!this.hub || this.hub.isClosed) this.hub = new TrackingHub(this.client, prefix);
    return this.hub.register(prefix, listener);
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
  if (/Stream isn't writeable|Connection is closed/i.test(message)) throw new Error('Redis is not connected (reconnecting in the background)');
  throw error;
}

function redisClient(config: RedisConfig, connectTimeoutMs: number): Redis {
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
    const fields = parseInfo(await withTimeout(client.connect().then(() => client.info('server')), connectTimeoutMs));
    const label = `${kind === 'embedded-redis' ? 'embedded redis' : 'redis'} ${fields.redis_version ?? ''}`.trim();
    return new RedisCache(kind, label, client, describeRedis(config));
  } catch (error) {
    client.disconnect();
    const timedOut = (error as { code?: string }).code === 'ETIMEDOUT';
    throw redisError(timedOut ? error : cause ?? error, config, connectTimeoutMs);
  }
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
  return new RedisCache('redis', 'redis (unreachable at start)', client, describeRedis(config));
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
