/**
 * npm run bench:rss — the memory of `perfbench bench` as an installed perfbench runs it
 * (bin/perfbench over dist/, whose bench command caps its young generation: young-generation.ts),
 * not of a harness under tsx: the report's seq, index, cache and cache-get paths at concurrency 1 and 2 on
 * the configured database (the default dataset, seeded by the CLI itself when missing), DURATION
 * seconds of measurement in all (default 120; DURATION=600 is issue 13 item 6's 10-minute run).
 * The process's RSS is sampled every 250 ms from /proc, its peak is the kernel's (VmHWM), and the
 * target is a peak under 150 MB with the RSS flat (the last quarter's mean against the second's).
 * Linux only (/proc). Not a test: it prints figures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, ensureBuilt, ROOT } from './built-cli.js';

const RSS_TARGET_MB = 150;
const DURATION_S = Number(process.env.DURATION ?? 120);
const PATHS = ['seq', 'index', 'cache', 'cache-get'];
const CONCURRENCY = [1, 2];
/** Each path and concurrency level gets an equal share of the measured time. */
const perRunS = Math.max(1, Math.round(DURATION_S / (PATHS.length * CONCURRENCY.length)));

/** VmRSS and VmHWM of `pid`, bytes; undefined once it has exited. */
function memory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

ensureBuilt();
// A TTL longer than the whole run: the cache paths' keys are filled once, before their first run.
const ttlS = 2 * DURATION_S + 300;
const args = ['bench', '--paths', PATHS.join(','), '--concurrency', CONCURRENCY.join(','), '--duration', `${perRunS}s`, '--trials', '1', '--ttl', String(ttlS), '--format', 'json'];
process.stderr.write(`bench:rss: ${BIN} ${args.join(' ')} (${perRunS} s per path and concurrency)\n`);
// The launcher itself, so its shebang's node flags apply, as for a user's `npx perfbench`.
const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk));
const samples: number[] = [];
let peak = 0;
const sampler = setInterval(() => {
  const now = memory(child.pid!);
  if (!now) return;
  samples.push(now.rss);
  peak = Math.max(peak, now.peak);
}, 250);
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
clearInterval(sampler);
if (code !== 0) throw new Error(`perfbench bench exited ${code}`);
const result = JSON.parse(output) as { paths: Array<{ name: string; concurrency: number; ops: number; errors: number; throughputOpsPerSec: number }> };
const quarter = Math.max(1, Math.floor(samples.length / 4));
const second = mean(samples.slice(quarter, 2 * quarter));
const last = mean(samples.slice(-quarter));
process.stdout.write([
  `perfbench bench as installed, ${PATHS.join(', ')} at concurrency ${CONCURRENCY.join(', ')}, ${perRunS} s each (${samples.length} RSS samples)`,
  ...result.paths.map((p) => `  ${p.name.padEnd(10)} c=${p.concurrency}  ${p.ops} ops, ${p.errors} errors, ${p.throughputOpsPerSec.toFixed(0)} ops/s`),
  `RSS  first ${mb(samples[0] ?? NaN)}  second quarter ${mb(second)}  last quarter ${mb(last)} (${last >= second ? '+' : ''}${mb(last - second)})  ` +
  `peak (VmHWM) ${mb(peak)}   peak < ${RSS_TARGET_MB} MB: ${peak < RSS_TARGET_MB * 1e6 ? 'PASS' : 'MISS'}`,
  '',
].join('\n'));
