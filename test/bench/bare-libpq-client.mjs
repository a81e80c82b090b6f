/**
 * The floor under `perfbench bench --driver libpq`, for bench:fidelity's scripts part: pgbench's
 * select-only transaction (one prepared SELECT of pgbench_accounts by a uniformly drawn aid) from
 * a Node.js process over the same libpq binding, in a plain loop: execPrepared and the result's
 * status, nothing else (no runner, no planning, no histograms). One process per client, as
 * `--driver libpq` and `pgbench -j` equal to `-c` run them. Set beside pgbench's figure and
 * perfbench's, it tells how much of the gap is perfbench's own and how much is Node.js and the
 * binding's.
 *
 * Usage: node bare-libpq-client.mjs CONNINFO SECONDS ACCOUNTS
 * Prints one JSON line: {"transactions": n, "cpuUs": this process's user + system CPU in the loop}.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const Libpq = require('libpq');

const STATEMENT = 'perfbench_bare_libpq';
const TEXT = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const [conninfo, seconds, accounts] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

const connection = new Libpq();
connection.connectSync(conninfo); // throws libpq's message when it cannot connect
connection.prepare(STATEMENT, TEXT, 1);
if (connection.resultStatus() !== 'PGRES_COMMAND_OK') throw new Error(`bare libpq client: ${connection.resultErrorMessage()}`);
const cpu = process.cpuUsage();
const deadline = performance.now() + seconds * 1000;
let transactions = 0;
while (performance.now() < deadline) {
  connection.execPrepared(STATEMENT, [String(1 + Math.floor(Math.random() * accounts))]);
  if (connection.resultStatus() !== 'PGRES_TUPLES_OK') throw new Error(`bare libpq client: ${connection.resultErrorMessage()}`);
  transactions++;
}
const used = process.cpuUsage(cpu);
connection.finish();
process.stdout.write(`${JSON.stringify({ transactions, cpuUs: used.user + used.system })}\n`);
