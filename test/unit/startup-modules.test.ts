/**
 * Start-up stays lean (issue 13, item 7): a command loads its own dependencies and no other's. A real
 * CLI process (from source, through tsx) logs every module it loads; `--help` must load no command
 * module, no driver and no chalk, and `index` must load neither the bench flags (which pull in every
 * path, reporter and the histograms) nor ioredis. `index list` itself is read from the import graph.
 * Timings live in `npm run bench:startup`, not here.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildGraph, loadedWith, readTree } from '../support/import-graph.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A resolve hook, registered after tsx's, that prints every module the process loads. */
const LOG_MODULES = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(
  'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("module " + r.url + "\\\\n"); return r; }'));
`)}`;

/** The modules `perfbench <args>` loads, as paths under the repository or package names. */
function modulesLoadedBy(args: string[]): string[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', LOG_MODULES, 'test/support/perfbench-src.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const names = run.stderr.split('\n').filter((line) => line.startsWith('module ')).map((line) => {
    const url = line.slice('module '.length);
    const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (inPackage) return `package:${inPackage[1]}`;
    return url.startsWith('file://') ? fileURLToPath(url).slice(root.length) : url;
  });
  return [...new Set(names)];
}

describe('what a command loads at start-up', () => {
  it('--help loads the CLI and no command, driver, histogram or table renderer', () => {
    const loaded = modulesLoadedBy(['--help']);
    expect(loaded).toContain('src/cli.ts');
    expect(loaded.filter((name) => name.startsWith('src/commands/'))).toEqual([]);
    for (const heavy of ['package:pg', 'package:ioredis', 'package:hdr-histogram-js', 'package:cli-table3', 'package:ora', 'package:chalk', 'src/tick-shape.ts']) {
      expect(loaded).not.toContain(heavy);
    }
  });

  it('index loads its own command, and not the bench flags, paths, reporters, histograms or Redis', () => {
    const loaded = modulesLoadedBy(['index', 'list', '--help']);
    expect(loaded).toContain('src/commands/indexes.ts');
    expect(loaded.filter((name) => name.startsWith('src/commands/'))).toEqual(['src/commands/indexes.ts']);
    const strays = loaded.filter((name) => /^src\/(flags\/bench-flags|targets\/|report\/bench-|measure\/histogram|cache\/)/.test(name));
    expect(strays).toEqual([]);
    for (const heavy of ['package:ioredis', 'package:hdr-histogram-js', 'package:ora', 'package:chalk']) expect(loaded).not.toContain(heavy);
  });

  it("index list's use case, read from the import graph (its action needs a database): no node-postgres, chalk, run lock or node:crypto", () => {
    const graph = buildGraph(readTree(root));
    const loaded = new Set(['src/commands/indexes.ts', 'src/usecases/index-list.ts', 'src/report/index-text.ts', 'src/db/lean-session.ts']
      .flatMap((entry) => [...loadedWith(graph, entry)]));
    for (const heavy of ['pg', 'chalk', 'src/usecases/table-lease.ts', 'src/usecases/index-ownership.ts', 'src/db/connection.ts', 'crypto']) {
      expect(loaded).not.toContain(heavy);
    }
    // The closure is followed: the lean session's own socket module is in it.
    expect(loaded).toContain('net');
  });
});
