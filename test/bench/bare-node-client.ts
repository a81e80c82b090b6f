/**
 * The floor under any Node.js client, for bench:fidelity's scripts part: pgbench's select-only
 * transaction (one prepared SELECT of pgbench_accounts by a uniformly drawn aid) sent from a bare
 * socket in a callback loop: no promises, no histograms, no statement planning, no row reader.
 * Set beside pgbench's figure, it tells how much of perfbench's gap to pgbench is perfbench's own
 * and how much is what one round trip costs Node (its event loop, the socket write, the read
 * callback) against pgbench's C.
 *
 * pg opens each connection (authentication, the statement prepared by name); then the loop takes
 * the socket from pg's parser and speaks the protocol itself: Bind, Execute, Sync per transaction
 * (encoded by wire-protocol.ts's bindExecuteSync, a pure function: the one piece of perfbench it
 * shares), the next one sent when ReadyForQuery arrives.
 */
import type pg from 'pg';
import { bindExecuteSync } from '../../src/db/wire-protocol.js';

const STATEMENT = 'perfbench_bare_select';
const TEXT = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const READY_FOR_QUERY = 0x5a;
const ERROR_RESPONSE = 0x45;

/**
 * Runs `clients` bare loops for `seconds` on connections from `connect` (each is closed after),
 * against pgbench's tables at `scale`. Resolves with transactions per second and this process's
 * CPU per transaction.
 */
export async function bareNodeSelectOnly(connect: () => Promise<pg.Client>, clients: number, seconds: number, scale: number): Promise<{ tps: number; cpuUs: number }> {
  const accounts = 100_000 * scale;
  const connections = await Promise.all(Array.from({ length: clients }, connect));
  try {
    for (const client of connections) await client.query({ name: STATEMENT, text: TEXT, values: ['1'] });
    const cpu = process.cpuUsage();
    const deadline = performance.now() + seconds * 1000;
    const counts = await Promise.all(connections.map((client) => loop(client, accounts, deadline)));
    const used = process.cpuUsage(cpu);
    const total = counts.reduce((sum, n) => sum + n, 0);
    return { tps: total / seconds, cpuUs: (used.user + used.system) / total };
  } finally {
    for (const client of connections) (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}

/** One client's loop until `deadline`: resolves with its transactions. */
function loop(client: pg.Client, accounts: number, deadline: number): Promise<number> {
  const socket = (client as unknown as { connection: { stream: NodeJS.ReadWriteStream & { write(b: Buffer): boolean } } }).connection.stream;
  socket.removeAllListeners('data');
  return new Promise((resolve, reject) => {
    let done = 0;
    // Where the next message starts, counted from the start of the next chunk (messages span chunks).
    let skip = 0;
    let header: number[] = [];
    const send = (): void => {
      socket.write(bindExecuteSync(STATEMENT, [String(1 + Math.floor(Math.random() * accounts))]));
    };
    socket.on('data', (chunk: Buffer) => {
      let at = skip;
      skip = 0;
      while (at < chunk.length) {
        // A message's type and length may themselves straddle two chunks.
        while (header.length < 5 && at < chunk.length) header.push(chunk[at++]!);
        if (header.length < 5) return;
        const type = header[0]!;
        const length = ((header[1]! << 24) | (header[2]! << 16) | (header[3]! << 8) | header[4]!) >>> 0;
        header = [];
        if (type === ERROR_RESPONSE) return reject(new Error(`bare Node client: PostgreSQL error ${chunk.toString('utf8', at, Math.min(chunk.length, at + length - 4))}`));
        at += length - 4;
        if (type !== READY_FOR_QUERY) continue;
        done++;
        if (performance.now() >= deadline) return resolve(done);
        send();
      }
      skip = at - chunk.length;
    });
    send();
  });
}
