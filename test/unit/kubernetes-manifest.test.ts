/**
 * The Kubernetes example (deploy/kubernetes/*.yaml, README "More than one machine") read as
 * Kubernetes would read it, and checked against the CLI: every perfbench command and flag its
 * containers run exists in the real commander definitions (and gets a value where it takes one),
 * the shards' Job is an Indexed Job whose completion index becomes --shard I/N with N equal to its
 * completions and parallelism, every shard gets the same run id (the Job's UID), and the merge
 * step reads the volume the shards write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../../src/cli.js';
import { memoryOutput } from '../../src/output.js';

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

type Json = Record<string, any>;

/** Every document of every manifest, parsed by a real YAML parser (a syntax error fails here). */
function manifests(): Array<{ file: string; doc: Json }> {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(dir + file, 'utf8'));
    for (const d of docs) expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
    return docs.map((d) => ({ file, doc: d.toJS() as Json }));
  });
}

function job(name: string): Json {
  const found = manifests().find(({ doc }) => doc.kind === 'Job' && doc.metadata?.name === name);
  expect(found, `a Job named ${name}`).toBeDefined();
  return found!.doc;
}

/**
 * Words of a shell line as sh would split them, keeping quoted strings and $(…)/$((…)) whole
 * (expansions are left as written: their values exist only in the pod).
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '$' && line[i + 1] === '(') {
      depth++;
      word += c;
    } else if (c === ')' && depth > 0) {
      if (line[i + 1] !== ')') depth--;
      word += c;
    } else if ((c === ' ' || c === '\t') && depth === 0) {
      if (word) words.push(word);
      word = '';
    } else word += c;
  }
  if (word) words.push(word);
  return words;
}

interface Invocation {
  command: string[];
  flags: Array<{ flag: string; value?: string }>;
  args: string[];
}

/** The perfbench commands a container runs: from its command/args, a `sh -c` script read line by line. */
function invocations(container: Json): Invocation[] {
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  const lines = argv[0] === 'sh' && argv[1] === '-c' ? String(argv[2]).split('\n') : [argv.join(' ')];
  const found: Invocation[] = [];
  for (const line of lines) {
    let words = shellWords(line.trim());
    if (words[0] === 'exec') words = words.slice(1);
    if (words[0] !== 'perfbench') continue;
    const inv: Invocation = { command: [], flags: [], args: [] };
    let k = 1;
    while (k < words.length && !words[k]!.startsWith('-') && inv.command.length < 2 && /^[a-z]+$/.test(words[k]!)) inv.command.push(words[k++]!);
    for (; k < words.length; k++) {
      const w = words[k]!;
      if (w.startsWith('--')) inv.flags.push({ flag: w, value: words[k + 1] });
      else inv.args.push(w);
    }
    found.push(inv);
  }
  return found;
}

async function commandOf(names: string[]): Promise<{ command: Command; global: readonly Option[] }> {
  const program = await buildProgram(memoryOutput(), new AbortController().signal, ['node', 'perfbench', ...names]);
  let command: Command = program;
  for (const name of names) {
    const next = command.commands.find((c) => c.name() === name);
    expect(next, `perfbench ${names.join(' ')} exists`).toBeDefined();
    command = next!;
  }
  return { command, global: program.options };
}

/** Checks every flag against the command's real options; flags that take a value consume the next word. */
async function checkInvocation(inv: Invocation): Promise<void> {
  const { command, global } = await commandOf(inv.command);
  const options = [...command.options, ...global];
  for (const { flag } of inv.flags) {
    const option = options.find((o) => o.long === flag);
    expect(option, `perfbench ${inv.command.join(' ')} has ${flag}`).toBeDefined();
    if (option!.required) expect(inv.flags.some((f) => f.flag === flag && f.value !== undefined && !f.value.startsWith('--')), `${flag} has a value`).toBe(true);
  }
}

function containerOf(j: Json): Json {
  const containers = j.spec.template.spec.containers as Json[];
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

describe('the Kubernetes example', () => {
  it('is valid YAML and every perfbench command and flag its containers run is a real one', async () => {
    const all = manifests();
    expect(all.map(({ file, doc }) => `${file}:${doc.kind}/${doc.metadata.name}`)).toEqual([
      'merge.yaml:Job/perfbench-merge',
      'prepare.yaml:Job/perfbench-prepare',
      'shards.yaml:PersistentVolumeClaim/perfbench-results',
      'shards.yaml:Job/perfbench-shards',
    ]);
    const run = all.filter(({ doc }) => doc.kind === 'Job').flatMap(({ doc }) => invocations(containerOf(doc)));
    expect(run.map((inv) => inv.command.join(' '))).toEqual(['merge', 'seed', 'index add', 'bench']);
    for (const inv of run) await checkInvocation(inv);
  });

  it('catches a flag the CLI does not have', async () => {
    const [inv] = invocations({ command: ['sh', '-c'], args: ['exec perfbench bench --shard 1/2 --no-such-flag 3'] });
    await expect(checkInvocation(inv!)).rejects.toThrow(/has --no-such-flag/);
  });

  it('runs the shards as an Indexed Job: the completion index is the shard, N = completions = parallelism', () => {
    const shards = job('perfbench-shards');
    expect(shards.spec.completionMode).toBe('Indexed');
    expect(shards.spec.template.spec.restartPolicy).toBe('Never');
    const [bench] = invocations(containerOf(shards));
    const shard = bench!.flags.find((f) => f.flag === '--shard')?.value;
    const match = /^\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/(\d+)$/.exec(shard ?? '');
    expect(match, `--shard ${shard} is the completion index + 1 over N`).not.toBeNull();
    const n = Number(match![1]);
    expect(shards.spec.completions).toBe(n);
    expect(shards.spec.parallelism).toBe(n);
    // Its own output file per shard, named by the same index.
    expect(bench!.flags.find((f) => f.flag === '--output')?.value).toMatch(/\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\.json$/);
  });

  it('gives every shard the same run id (the Job\'s UID) and starts them at a barrier keyed by it', () => {
    const shards = job('perfbench-shards');
    const container = containerOf(shards);
    const [bench] = invocations(container);
    const runId = bench!.flags.find((f) => f.flag === '--run-id')?.value;
    const variable = /^\$(\w+)$/.exec(runId ?? '')?.[1];
    expect(variable).toBeDefined();
    const env = (container.env as Json[]).find((e) => e.name === variable);
    expect(env?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.labels['batch.kubernetes.io/controller-uid']");
    expect(bench!.flags.find((f) => f.flag === '--barrier')?.value).toBe(runId);
    expect(bench!.flags.find((f) => f.flag === '--output')?.value).toContain(`/$${variable}/`);
  });

  it('merges from the volume the shards write to', () => {
    const shards = job('perfbench-shards');
    const merge = job('perfbench-merge');
    const claim = (j: Json) => (j.spec.template.spec.volumes as Json[])[0]!.persistentVolumeClaim.claimName;
    const mount = (j: Json) => (containerOf(j).volumeMounts as Json[])[0]!.mountPath;
    expect(claim(merge)).toBe(claim(shards));
    expect(mount(merge)).toBe(mount(shards));
    const [bench] = invocations(containerOf(shards));
    expect(bench!.flags.find((f) => f.flag === '--output')?.value!.startsWith(`${mount(shards)}/`)).toBe(true);
    const [merged] = invocations(containerOf(merge));
    expect(merged!.args.some((a) => a.endsWith('shard-*.json'))).toBe(true);
    const pvc = manifests().find(({ doc }) => doc.kind === 'PersistentVolumeClaim')!.doc;
    expect(pvc.metadata.name).toBe(claim(shards));
  });
});
