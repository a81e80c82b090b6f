/**
 * perfbench's own HTTP load, in a process of its own (as `bench --http URL` runs): the HTTP target
 * under the bench runner's closed loop. Prints one JSON line: throughput and latency percentiles.
 * Usage: tsx test/bench/http-load.ts <base-url> <route> <seconds> <concurrency> <category>
 */
import { runTarget } from '../../src/measure/runner.js';
import { httpTarget, type HttpRoute } from '../../src/targets/http.js';

const [baseUrl, route, seconds, concurrency, category] = process.argv.slice(2);
const target = httpTarget({ baseUrl: baseUrl!, route: route as HttpRoute, connections: Number(concurrency) });
const result = await runTarget(target, {
  concurrency: Number(concurrency),
  durationMs: Number(seconds) * 1000,
  warmupMs: 1000,
  sequence: { at: () => category! },
  onProgress: (event) => {
    if (event.phase === 'measure' && event.ops === 0) target.resetServerTiming();
  },
});
process.stdout.write(`${JSON.stringify({
  opsPerSec: result.throughputOpsPerSec, errors: result.errors, firstError: result.firstError, summary: result.summary,
  serverTiming: target.serverTiming(), flags: result.flags, eventLoopLag: result.eventLoopLag,
})}\n`);
