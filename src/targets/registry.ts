/**
 * The paths `perfbench bench --paths` knows, in their default order. Adding a path (the HTTP paths
 * of `bench --http`) is one more entry here: the bench command only sees PathDefinition.
 */
import { cacheHitPath } from './cache-hit.js';
import { cacheMissPath } from './cache-miss.js';
import { indexScanPath } from './index-scan.js';
import { noopPath } from './noop.js';
import type { PathDefinition } from './path.js';
import { seqScanPath } from './seq-scan.js';

export const PATHS: readonly PathDefinition[] = [seqScanPath, indexScanPath, cacheHitPath(), cacheMissPath, noopPath];

/** Every path, in this order, when --paths is not given. */
export const DEFAULT_PATHS: readonly string[] = PATHS.map((path) => path.name);

export function pathDefinition(name: string): PathDefinition | undefined {
  return PATHS.find((path) => path.name === name);
}
