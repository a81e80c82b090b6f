/** Database adapter: the slow route's one connection, reopened after it dies. */
import type pg from 'pg';
import { DatabaseUnavailable, isUnavailable } from './availability.js';

/**
 * One connection used strictly serially, as a blocking application with a single connection would:
 * every request waits for the ones before it. A connection that dies (server restart, terminated
 * backend) is dropped and the next request opens a new one.
 */
export class DedicatedConnection {
  private client: Promise<pg.Client> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Requests queued or running. */
  depth = 0;
  private closed = false;

  constructor(private readonly connect: () => Promise<pg.Client>) {}

  /**
   * Runs `work` after every earlier call has finished; `waitedMs` is the time spent queued.
   * `admit` runs when the call's turn comes, before any connecting: it may throw to give up (a
   * request queued behind a failed connect must not wait for another connect timeout).
   */
  run<T>(work: (client: pg.Client, waitedMs: number) => Promise<T>, admit?: () => void): Promise<T> {
    const queuedAt = performance.now();
    this.depth++;
    const result = this.tail.then(async () => {
      if (this.closed) throw new DatabaseUnavailable(new Error('server is shutting down'));
      admit?.();
      const waitedMs = performance.now() - queuedAt;
      const pending = this.acquire();
      const client = await pending;
      try {
        return await work(client, waitedMs);
      } catch (error) {
        if (isUnavailable(error)) this.discard(pending);
        throw error;
      }
    }).finally(() => {
      this.depth--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private acquire(): Promise<pg.Client> {
    if (!this.client) {
      const pending: Promise<pg.Client> = this.connect().then((client) => {
        const dead = () => this.discard(pending);
        client.on('error', dead);
        client.on('end', dead);
        return client;
      });
      // A failed connect leaves no client behind: the next request tries afresh.
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
      });
      this.client = pending;
    }
    return this.client;
  }

  private discard(which: Promise<pg.Client>): void {
    if (this.client !== which) return;
    this.client = undefined;
    which.then((client) => client.end().catch(() => undefined), () => undefined);
  }

  /** Waits for queued work, then ends the connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.client) this.discard(this.client);
  }
}

