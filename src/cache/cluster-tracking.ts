/**
 * Cache adapter: the near cache's coherence over a Redis Cluster. CLIENT TRACKING belongs to one
 * connection on one server, and a master tells only the writes to its own slots, so tracking is set
 * up on every master: one TrackingHub (tracking.ts) on each master's connection of the cluster
 * client, each with its own RESP2 redirect connection to that master, and each proving its own
 * chain with keys whose hash tag that master serves.
 *
 * The invalidations of every master reach the listeners. Coherence is claimed only while the
 * masters whose tracking is on serve every one of the 16384 slots (by the client's slot map): a
 * master that dies, a replica promoted in its place, a new master, a slot map not yet refreshed,
 * each leaves some slot uncovered, and the listeners are told `lost` until it is covered again.
 * The set of masters is followed through the cluster client's node events and slot refreshes, and
 * checked once a second.
 */
import type { Cluster, Redis } from 'ioredis';
import type { InvalidationListener, Tracking } from './tier.js';
import { nodeAddress, servesTag, slotsCoveredBy, tagServedBy } from './redis-cluster.js';
import { Listeners, TrackingHub, TrackingLost, type TrackingHubOptions } from './tracking.js';

interface MasterTracking {
  node: Redis;
  hub: TrackingHub;
  tracking: Tracking;
  /** Its hub tracks now (told `tracking`, not `lost` since). */
  active: boolean;
}

export class ClusterTrackingHub {
  private readonly listeners = new Listeners();
  private readonly masters = new Map<string, MasterTracking>();
  private readonly reconcileMs: number;
  private started = false;
  private active = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Why coherence was last lost. */
  private lostReason = 'Redis Cluster invalidations are not set up yet';

  private readonly onTopology = () => this.reconcile();

  constructor(private readonly cluster: Cluster, readonly prefix: string, private readonly options: TrackingHubOptions = {}) {
    this.reconcileMs = options.heartbeatMs ?? 1_000;
  }

  get isActive(): boolean {
    return this.active;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Why invalidations are not trusted now: a master's own failure when one is known, else why coherence was lost. */
  get problem(): string | undefined {
    if (this.active) return undefined;
    for (const [address, master] of this.masters) if (!master.active && master.hub.lastError) return `${address}: ${master.hub.lastError}`;
    return this.lostReason;
  }

  register(prefix: string, listener: InvalidationListener): Tracking {
    if (this.closed) throw new Error('the Redis invalidation channel is closed');
    if (!prefix.startsWith(this.prefix)) throw new Error(`cannot track '${prefix}': this cluster client tracks '${this.prefix}'`);
    if (!this.started) this.start();
    return this.listeners.add(prefix, listener, this);
  }

  /** Resolves once a write made now on every master has been told back, with the slowest one's ms. */
  async sync(timeoutMs: number): Promise<number> {
    if (!this.active) throw new TrackingLost(this.problem ?? 'Redis Cluster invalidations are not arriving');
    const times = await Promise.all([...this.masters.values()].map((master) => master.tracking.sync(timeoutMs)));
    return Math.max(0, ...times);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const event of ['refresh', '+node', '-node']) this.cluster.off(event, this.onTopology);
    this.setActive(false, 'tracking was closed');
    const masters = [...this.masters.values()];
    this.masters.clear();
    await Promise.all(masters.map((master) => master.tracking.close()));
  }

  private start(): void {
    this.started = true;
    for (const event of ['refresh', '+node', '-node']) this.cluster.on(event, this.onTopology);
    this.timer = setInterval(() => this.tick(), this.reconcileMs);
    this.timer.unref();
    this.reconcile();
  }

  /**
   * The once-a-second check. While some slot is uncovered, the slot map is also asked for again:
   * the cluster client refreshes it only when a command meets a moved or failed slot, and a
   * failover of slots nobody reads would otherwise stay unseen (its 'refresh' reconciles again).
   */
  private tick(): void {
    if (!this.active) this.cluster.refreshSlotsCache();
    this.reconcile();
  }

  /** Follows the cluster's masters: a hub on each new one, none left on a node that is no master now. */
  private reconcile(): void {
    if (this.closed) return;
    const current = new Map(this.cluster.nodes('master').map((node) => [nodeAddress(node), node]));
    for (const [address, master] of this.masters) {
      if (current.get(address) === master.node) continue;
      this.masters.delete(address);
      void master.tracking.close();
    }
    for (const [address, node] of current) if (!this.masters.has(address)) this.follow(address, node);
    this.update();
  }

  private follow(address: string, node: Redis): void {
    // The cluster client connects to a node on its first command; tracking needs the connection now.
    if (node.status === 'wait') node.connect().catch(() => undefined);
    let tag: string | undefined;
    const hub = new TrackingHub(node, this.prefix, {
      ...this.options,
      // Checked at every proof: after a slot migration or a failover the tag that reaches this master changes.
      keyTag: () => {
        if (tag === undefined || !servesTag(this.cluster, address, tag)) tag = tagServedBy(this.cluster, address);
        return tag ?? 'none';
      },
    });
    const master: MasterTracking = { node, hub, tracking: undefined as unknown as Tracking, active: false };
    master.tracking = hub.register(this.prefix, {
      tracking: () => {
        master.active = true;
        this.update();
      },
      lost: (reason) => {
        master.active = false;
        this.update(`${address}: ${reason}`);
      },
      invalidate: (keys) => this.listeners.invalidate(keys),
      // A flush of one master: any key may have changed (the listeners drop everything).
      flush: () => this.listeners.flush(),
    });
    this.masters.set(address, master);
  }

  /** Coherent while the tracking masters serve every slot. */
  private update(reason = 'a slot of the Redis Cluster has no master whose invalidations arrive (a master failed or the masters changed)'): void {
    if (this.closed) return;
    const tracking = new Set([...this.masters].filter(([, master]) => master.active).map(([address]) => address));
    this.setActive(tracking.size > 0 && slotsCoveredBy(this.cluster, tracking), reason);
  }

  private setActive(active: boolean, reason: string): void {
    if (active === this.active) return;
    this.active = active;
    if (active) {
      this.listeners.tracking();
    } else {
      this.lostReason = reason;
      this.listeners.lost(reason);
    }
  }
}
