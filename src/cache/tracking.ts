/**
 * Cache adapter: Redis server-assisted client-side caching for the near cache (near-cache.ts):
 * `CLIENT TRACKING ON REDIRECT <id> BCAST PREFIX <prefix>` on the data connection, the invalidations
 * received on a second connection subscribed to `__redis__:invalidate`.
 *
 * Why a RESP2 redirect connection and not RESP3 push messages on the data connection: ioredis 6
 * speaks RESP3 by default but drops push frames it does not know, `invalidate` among them, so the
 * redirect connection is opened with `protocol: 2`, where Redis sends the invalidations as Pub/Sub
 * messages on that channel (an array of keys, or null after FLUSHALL / FLUSHDB).
 *
 * Coherence holds only while both connections live: the tracking belongs to the data connection's
 * session on the server (a reconnect starts a session without it), and invalidations sent while the
 * redirect connection is down are lost. So a `close` of either connection tells every listener
 * `lost` at once, and tracking is set up again (a new redirect id, `CLIENT TRACKING OFF` then `ON`)
 * when both are ready. A connection that is silently dead (no FIN: a cut network) closes nothing,
 * so a heartbeat proves the whole chain once a second: it writes a key of its own under the prefix
 * and waits for that key's invalidation. No invalidation within the timeout is a loss too, and the
 * redirect connection is rebuilt. A near cache therefore serves nothing stale for longer than
 * heartbeat + timeout after its Redis went silent, and nothing stale at all after a drop it sees.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { InvalidationListener, Tracking } from './tier.js';

export const INVALIDATION_CHANNEL = '__redis__:invalidate';

export interface TrackingHubOptions {
  /** How often the chain is proven end to end (default 1 s). */
  heartbeatMs?: number;
  /** How long a heartbeat waits for its own invalidation (default: the data connection's command timeout, at least 1 s). */
  heartbeatTimeoutMs?: number;
  /**
   * A hash tag for the keys that prove the chain, asked at every write: on one master of a Redis
   * Cluster (cluster-tracking.ts) they must hash to a slot that master serves, or it answers MOVED.
   */
  keyTag?: () => string;
}

interface Registration {
  prefix: string;
  listener: InvalidationListener;
  closed: boolean;
}

/** What a registration asks of the channel (a hub) it is registered with. */
export interface TrackingChannel {
  readonly isActive: boolean;
  /** Why invalidations do not arrive now, when known. */
  readonly problem: string | undefined;
  sync(timeoutMs: number): Promise<number>;
  /** Called when the last registration leaves. */
  close(): Promise<void>;
}

/**
 * The listeners of one invalidation channel, each under its own prefix: the state changes go to
 * every one, an invalidation to those whose prefix its keys lie under.
 */
export class Listeners {
  private readonly registrations = new Set<Registration>();

  /** Registers `listener`; the returned Tracking reads the channel's state. */
  add(prefix: string, listener: InvalidationListener, channel: TrackingChannel): Tracking {
    const registration: Registration = { prefix, listener, closed: false };
    this.registrations.add(registration);
    // Told after register returns, as every later state change is (never inside the caller's own call).
    if (channel.isActive) queueMicrotask(() => { if (!registration.closed && channel.isActive) listener.tracking(); });
    const listeners = this;
    return {
      get active() {
        return !registration.closed && channel.isActive;
      },
      get problem() {
        return channel.isActive ? undefined : channel.problem;
      },
      sync: (timeoutMs) => channel.sync(timeoutMs),
      close: async () => {
        if (registration.closed) return;
        registration.closed = true;
        listeners.registrations.delete(registration);
        if (listeners.registrations.size === 0) await channel.close();
      },
    };
  }

  tracking(): void {
    for (const registration of this.open()) registration.listener.tracking();
  }

  lost(reason: string): void {
    for (const registration of this.open()) registration.listener.lost(reason);
  }

  flush(): void {
    for (const registration of this.open()) registration.listener.flush();
  }

  invalidate(keys: readonly string[]): void {
    for (const registration of this.open()) {
      const mine = keys.filter((key) => key.startsWith(registration.prefix));
      if (mine.length > 0) registration.listener.invalidate(mine);
    }
  }

  private open(): Registration[] {
    return [...this.registrations].filter((registration) => !registration.closed);
  }
}

interface Waiter {
  startedMs: number;
  resolve: (ms: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Thrown by `sync` and told to listeners: why invalidations cannot be trusted to arrive. */
export class TrackingLost extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TrackingLost';
  }
}

/**
 * One CLIENT TRACKING session of one data connection, shared by every listener under its prefix
 * (the server allows one redirect per connection and no overlapping prefixes).
 */
export class TrackingHub {
  private readonly listeners = new Listeners();
  private readonly waiters = new Map<string, Waiter>();
  private readonly hubId = randomUUID().slice(0, 8);
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly keyTag: (() => string) | undefined;
  private redirect: Redis | undefined;
  /** The redirect connection's client id once it is subscribed; undefined while it is not. */
  private redirectId: string | undefined;
  /** Bumped when the redirect connection closes: a subscription of an older session stops. */
  private redirectSession = 0;
  /** Bumped by every loss and every attempt to turn tracking on: an attempt that sees it change stops. */
  private attempt = 0;
  private active = false;
  private closed = false;
  private syncSeq = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatBusy = false;
  /** The last failure to set tracking up (a Redis without CLIENT TRACKING, a refused command…). */
  lastError: string | undefined;

  private readonly onDataReady = () => void this.enable();
  private readonly onDataClose = () => this.lose('the Redis data connection closed');

  constructor(private readonly data: Redis, readonly prefix: string, options: TrackingHubOptions = {}) {
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    const commandTimeout = (data.options as { commandTimeout?: number }).commandTimeout;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? Math.max(1_000, commandTimeout ?? 2_000);
    this.keyTag = options.keyTag;
  }

  get isActive(): boolean {
    return this.active;
  }

  get problem(): string | undefined {
    return this.lastError;
  }

  /** Closed hubs take no registrations; the connection's next `track` starts a new one. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Registers a listener for the keys under `prefix` (which must lie under the hub's); starts the hub on first use. */
  register(prefix: string, listener: InvalidationListener): Tracking {
    if (this.closed) throw new Error('the Redis invalidation channel is closed');
    if (!prefix.startsWith(this.prefix)) throw new Error(`cannot track '${prefix}': this connection tracks '${this.prefix}'`);
    if (!this.redirect) this.start();
    return this.listeners.add(prefix, listener, this);
  }

  /** Resolves (with the ms it took) once the invalidation of a write made now has arrived. */
  sync(timeoutMs: number): Promise<number> {
    if (!this.active) return Promise.reject(new TrackingLost(this.lastError ?? 'Redis invalidations are not arriving'));
    const tag = this.keyTag?.();
    const key = `${this.prefix}tracking:${tag === undefined ? '' : `{${tag}}:`}${this.hubId}:${++this.syncSeq}`;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new TrackingLost(`no invalidation from Redis within ${timeoutMs} ms of a write`));
      }, timeoutMs);
      timer.unref();
      this.waiters.set(key, { startedMs: performance.now(), resolve, reject, timer });
      // Written and deleted in one transaction, so the key is never left behind (nor seen by a
      // SCAN); each of the two sends an invalidation, and the first one ends the wait.
      this.data.multi().set(key, '1').del(key).exec().then((replies) => {
        const failed = replies?.find(([error]) => error)?.[0];
        if (failed) throw failed;
      }).catch((error: unknown) => {
        const waiter = this.waiters.get(key);
        if (!waiter) return;
        this.waiters.delete(key);
        clearTimeout(waiter.timer);
        reject(new TrackingLost(`the write that proves tracking failed: ${(error as Error).message}`));
      });
    });
  }

  /** Turns tracking off and closes the redirect connection; listeners are told `lost`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lose('tracking was closed');
    clearInterval(this.heartbeat);
    this.data.off('ready', this.onDataReady);
    this.data.off('close', this.onDataClose);
    const redirect = this.redirect;
    this.redirect = undefined;
    if (this.data.status === 'ready') await this.data.call('CLIENT', 'TRACKING', 'OFF').catch(() => undefined);
    if (redirect) {
      redirect.removeAllListeners('close');
      await redirect.quit().catch(() => redirect.disconnect());
    }
  }

  private start(): void {
    const redirect = this.data.duplicate({
      protocol: 2,
      lazyConnect: true,
      // Each new session subscribes itself, after learning its id (CLIENT ID is refused once subscribed).
      autoResubscribe: false,
      enableOfflineQueue: false,
      connectionName: 'perfbench-invalidations',
      // Stated, not inherited: a Redis Cluster's node connections never reconnect (the cluster
      // client makes new ones), but this connection must come back after a heartbeat rebuilds it.
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    });
    this.redirect = redirect;
    redirect.on('error', () => undefined);
    redirect.on('ready', () => void this.subscribe(redirect));
    redirect.on('close', () => {
      this.redirectSession++;
      this.redirectId = undefined;
      this.lose('the Redis invalidation connection closed');
    });
    redirect.on('messageBuffer', (channel: Buffer, message: unknown) => this.message(channel, message));
    this.data.on('ready', this.onDataReady);
    this.data.on('close', this.onDataClose);
    redirect.connect().catch(() => undefined);
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** A new redirect session: learn its id, subscribe, then turn tracking on with it. */
  private async subscribe(redirect: Redis): Promise<void> {
    const session = this.redirectSession;
    try {
      const id = String(await redirect.client('ID'));
      await redirect.subscribe(INVALIDATION_CHANNEL);
      if (session !== this.redirectSession || redirect !== this.redirect || this.closed) return;
      this.redirectId = id;
      await this.enable();
    } catch (error) {
      this.lastError = `cannot subscribe to ${INVALIDATION_CHANNEL}: ${(error as Error).message}`;
    }
  }

  /** Turns tracking on for the data connection's current session, when both connections are ready. */
  private async enable(): Promise<void> {
    if (this.closed || this.active || this.redirectId === undefined || this.data.status !== 'ready') return;
    const attempt = ++this.attempt;
    const id = this.redirectId;
    try {
      // OFF first: the session may still track with an older redirect id, and ON with an
      // overlapping prefix is refused.
      await this.data.call('CLIENT', 'TRACKING', 'OFF');
      await this.data.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', 'PREFIX', this.prefix);
    } catch (error) {
      this.lastError = `CLIENT TRACKING failed: ${(error as Error).message}`;
      return;
    }
    if (attempt !== this.attempt || id !== this.redirectId || this.data.status !== 'ready' || this.closed) return;
    this.active = true;
    this.lastError = undefined;
    this.listeners.tracking();
  }

  private lose(reason: string): void {
    this.attempt++;
    for (const [key, waiter] of this.waiters) {
      this.waiters.delete(key);
      clearTimeout(waiter.timer);
      waiter.reject(new TrackingLost(reason));
    }
    if (!this.active) return;
    this.active = false;
    this.lastError = reason;
    this.listeners.lost(reason);
  }

  /** Proves the chain (data connection, server tracking, redirect connection); a silence is a loss. */
  private async beat(): Promise<void> {
    if (this.heartbeatBusy || this.closed) return;
    this.heartbeatBusy = true;
    try {
      if (!this.active) {
        await this.enable();
        return;
      }
      try {
        await this.sync(this.heartbeatTimeoutMs);
      } catch (error) {
        if (this.closed || !this.active) return;
        this.lose((error as Error).message);
        // Rebuild the redirect session: its 'ready' sets tracking up again.
        this.redirectId = undefined;
        this.redirect?.disconnect(true);
      }
    } finally {
      this.heartbeatBusy = false;
    }
  }

  private message(channel: Buffer, message: unknown): void {
    if (channel.toString() !== INVALIDATION_CHANNEL) return;
    if (message === null || message === undefined) {
      // FLUSHALL / FLUSHDB: every write before it is covered, the waiters' included.
      for (const [key, waiter] of this.waiters) {
        this.waiters.delete(key);
        clearTimeout(waiter.timer);
        waiter.resolve(performance.now() - waiter.startedMs);
      }
      this.listeners.flush();
      return;
    }
    const keys = (Array.isArray(message) ? message : [message]).map((key) => String(key));
    for (const key of keys) {
      const waiter = this.waiters.get(key);
      if (!waiter) continue;
      this.waiters.delete(key);
      clearTimeout(waiter.timer);
      waiter.resolve(performance.now() - waiter.startedMs);
    }
    this.listeners.invalidate(keys);
  }
}
