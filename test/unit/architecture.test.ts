/**
 * The layering of src/ (DESIGN.md "Layout"), checked on every import so the structure cannot decay:
 * no import cycles; commands are imported by src/cli.ts only; reporters never import a command or
 * a use case; the domains (plan, measure, workload) stay free of drivers, terminal and HTTP modules.
 * The rules are first proven on a small in-memory graph, so this test can fail.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildGraph, commandImports, domainImports, importCycles, importsOf, loadedWith, readTree, reporterImports, type ImportGraph } from '../support/import-graph.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the import reader', () => {
  it('reads static, type-only, export-from, dynamic, import-type and require imports, and nothing in comments or strings', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, d } from './c.js';",
      "import './side-effect.js';",
      "export { e } from './e.js';",
      "export * from './f.js';",
      "export type { G } from './g.js';",
      "const h = await import('./h.js');",
      "type I = import('./i.js').I;",
      "import j = require('./j.js');",
      "const k = await import(name);",
      "// import { x } from './commented.js';",
      "const s = \"import { y } from './string.js'\";",
      'export const local = 1;',
    ].join('\n');
    expect(importsOf('src/x.ts', text).map((ref) => [ref.kind, ref.specifier, ref.line])).toEqual([
      ['import', './a.js', 1],
      ['import', './b.js', 2],
      ['import', './c.js', 3],
      ['import', './side-effect.js', 4],
      ['export-from', './e.js', 5],
      ['export-from', './f.js', 6],
      ['export-from', './g.js', 7],
      ['dynamic', './h.js', 8],
      ['import-type', './i.js', 9],
      ['require', './j.js', 10],
      ['dynamic', '<computed: name>', 11],
    ]);
  });

  it('tells imports TypeScript erases from those that load, and follows only the latter', () => {
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

  it('resolves .js specifiers to .ts files and names packages without subpaths or node:', () => {
    const graph = buildGraph({
      'src/a.ts': "import { b } from './sub/b.js'; import pg from 'pg'; import { x } from 'pg/lib/x'; import http from 'node:http'; import { y } from '@scope/pkg/y';",
      'src/sub/b.ts': "export { c } from '../c.js'; const later = () => import(name);",
      'src/c.ts': '',
    });
    expect(graph.edges.map((edge) => `${edge.from} -> ${edge.to}${edge.internal ? '' : ' (package)'}`)).toEqual([
      'src/a.ts -> src/sub/b.ts',
      'src/a.ts -> pg (package)',
      'src/a.ts -> pg (package)',
      'src/a.ts -> http (package)',
      'src/a.ts -> @scope/pkg (package)',
      'src/sub/b.ts -> src/c.ts',
    ]);
    expect(graph.unresolved.map((edge) => edge.from)).toEqual(['src/sub/b.ts']);
  });

  it('fails loudly on a relative import of a file that does not exist', () => {
    expect(() => buildGraph({ 'src/a.ts': "import { b } from './missing.js';" })).toThrow("src/a.ts:1 imports './missing.js', which is no file under the tree");
  });
});

describe('the layering rules, on a fixture graph', () => {
  /** A tree that keeps every rule: the CLI registers commands, commands call use cases, reporters read the domain. */
  const clean: Record<string, string> = {
    'src/cli.ts': "import { Command } from 'commander'; import { register } from './commands/bench.js'; const lazy = () => import('./commands/seed.js');",
    'src/commands/bench.ts': "import { bench } from '../usecases/bench.js'; import { renderTable } from '../report/table.js'; import ora from 'ora';",
    'src/commands/seed.ts': "import { ensureDataset } from '../usecases/dataset.js';",
    'src/usecases/bench.ts': "import { ensureDataset } from './dataset.js'; import { run } from '../measure/runner.js'; import pg from 'pg';",
    'src/usecases/dataset.ts': "import type { Workload } from '../workload/workload.js';",
    'src/report/table.ts': "import type { Result } from '../measure/result.js'; import Table from 'cli-table3'; import chalk from 'chalk';",
    'src/measure/runner.ts': "import type { Result } from './result.js'; import { performance } from 'node:perf_hooks';",
    'src/measure/result.ts': "import type { Plan } from '../plan/plan.js';",
    'src/plan/plan.ts': '',
    'src/workload/workload.ts': "import type { Plan } from '../plan/plan.js';",
  };
  const graphWith = (changes: Record<string, string>): ImportGraph => buildGraph({ ...clean, ...changes });

  it('finds nothing in a tree that keeps the rules', () => {
    const graph = buildGraph(clean);
    expect([...importCycles(graph), ...commandImports(graph), ...reporterImports(graph), ...domainImports(graph)]).toEqual([]);
  });

  it.each([
    ['two files importing each other', { 'src/measure/result.ts': "import { compare } from './compare.js';", 'src/measure/compare.ts': "import type { Result } from './result.js';" }, ['import cycle: src/measure/compare.ts -> src/measure/result.ts -> src/measure/compare.ts']],
    ['a cycle through a type-only import, across folders', { 'src/plan/plan.ts': "import type { Result } from '../measure/result.js';" }, ['import cycle: src/measure/result.ts -> src/plan/plan.ts -> src/measure/result.ts']],
    ['a cycle through a dynamic import and an export-from', { 'src/plan/plan.ts': "export { w } from '../workload/workload.js';", 'src/workload/workload.ts': "const p = () => import('../plan/plan.js');" }, ['import cycle: src/plan/plan.ts -> src/workload/workload.ts -> src/plan/plan.ts']],
    ['a file importing itself', { 'src/plan/plan.ts': "import { self } from './plan.js';" }, ['import cycle: src/plan/plan.ts -> src/plan/plan.ts']],
    ['a longer cycle', { 'src/plan/plan.ts': "import { w } from '../workload/workload.js';", 'src/workload/workload.ts': "import { r } from '../measure/result.js';", 'src/measure/result.ts': "import { p } from '../plan/plan.js';" }, ['import cycle: src/measure/result.ts -> src/plan/plan.ts -> src/workload/workload.ts -> src/measure/result.ts']],
  ])('finds an import cycle: %s', (_, changes, expected) => {
    expect(importCycles(graphWith(changes))).toEqual(expected);
  });

  it.each([
    ['a command importing another command', { 'src/commands/bench.ts': "import { seed } from './seed.js';" }, 'src/commands/bench.ts:1 imports the command module src/commands/seed.ts'],
    ['a use case importing a command (type-only)', { 'src/usecases/dataset.ts': "import type { SeedFlags } from '../commands/seed.js';" }, 'src/usecases/dataset.ts:1 imports the command module src/commands/seed.ts'],
    ['a reporter importing a command dynamically', { 'src/report/table.ts': "const c = () => import('../commands/bench.js');" }, 'src/report/table.ts:1 imports the command module src/commands/bench.ts'],
  ])('finds a command imported outside src/cli.ts: %s', (_, changes, expected) => {
    const found = commandImports(graphWith(changes));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain('only src/cli.ts may import a command');
  });

  it('lets src/cli.ts import commands statically and lazily, and a command live in a subfolder of its own', () => {
    const graph = graphWith({ 'src/commands/bench/flags.ts': '', 'src/usecases/bench.ts': "import { f } from '../commands/bench/flags.js';" });
    expect(commandImports(graph)).toEqual([]);
  });

  it.each([
    ['a command', "import { renderAll } from '../commands/bench.js';", 'src/report/table.ts:1 imports src/commands/bench.ts'],
    ['a use case', "import { ensureDataset } from '../usecases/dataset.js';", 'src/report/table.ts:1 imports src/usecases/dataset.ts'],
    ['a use case, type-only', "import type { BenchRun } from '../usecases/bench.js';", 'src/report/table.ts:1 imports src/usecases/bench.ts'],
    ['a use case, re-exported', "export type { BenchRun } from '../usecases/bench.js';", 'src/report/table.ts:1 imports src/usecases/bench.ts'],
  ])('finds a reporter importing %s', (_, text, expected) => {
    const found = reporterImports(graphWith({ 'src/report/table.ts': text }));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain('a reporter turns domain data into text');
  });

  it.each([
    ['src/plan/plan.ts', "import pg from 'pg';", "src/plan/plan.ts:1 imports 'pg'"],
    ['src/measure/runner.ts', "import type { Redis } from 'ioredis';", "src/measure/runner.ts:1 imports 'ioredis'"],
    ['src/workload/workload.ts', "import chalk from 'chalk';", "src/workload/workload.ts:1 imports 'chalk'"],
    ['src/measure/runner.ts', "const spinner = async () => (await import('ora')).default;", "src/measure/runner.ts:1 imports 'ora'"],
    ['src/plan/plan.ts', "import Table from 'cli-table3';", "src/plan/plan.ts:1 imports 'cli-table3'"],
    ['src/workload/workload.ts', "export { Command } from 'commander';", "src/workload/workload.ts:1 imports 'commander'"],
    ['src/measure/runner.ts', "import { request } from 'node:http';", "src/measure/runner.ts:1 imports 'node:http'"],
    ['src/measure/result.ts', "import type { IncomingMessage } from 'http';", "src/measure/result.ts:1 imports 'http'"],
    ['src/plan/deep/nested.ts', "import { Client } from 'pg/lib/client.js';", "src/plan/deep/nested.ts:1 imports 'pg/lib/client.js'"],
  ])('finds a domain file importing a driver, terminal or HTTP module: %s, %s', (file, text, expected) => {
    const found = domainImports(graphWith({ [file]: text }));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain('a domain stays pure');
  });

  it('lets adapters, use cases, commands and reporters use those packages', () => {
    const graph = graphWith({ 'src/db/connection.ts': "import pg from 'pg';", 'src/server/server.ts': "import { createServer } from 'node:http';" });
    expect(domainImports(graph)).toEqual([]);
  });
});

describe('src/ keeps its layering', () => {
  const graph = buildGraph(readTree(root));

  it('reads the real tree', () => {
    expect(graph.files).toContain('src/cli.ts');
    expect(graph.edges.filter((edge) => edge.internal).length).toBeGreaterThan(50);
  });

  it('has no import cycles', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('imports command modules from src/cli.ts only', () => {
    expect(commandImports(graph)).toEqual([]);
  });

  it('keeps commands and use cases out of reporters', () => {
    expect(reporterImports(graph)).toEqual([]);
  });

  it('keeps drivers, terminal and HTTP modules out of the domains', () => {
    expect(domainImports(graph)).toEqual([]);
  });
});
