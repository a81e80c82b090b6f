/**
 * cli-table3, loaded with require(). It is CommonJS: an ESM import of it goes through Node 20's ESM
 * translator, which runs cjs-module-lexer over it and resolves each of its own requires through the
 * ESM loader, ~7 ms more at start-up than Node's CommonJS loader alone (bench:startup, issue 13
 * item 7: `index list` prints one of these tables).
 */
import { createRequire } from 'node:module';
import type CliTable from 'cli-table3';

export const Table = createRequire(import.meta.url)('cli-table3') as typeof CliTable;
export type Table = CliTable.Table;
