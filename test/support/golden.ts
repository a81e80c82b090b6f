/**
 * Golden files: the exact bytes a reporter must print, kept under test/golden/. One helper for every
 * test, so they all behave alike:
 * - the output must equal the file byte for byte;
 * - a missing golden fails (a new renderer cannot pass by writing its own expectation);
 * - `UPDATE_GOLDEN=1` rewrites the file instead of comparing; review the diff before committing it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** test/golden/ */
export const GOLDEN_DIR = fileURLToPath(new URL('../golden/', import.meta.url));

export interface GoldenOptions {
  /** Where the golden files live (default test/golden/); for the helper's own test. */
  dir?: string;
  /** Rewrite instead of compare (default: UPDATE_GOLDEN=1 in the environment). */
  update?: boolean;
}

/** Compares `actual` with the golden file `name` (e.g. 'bench.md'), or rewrites it under UPDATE_GOLDEN=1. */
export function expectGolden(name: string, actual: string, options: GoldenOptions = {}): void {
  const path = join(options.dir ?? GOLDEN_DIR, name);
  if (options.update ?? process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `missing golden ${name}: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual, `output differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(readFileSync(path, 'utf8'));
}
