/** Shared: starts a worker thread on a module beside the caller, whether perfbench runs compiled (dist/) or from source (tsx, vitest). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { YOUNG_GENERATION_MB } from './young-generation.js';

/**
 * `moduleUrl` names the worker's module as the compiled tree has it: `new URL('./x.js',
 * import.meta.url)` (or a .ts file, run from source: tests' own thread modules). Installed, that .js file exists and runs as it is (inheriting node's flags).
 *
 * From source only the .ts beside it exists, and node 20 cannot run TypeScript. tsx's own hook does
 * not help there: `tsx file.ts` passes `--import tsx` on to workers, but tsx 4 installs its hooks in
 * the main thread only on node < 22 (it checks isMainThread; a .ts worker then fails with "Unknown
 * file extension"), and under vitest there is no tsx in the flags at all. So the worker starts from
 * a one-line bootstrap that registers tsx's ESM hooks in its own thread (tsx/esm/api's register),
 * then imports the module. tsx is a dev dependency, present wherever the .ts files are.
 */
export function startWorker(moduleUrl: URL, workerOptions: WorkerOptions = {}): Worker {
  const { url, compiled } = workerModule(moduleUrl);
  // A thread's young generation as the main thread's is capped (young-generation.ts).
  const options = { ...workerOptions, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, ...workerOptions.resourceLimits } };
  if (compiled) return new Worker(url, options);
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  // No inherited flags: tsx's --import would register a second time on node >= 22.
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}

/**
 * The file a worker module named as the compiled tree has it (`./x.js` beside the caller) runs
 * from: that .js when it exists (installed), else the .ts source beside it (run from source,
 * through tsx). A worker thread or a child process (load-worker.ts) starts from it.
 */
export function workerModule(moduleUrl: URL): { url: URL; compiled: boolean } {
  if (!moduleUrl.pathname.endsWith('.ts') && existsSync(moduleUrl)) return { url: moduleUrl, compiled: true };
  const source = moduleUrl.pathname.endsWith('.ts') ? moduleUrl : new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
  if (!existsSync(source)) throw new Error(`worker module ${fileURLToPath(moduleUrl)} is missing (and no .ts source beside it); reinstall perfbench`);
  return { url: source, compiled: false };
}

/**
 * tsx's ESM API (its CommonJS build cannot register the loader from a worker), resolved from this
 * module: the worker's own resolution would start from the working directory. Where
 * import.meta.resolve is missing (some test transforms), through require.resolve.
 */
function tsxEsmApi(): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') return resolve('tsx/esm/api');
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
}
