/** Reporter: what `perfbench index add|drop|list` prints. */
import { Table } from './cli-table.js';
import type { AddIndexOutcome, IndexInfo } from '../db/indexes.js';
import { formatBytes, formatInt } from './format.js';
import type { Identifier } from '../workload/identifiers.js';
import { printable } from '../workload/identifiers.js';

export function describeAdd(outcome: AddIndexOutcome, table: Identifier, column: Identifier): string {
  if (!outcome.created) return `index ${outcome.name} on ${table.text}(${column.text}) is already present (${formatBytes(outcome.bytes)}); nothing to do`;
  const replaced = outcome.replacedInvalid ? ' (replaced an invalid index left by an interrupted build)' : '';
  return `created index ${outcome.name} on ${table.text}(${column.text}) in ${(outcome.buildMs / 1000).toFixed(2)} s, ${formatBytes(outcome.bytes)}${replaced}`;
}

export function describeDrop(dropped: readonly string[], table: Identifier, column: Identifier, name: string | undefined): string {
  return dropped.length > 0
    ? `dropped ${dropped.join(', ')} from ${table.text}`
    : `no ${name ? `index ${printable(name)}` : `perfbench index on ${table.text}(${column.text})`} to drop; nothing to do`;
}

export function renderIndexList(table: Identifier, indexes: readonly IndexInfo[]): string {
  if (indexes.length === 0) return `${table.text} has no indexes`;
  const grid = new Table({ head: ['index', 'method', 'columns', 'size', 'scans', 'valid', 'owner'], style: { head: [], border: [] } });
  for (const index of indexes) {
    grid.push([index.name, index.method, index.columns.join(', '), formatBytes(index.bytes), formatInt(index.scans),
      index.valid ? 'yes' : 'NO', index.owned ? 'perfbench' : index.primary ? 'primary key' : 'other']);
  }
  return grid.toString();
}
