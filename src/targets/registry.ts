/**
 * Targets: The paths `perfbench bench --paths` knows, in their default order. Adding a path (the HTTP paths
 * of `bench --http`) is one more entry here: the bench command only sees PathDefinition.
 */
import { cacheHitPath } from './cache-hit.js';
import { cacheMissPath } from './cache-miss.js';
import { httpFastPath } from './http-fast.js';
import { httpSlowPath } from './http-slow.js';
import { indexScanPath } from './index-scan.js';
import { noopPath } from './noop.js';
import type { PathDefinition } from './path.js';
import { seqScanPath } from './seq-scan.js';

export const PATHS: readonly PathDefinition[] = [seqScanPath, indexScanPath, cacheHitPath(), cacheMissPath, noopPath, httpSlowPath, httpFastPath];

/** Every path but the HTTP ones, in this order, when --paths is not given. */
export const DEFAULT_PATHS: readonly string[] = PATHS.filter((path) => !path.needsServer).map((path) => path.name);

/** The paths `bench --http` adds to the default ones. */
export const HTTP_PATHS: readonly string[] = PATHS.filter((path) => path.needsServer).map((path) => path.name);

export function pathDefinition(name: string): PathDefinition | undefined {
  return PATHS.find((path) => path.name === name);
}
