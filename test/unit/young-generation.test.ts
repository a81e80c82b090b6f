/**
 * young-generation.ts: the young generation of a long-running command capped at run time, without
 * the node flag that cost every start Node's code cache. Each case runs in a process (or thread) of
 * its own: the cap is process-wide, and vitest's own heap is not the subject.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mayGrow, SEMI_SPACE_CAP_MB } from '../../src/young-generation.js';

const dir = mkdtempSync(join(tmpdir(), 'perfbench-young-'));
const source = (name: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src', name)).href);
const tsx = pathToFileURL(join(import.meta.dirname, '../../node_modules/tsx/dist/esm/index.mjs')).href;

/**
 * An asynchronous load in miniature: short-lived objects with a share that survives a while, in
 * steps between which the event loop turns (as perfbench's loads do). Prints the largest new space
 * seen, in MB.
 */
const LOAD = `
  let kept = [];
  let largest = 0;
  for (let step = 0; step < 4000; step++) {
    for (let i = 0; i < 500; i++) {
      kept.push({ i, text: 'row ' + i });
      if (kept.length > 200000) kept = kept.slice(100000);
    }
    await new Promise((resolve) => setImmediate(resolve));
    largest = Math.max(largest, newSpaceBytes());
  }
  report(largest / 1048576);
`;

function runScript(name: string, text: string, nodeFlags: string[] = [], nodeOptions = ''): number {
  const script = join(dir, name);
  writeFileSync(script, text);
  return Number(execFileSync(process.execPath, [...nodeFlags, '--import', tsx, script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } }));
}

function mainThreadLoad(name: string, cap: boolean, nodeFlags: string[] = [], nodeOptions = ''): number {
  return runScript(name, `
    const { capYoungGeneration, newSpaceBytes } = await import(${source('young-generation.ts')});
    const report = (mb) => process.stdout.write(String(mb));
    ${cap ? 'capYoungGeneration();' : ''}
    ${LOAD}
  `, nodeFlags, nodeOptions);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('young generation', () => {
  it('stays at two semi-spaces of the cap under load once capped, where V8 alone grows it to 16 MB semi-spaces', () => {
    expect(mainThreadLoad('uncapped.mjs', false)).toBeGreaterThan(2 * SEMI_SPACE_CAP_MB);
    expect(mainThreadLoad('capped.mjs', true)).toBe(2 * SEMI_SPACE_CAP_MB);
  });

  it('lets a semi-space double only while the double stays within the cap, whatever size V8 shrank it to', () => {
    const MIB = 1024 * 1024;
    // V8 reports a semi-space's capacity a little under its nominal size (page headers).
    expect(mayGrow(0.98 * MIB)).toBe(true);
    expect(mayGrow(1.97 * MIB)).toBe(true);
    expect(mayGrow((SEMI_SPACE_CAP_MB / 2) * MIB)).toBe(true);
    expect(mayGrow(2.75 * MIB)).toBe(false);
    expect(mayGrow(3.94 * MIB)).toBe(false);
    expect(mayGrow(SEMI_SPACE_CAP_MB * MIB)).toBe(false);
  });

  it('leaves a semi-space size given to node alone, on its command line or in NODE_OPTIONS', () => {
    // 8 MB semi-spaces make a 16 MB new space; capped, it would stop at 8 MB.
    expect(mainThreadLoad('flagged.mjs', true, ['--max-semi-space-size=8'])).toBe(16);
    expect(mainThreadLoad('node-options.mjs', true, [], '--max-semi-space-size=8')).toBe(16);
  });

  it("caps a worker thread's young generation through its resource limits", () => {
    // The thread runs from source through startWorker's tsx bootstrap, as perfbench's threads do in
    // tests; its directory says its .ts is an ES module, as perfbench's package.json does for src/.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const thread = join(dir, 'thread.ts');
    writeFileSync(thread, `
      import { parentPort } from 'node:worker_threads';
      import { newSpaceBytes } from ${source('young-generation.ts')};
      const report = (mb: number) => parentPort!.postMessage(mb);
      ${LOAD}
    `);
    expect(runScript('threads.mjs', `
      const { startWorker } = await import(${source('worker-thread.ts')});
      const worker = startWorker(new URL(${JSON.stringify(pathToFileURL(thread).href)}));
      worker.once('message', (mb) => { process.stdout.write(String(mb)); void worker.terminate(); });
    `)).toBe(2 * SEMI_SPACE_CAP_MB);
  });
});
