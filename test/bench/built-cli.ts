/**
 * The CLI as an installed perfbench runs it: bin/perfbench, which runs the compiled dist/ when it is
 * there. Benchmarks that time or weigh a perfbench process (start-up, the soak's server RSS) use it,
 * so tsx's own load (~30 MB of RSS, and its compile on start) is not counted as perfbench's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'perfbench');

/** The newest modification time of a file under `dir`, ms. */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** bin/perfbench runs dist/ when it exists: build it when it is missing or older than src/. */
export function ensureBuilt(): void {
  const compiled = join(ROOT, 'dist', 'cli.js');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtimeMs(join(ROOT, 'src'))) return;
  process.stderr.write('dist/ is missing or older than src/: building it (npm run build)…\n');
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed: fix the type errors above, then rerun');
}

/** `env` for executing BIN itself, as an installed perfbench is run: its shebang's `env node` finds the node running this script. */
export function installedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}` };
}
