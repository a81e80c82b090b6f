/**
 * What the CLI loads before it knows its command, and what `index list` loads: kept small on
 * purpose (issue 13 item 7, bench:startup), and easy to undo by one import. chalk, cli-table3,
 * node-postgres and the run lock are loaded by the commands that use them, when they run.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildGraph, importsOf, loadedWith, readTree } from '../support/import-graph.js';

const graph = buildGraph(readTree(fileURLToPath(new URL('../../', import.meta.url))));

describe('start-up imports', () => {
  it('tells imports TypeScript erases from those that load', () => {
    const refs = importsOf('src/x.ts', [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "import { type D, e } from './d.js';",
      "import './side-effect.js';",
      "export type { F } from './f.js';",
      "export { g } from './g.js';",
    ].join('\n'));
    expect(refs.map((ref) => [ref.specifier, ref.typeOnly])).toEqual([
      ['./a.js', true], ['./b.js', true], ['./d.js', false], ['./side-effect.js', false], ['./f.js', true], ['./g.js', false],
    ]);
    const small = buildGraph({
      'src/a.ts': "import { b } from './b.js'; import type { C } from './c.js'; const later = () => import('./d.js');",
      'src/b.ts': "import chalk from 'chalk';",
      'src/c.ts': "import pg from 'pg';",
      'src/d.ts': '',
    });
    expect([...loadedWith(small, 'src/a.ts')].sort()).toEqual(['chalk', 'src/a.ts', 'src/b.ts']);
  });

  it('loads neither chalk, cli-table3, node-postgres, ioredis nor ora before the command is known', () => {
    const loaded = loadedWith(graph, 'src/cli.ts');
    for (const heavy of ['chalk', 'cli-table3', 'pg', 'ioredis', 'ora', 'src/tick-shape.ts', 'src/db/connection.ts']) expect(loaded).not.toContain(heavy);
  });

  it('lists indexes without node-postgres, chalk, the run lock or node:crypto', () => {
    const loaded = new Set(['src/commands/indexes.ts', 'src/usecases/index-list.ts', 'src/report/index-text.ts', 'src/db/lean-session.ts']
      .flatMap((entry) => [...loadedWith(graph, entry)]));
    for (const heavy of ['pg', 'chalk', 'src/usecases/table-lease.ts', 'src/usecases/index-ownership.ts', 'src/db/connection.ts', 'crypto']) {
      expect(loaded).not.toContain(heavy);
    }
    // The closure is followed: the lean session's own socket module is in it.
    expect(loaded).toContain('net');
  });
});
