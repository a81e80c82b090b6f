/**
 * Targets: The paths `perfbench bench --paths` knows, in their default order. Adding a path (the HTTP paths
 * of `bench --http`) is one more entry here: the bench command only sees PathDefinition.
 */
import { cacheHitPath } from './cache-hit.js';
import { cacheMissPath } from './cache-miss.js';
import { httpFastPath } from './http-fast.js';
import { httpSlowPath } from './http-slow.js';
import { indexScanPath } from './index-scan.js';
import { nearHitPath } from './near-hit.js';
import { noopPath } from './noop.js';
import type { PathDefinition } from './path.js';
import { seqScanPath } from './seq-scan.js';

export const PATHS: readonly PathDefinition[] = [
  seqScanPath, indexScanPath, cacheHitPath({ name: 'cache-get', decode: false }), cacheHitPath(), nearHitPath(), cacheMissPath, noopPath, httpSlowPath, httpFastPath,
];

/**
 * Paths that run only when --paths names them: `near` needs a Redis that sends invalidations (not
 * the in-process tier a machine without redis-server falls back to), so a default run never fails
 * for want of one; `cache-get` splits the cache hit into its GET (and, by difference with `cache`,
 * the decode) for those who ask, without lengthening every run.
 */
export const OPT_IN_PATHS: readonly string[] = ['near', 'cache-get'];

/** Every path but the HTTP and opt-in ones, in this order, when --paths is not given. */
export const DEFAULT_PATHS: readonly string[] = PATHS.filter((path) => !path.needsServer && !OPT_IN_PATHS.includes(path.name)).map((path) => path.name);

/** The paths `bench --http` adds to the default ones. */
export const HTTP_PATHS: readonly string[] = PATHS.filter((path) => path.needsServer).map((path) => path.name);

export function pathDefinition(name: string): PathDefinition | undefined {
  return PATHS.find((path) => path.name === name);
}
