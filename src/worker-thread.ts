/** Shared: starts a worker thread on a module beside the caller, whether perfbench runs compiled (dist/) or from source (tsx, vitest). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `moduleUrl` names the worker's module as the compiled tree has it: `new URL('./x.js',
 * import.meta.url)`. Installed, that .js file exists and runs as it is (inheriting node's flags).
 *
 * From source only the .ts beside it exists, and node 20 cannot run TypeScript. tsx's own hook does
 * not help there: `tsx file.ts` passes `--import tsx` on to workers, but tsx 4 installs its hooks in
 * the main thread only on node < 22 (it checks isMainThread; a .ts worker then fails with "Unknown
 * file extension"), and under vitest there is no tsx in the flags at all. So the worker starts from
 * a one-line bootstrap that registers tsx's ESM hooks in its own thread (tsx/esm/api's register),
 * then imports the module. tsx is a dev dependency, present wherever the .ts files are.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (existsSync(moduleUrl)) return new Worker(moduleUrl, options);
  const source = new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
  if (!existsSync(source)) throw new Error(`worker module ${fileURLToPath(moduleUrl)} is missing (and no .ts source beside it); reinstall perfbench`);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
  // No inherited flags: tsx's --import would register a second time on node >= 22.
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}
