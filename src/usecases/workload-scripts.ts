/**
 * Use case: the scripts of --workload FILE and --builtin NAME, read and parsed (a refusal names the
 * file, the line and the reason), for bench, explain --advise and serve alike.
 */
import { readFile } from 'node:fs/promises';
import { firstLine, usageError } from '../errors.js';
import { builtinScript, parseScript, type Script } from '../workload/pgbench/index.js';
import type { WorkloadOptions } from './bench-options.js';

/** Reads and parses the scripts of --workload / --builtin. */
export async function readScripts(workload: Pick<WorkloadOptions, 'scripts'>): Promise<Script[]> {
  const scripts: Script[] = [];
  for (const spec of workload.scripts) {
    if (spec.source === 'builtin') {
      scripts.push(builtinScript(spec.name, spec.weight));
      continue;
    }
    let text: string;
    try {
      text = await readFile(spec.path, 'utf8');
    } catch (error) {
      throw usageError(`--workload ${spec.path}: cannot read the script (${firstLine((error as Error).message)})`, 'pass the path of a pgbench script');
    }
    scripts.push(parseScript(text, { name: spec.path, weight: spec.weight }));
  }
  const names = new Set<string>();
  for (const script of scripts) {
    if (names.has(script.name)) throw usageError(`script ${script.name} is given twice`, 'give each script once (its weight sets how often it runs)');
    names.add(script.name);
  }
  return scripts;
}
