/**
 * Targets: `index`: the report query with the index on the filter column present (the bench command creates
 * it for the run when missing and restores the previous state afterwards) and the planner free to
 * use it. A plan that still reads the whole table is flagged `plan-mismatch`.
 */
import type { PathDefinition } from './path.js';
import { reportPath } from './report-path.js';

export const indexScanPath: PathDefinition = {
  name: 'index',
  description: 'the report query with the index on the filter column (created for the run when missing)',
  needsIndex: true,
  needsCache: false,
  create: (context) => reportPath(context, { name: 'index', expect: 'index-scan' }),
};
