/**
 * The import graph of src/ and the layering rules it must keep (DESIGN.md "Layout", issue 9):
 * pure functions over an in-memory map of files, so the architecture test can prove each rule on a
 * small fixture graph before it judges the real tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';

/** One import as written in a file. */
export interface ImportRef {
  /** The specifier as written: './x.js', 'pg', 'node:http'. */
  specifier: string;
  /** How it was written. */
  kind: 'import' | 'export-from' | 'dynamic' | 'import-type' | 'require';
  /** 1-based line, for the message. */
  line: number;
  /** TypeScript erases it: `import type`, `export type`, or an import of `type` names only. */
  typeOnly: boolean;
}

/** A resolved edge: `from` imports `to` (a file of the graph, or a package name such as 'pg'). */
export interface Edge {
  from: string;
  to: string;
  /** True when `to` is a file of the graph; false for a package or a builtin module. */
  internal: boolean;
  ref: ImportRef;
}

export interface ImportGraph {
  /** Every file, as a path relative to the repository root ('src/cli.ts'), sorted. */
  files: string[];
  edges: Edge[];
  /** Dynamic imports whose specifier is not a string literal: the graph cannot follow them. */
  unresolved: Edge[];
}

/**
 * Every import in one TypeScript file: static imports (type-only too), `export … from`, dynamic
 * `import('…')`, `import('…').Type` in type positions and `import x = require('…')`. Read from the
 * syntax tree, so an import in a comment or a string does not count.
 */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined, kind: ImportRef['kind'], typeOnly = kind === 'import-type') => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const written = specifier && (ts.isStringLiteral(specifier) || ts.isNoSubstitutionTemplateLiteral(specifier)) ? specifier.text : `<computed: ${specifier?.getText(source) ?? ''}>`;
    refs.push({ specifier: written, kind, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, 'import', importsTypesOnly(node.importClause));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node, node.moduleSpecifier, 'export-from', node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, 'require');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'dynamic');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, 'import-type');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** `import type …`, or `import { type A, type B }`: nothing of it is left at run time. A bare `import './x.js'` is not. */
function importsTypesOnly(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((element) => element.isTypeOnly);
}

/**
 * What evaluating `entry` evaluates: the files and packages it imports statically, other than
 * erased type imports, and theirs in turn. Dynamic imports are left out: they load on demand.
 */
export function loadedWith(graph: ImportGraph, entry: string): Set<string> {
  const loaded = new Set<string>([entry]);
  const pending = [entry];
  while (pending.length > 0) {
    const from = pending.pop()!;
    for (const edge of graph.edges) {
      if (edge.from !== from || edge.ref.typeOnly || (edge.ref.kind !== 'import' && edge.ref.kind !== 'export-from') || loaded.has(edge.to)) continue;
      loaded.add(edge.to);
      if (edge.internal) pending.push(edge.to);
    }
  }
  return loaded;
}

/** 'pg/lib/client' -> 'pg', '@scope/pkg/x' -> '@scope/pkg', 'node:http' -> 'http'. */
export function packageName(specifier: string): string {
  const bare = specifier.replace(/^node:/, '');
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The file a relative specifier names ('./x.js' may name x.ts), or undefined. */
function resolveRelative(from: string, specifier: string, files: Set<string>): string | undefined {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = target.replace(/\.(m|c)?js$/, '');
  return [target, `${stem}.ts`, `${stem}.mts`, `${stem}.cts`, `${target}.ts`, `${target}/index.ts`].find((candidate) => files.has(candidate));
}

/** Builds the graph of an in-memory tree: path (relative to the repository root) -> text. */
export function buildGraph(tree: Record<string, string>): ImportGraph {
  const files = Object.keys(tree).sort();
  const known = new Set(files);
  const edges: Edge[] = [];
  const unresolved: Edge[] = [];
  for (const from of files) {
    for (const ref of importsOf(from, tree[from]!)) {
      if (ref.specifier.startsWith('<computed')) {
        unresolved.push({ from, to: ref.specifier, internal: false, ref });
      } else if (ref.specifier.startsWith('.')) {
        const to = resolveRelative(from, ref.specifier, known);
        if (to === undefined) throw new Error(`${from}:${ref.line} imports '${ref.specifier}', which is no file under the tree`);
        edges.push({ from, to, internal: true, ref });
      } else {
        edges.push({ from, to: packageName(ref.specifier), internal: false, ref });
      }
    }
  }
  return { files, edges, unresolved };
}

/** Reads every .ts file under `dir` (relative to `root`) into a tree for `buildGraph`. */
export function readTree(root: string, dir = 'src'): Record<string, string> {
  const tree: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(posix.join(root, relative), { withFileTypes: true })) {
      const path = posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(m|c)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) tree[path] = readFileSync(posix.join(root, path), 'utf8');
    }
  };
  walk(dir);
  return tree;
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), each written as a path that
 * returns to its start: 'src/a.ts -> src/b.ts -> src/a.ts'. A file importing itself is a cycle too.
 */
export function importCycles(graph: ImportGraph): string[] {
  const next = new Map<string, string[]>(graph.files.map((file) => [file, []]));
  for (const edge of graph.edges) if (edge.internal && !next.get(edge.from)!.includes(edge.to)) next.get(edge.from)!.push(edge.to);
  for (const targets of next.values()) targets.sort();

  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file)!) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || next.get(file)!.includes(file)) components.push(component.sort());
    }
  };
  for (const file of graph.files) if (!index.has(file)) connect(file);

  // Name each component by one concrete cycle through its first file (a shortest one, by BFS).
  return components
    .map((component) => {
      const members = new Set(component);
      const start = component[0]!;
      const previous = new Map<string, string>();
      const queue = [start];
      let found = false;
      while (queue.length > 0 && !found) {
        const file = queue.shift()!;
        for (const to of next.get(file)!) {
          if (!members.has(to)) continue;
          if (to === start) {
            previous.set(start, file);
            found = true;
            break;
          }
          if (!previous.has(to)) {
            previous.set(to, file);
            queue.push(to);
          }
        }
      }
      const path = [start];
      for (let file = previous.get(start)!; file !== start; file = previous.get(file)!) path.unshift(file);
      path.unshift(start);
      const extra = component.length > path.length - 1 ? ` (${component.length} files in this cycle: ${component.join(', ')})` : '';
      return `import cycle: ${path.join(' -> ')}${extra}`;
    })
    .sort();
}

const COMMANDS = /^src\/commands\/[^/]+$/;
const CLI = 'src/cli.ts';
const REPORTERS = /^src\/report\//;
const COMMANDS_OR_USE_CASES = /^src\/(commands|usecases)\//;
const DOMAINS = /^src\/(plan|measure|workload)\//;
/** Drivers, terminal and network modules a pure domain must not touch (compared by package name). */
export const DOMAIN_FORBIDDEN = ['pg', 'ioredis', 'chalk', 'ora', 'cli-table3', 'commander', 'http'];

function where(edge: Edge): string {
  return `${edge.from}:${edge.ref.line}`;
}

/** A command module (a file directly in src/commands/) imported by anything but src/cli.ts. */
export function commandImports(graph: ImportGraph): string[] {
  return graph.edges
    .filter((edge) => edge.internal && COMMANDS.test(edge.to) && edge.from !== CLI)
    .map((edge) => `${where(edge)} imports the command module ${edge.to}: only ${CLI} may import a command; move what both need into a use case (src/usecases/) or below`);
}

/** A reporter (src/report/) importing a command or a use case. */
export function reporterImports(graph: ImportGraph): string[] {
  return graph.edges
    .filter((edge) => edge.internal && REPORTERS.test(edge.from) && COMMANDS_OR_USE_CASES.test(edge.to))
    .map((edge) => `${where(edge)} imports ${edge.to}: a reporter turns domain data into text and imports domain types only, never a command or a use case`);
}

/** A domain file (src/plan/, src/measure/, src/workload/) importing a driver, a terminal or an HTTP module. */
export function domainImports(graph: ImportGraph): string[] {
  return graph.edges
    .filter((edge) => !edge.internal && DOMAINS.test(edge.from) && DOMAIN_FORBIDDEN.includes(edge.to))
    .map((edge) => `${where(edge)} imports '${edge.ref.specifier}': a domain stays pure (no driver, console or network); pass what it needs in from a use case or an adapter`);
}
