/**
 * Harness cost: how much perfbench itself adds per operation. Not a test (timings never are):
 *   npx tsx test/bench/harness.ts [operations]
 * Prints the no-op path's cost per operation through the runner (closed and open loop), the clock's
 * read cost, and the histogram record cost with the WebAssembly and JS builds of hdr-histogram-js.
 */
import { realClock } from '../../src/measure/clock.js';
import { initHistograms, LatencyHistogram, type HistogramBackend } from '../../src/measure/histogram.js';
import { runTarget } from '../../src/measure/runner.js';
import { categorySequence } from '../../src/workload/sequence.js';
import { noopTarget } from '../../src/measure/target.js';

const ops = Number(process.argv[2] ?? 1_000_000);
const sequence = categorySequence({ categories: 1000, distribution: 'zipf', seed: 1 });
const clock = realClock();

function perOpUs(startNs: number, endNs: number, n: number): string {
  return (((endNs - startNs) / n) / 1e3).toFixed(3);
}

async function runner(backend: HistogramBackend, concurrency: number): Promise<void> {
  await initHistograms(backend);
  const target = noopTarget();
  // A warm-up run lets V8 optimise the loop before the timed one.
  await runTarget(target, { concurrency, iterations: 100_000, sequence, clock, loopMonitor: null });
  const t0 = clock.nowNs();
  const r = await runTarget(target, { concurrency, iterations: ops, sequence, clock, loopMonitor: null });
  const t1 = clock.nowNs();
  console.log(
    `runner closed loop, ${backend.padEnd(4)} c=${String(concurrency).padEnd(2)}: ${perOpUs(t0, t1, ops)} µs/op wall ` +
      `(${Math.round(r.throughputOpsPerSec).toLocaleString('en')} ops/s; recorded no-op latency mean ${r.summary.meanUs.toFixed(3)} µs, p99 ${r.summary.p99Us} µs)`,
  );
}

async function openLoop(): Promise<void> {
  await initHistograms('wasm');
  const rate = 20_000;
  const n = 100_000;
  // The event-loop monitor stays on here: schedule lag on a shared machine is mostly the loop
  // being descheduled, and its p99/max tell that apart from perfbench's own cost.
  const r = await runTarget(noopTarget(), { concurrency: 64, ratePerSec: rate, iterations: n, sequence, clock });
  const loop = r.eventLoopLag!;
  console.log(
    `runner open loop, wasm, ${rate.toLocaleString('en')}/s x ${n.toLocaleString('en')}: achieved ${Math.round(r.throughputOpsPerSec).toLocaleString('en')} ops/s, ` +
      `schedule lag mean ${r.scheduleLag!.meanUs.toFixed(1)} µs, max ${r.scheduleLag!.maxUs.toFixed(0)} µs, ${r.scheduleLag!.lateOps} ops > 1 ms late; ` +
      `p50/p99 (corrected) ${r.summary.p50Us}/${r.summary.p99Us} µs; event-loop delay p99 ${(loop.p99Us / 1e3).toFixed(1)} ms, max ${(loop.maxUs / 1e3).toFixed(1)} ms`,
  );
}

async function record(backend: HistogramBackend): Promise<void> {
  await initHistograms(backend);
  const values = Array.from({ length: ops }, (_, i) => 50 + ((i * 7919) % 100_000));
  for (let round = 0; round < 2; round++) {
    const h = LatencyHistogram.create();
    const t0 = clock.nowNs();
    for (let i = 0; i < ops; i++) h.record(values[i]!);
    const t1 = clock.nowNs();
    h.destroy();
    if (round === 1) console.log(`histogram record, ${backend.padEnd(4)}: ${((t1 - t0) / 1e6).toFixed(1)} ms per ${ops.toLocaleString('en')} values (${((t1 - t0) / ops).toFixed(1)} ns/value)`);
  }
}

function clockCost(): void {
  let sink = 0;
  const n = 2_000_000;
  const t0 = clock.nowNs();
  for (let i = 0; i < n; i++) sink += clock.nowNs();
  const t1 = clock.nowNs();
  console.log(`clock.nowNs(): ${((t1 - t0) / n).toFixed(1)} ns/read${sink < 0 ? '' : ''}`);
}

console.log(`perfbench harness cost — Node ${process.version}, ${ops.toLocaleString('en')} operations\n`);
clockCost();
await record('js');
await record('wasm');
await runner('js', 1);
await runner('wasm', 1);
await runner('wasm', 16);
await openLoop();
