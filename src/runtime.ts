/** Shared: the configuration, the output and the servers a command runs with, started lazily and stopped in order. */
import type pg from 'pg';
import type { CacheTier } from './cache/tier.js';
import type { Config, RedisConfig } from './config.js';
import { connectionError, type ConnectionTarget } from './db/connection-target.js';
import type { EmbeddedPostgres } from './db/embedded-postgres.js';
import type { SqlSession } from './db/lean-session.js';
import { sql } from './db/sql.js';
import type { Output } from './output.js';

/**
 * What a command runs with: the configuration, the output, and the servers, started lazily (an
 * embedded PostgreSQL or redis-server only when a command needs one) and stopped in reverse order
 * by `close()`, also after Ctrl-C. Heavy modules load on first use so `--help` stays fast.
 */
export class Runtime {
  private readonly cleanups: Array<() => Promise<void>> = [];
  private databaseTarget?: Promise<ConnectionTarget>;
  private cacheTier?: Promise<CacheTier>;
  private catalogSession?: Promise<SqlSession>;
  /** Set once the embedded PostgreSQL runs (for doctor). */
  embedded?: EmbeddedPostgres;
  /**
   * The Redis the cache tier talks to, once `cache()` resolved it (a private redis-server's address
   * included), for other threads to connect to the same one; undefined for the in-process tier.
   */
  redisTarget?: RedisConfig;

  constructor(
    readonly config: Config,
    readonly out: Output,
    /** Aborted on Ctrl-C: long loops stop early and report what they measured. */
    readonly signal: AbortSignal = new AbortController().signal,
  ) {}

  /** Registers a cleanup; they run last-in first-out in `close()`. */
  defer(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** The PostgreSQL to talk to, starting the embedded one if none is configured. */
  database(): Promise<ConnectionTarget> {
    this.databaseTarget ??= this.resolveDatabase();
    return this.databaseTarget;
  }

  private async resolveDatabase(): Promise<ConnectionTarget> {
    const db = this.config.database;
    if (db.mode === 'external') return { ...db };
    const { startEmbeddedPostgres } = await import('./db/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres(this.config.cacheDir, this.config.connectTimeoutMs, (line) => this.out.say(line));
    this.embedded = embedded;
    this.defer(() => embedded.release());
    return embedded.target;
  }

  /** One connected client, closed by `close()`. */
  async client(): Promise<pg.Client> {
    const { connectClient } = await import('./db/connection.js');
    const client = await connectClient(await this.database(), this.config.connectTimeoutMs);
    this.defer(() => client.end().catch(() => undefined));
    return client;
  }

  /**
   * The session of a command that only reads the catalog and ends (`index list`), connecting from
   * the first call: perfbench's own lean session (lean-session.ts) when it speaks what the target
   * needs, else a node-postgres client. Either way close() does not wait for the server to end it
   * (an idle read-only session holds nothing another one could wait on).
   */
  catalog(): Promise<SqlSession> {
    this.catalogSession ??= this.openCatalog();
    return this.catalogSession;
  }

  /**
   * Starts catalog() and resolves once its connection is under way, so that the server starting the
   * session (about 20 ms on a local server) overlaps with the loading of the command's modules
   * (started together, they were sometimes evaluated first, and the socket opened that much later).
   * A failure is the next catalog() call's to report.
   */
  async catalogAhead(): Promise<void> {
    this.catalog().catch(() => undefined);
    await import('./db/lean-session.js').catch(() => undefined);
  }

  private async openCatalog(): Promise<SqlSession> {
    const target = await this.database();
    const { LeanUnsupported, openLeanSession } = await import('./db/lean-session.js');
    try {
      const session = await openLeanSession(target, this.config.connectTimeoutMs);
      this.defer(async () => session.close());
      return session;
    } catch (error) {
      if (!(error instanceof LeanUnsupported)) throw connectionError(error, target, this.config.connectTimeoutMs);
    }
    const { closeReadOnlyClient, connectClient } = await import('./db/connection.js');
    const client = await connectClient(target, this.config.connectTimeoutMs);
    this.defer(() => closeReadOnlyClient(client));
    return client;
  }

  /**
   * Until the returned function is called, Ctrl-C cancels the statement `client` is running, from a
   * second connection (node-postgres has no in-band cancel). The caller then sees the statement
   * fail, rolls back what it began, and reports the interruption.
   */
  cancelOnAbort(client: pg.Client): () => void {
    // processID is set by node-postgres at connect time but missing from its type definitions.
    const pid = (client as unknown as { processID?: number }).processID;
    const cancel = () => {
      if (pid === undefined) return;
      // Its own short-lived connection: one from client() would stay open until close(), or be
      // opened after close() had already run if Ctrl-C lands while the command is finishing.
      void (async () => {
        const { connectClient } = await import('./db/connection.js');
        const other = await connectClient(await this.database(), this.config.connectTimeoutMs);
        await other.query(sql('cancel-backend'), [pid]).finally(() => other.end());
      })().catch(() => undefined);
    };
    this.signal.addEventListener('abort', cancel, { once: true });
    return () => this.signal.removeEventListener('abort', cancel);
  }

  /** A connection pool of `max` clients, closed by `close()`. */
  async pool(max: number): Promise<pg.Pool> {
    const { openPool } = await import('./db/connection.js');
    const pool = await openPool(await this.database(), this.config.connectTimeoutMs, max);
    this.defer(() => pool.end().catch(() => undefined));
    return pool;
  }

  /** The cache tier: the configured Redis, a private redis-server, or the labelled in-process tier. */
  cache(): Promise<CacheTier> {
    this.cacheTier ??= this.resolveCache().then((tier) => {
      this.defer(() => tier.close());
      return tier;
    });
    return this.cacheTier;
  }

  /**
   * The cache tier for a server that must start even when Redis does not answer (`serve`): the
   * configured Redis when it answers; else a client that keeps connecting in the background, with
   * one warning, so the fast route answers BYPASS until Redis is back and /healthz says degraded.
   */
  async cacheOrDegraded(): Promise<CacheTier> {
    try {
      return await this.cache();
    } catch (error) {
      const redis = this.config.redis;
      const { RedisUnreachable, redisInBackground } = await import('./cache/redis.js');
      // Only a Redis that did not answer may come up later; a wrong password stays a failure.
      if ((redis.mode !== 'external' && redis.mode !== 'cluster') || !(error instanceof RedisUnreachable)) throw error;
      this.out.warn(`${error.message}: starting without the cache (/report/fast answers from the database, X-Cache: BYPASS, until Redis answers; /healthz says degraded)`);
      const tier = redisInBackground(redis, this.config.connectTimeoutMs);
      this.defer(() => tier.close());
      return tier;
    }
  }

  private async resolveCache(): Promise<CacheTier> {
    const redis = this.config.redis;
    const { MemoryCache } = await import('./cache/memory.js');
    if (redis.mode === 'memory') return new MemoryCache();
    const { connectRedis } = await import('./cache/redis.js');
    if (redis.mode === 'external' || redis.mode === 'cluster') {
      const tier = await connectRedis(redis, this.config.connectTimeoutMs);
      this.redisTarget = redis;
      return tier;
    }
    const { startEmbeddedRedis } = await import('./cache/embedded-redis.js');
    const server = await startEmbeddedRedis();
    if (!server) {
      this.out.warn('no redis-server on PATH: cache paths use the in-process tier, labelled "in-process" in every report (install one: apt-get install redis-server, or set REDIS_URL)');
      return new MemoryCache();
    }
    this.defer(() => server.stop());
    const target = { ...redis, host: server.host, port: server.port };
    const tier = await connectRedis(target, this.config.connectTimeoutMs, 'embedded-redis');
    this.redisTarget = target;
    return tier;
  }

  /** Runs every cleanup, newest first; one failing does not stop the others. */
  async close(): Promise<void> {
    // A session catalogAhead() started and nobody took (the command failed first) is closed too.
    await this.catalogSession?.catch(() => undefined);
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (error) {
        this.out.warn(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}
