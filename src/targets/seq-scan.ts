/**
 * Targets: `seq`: the report query forced to read the whole table (the "before" state). The index may well
 * exist meanwhile: the path's own connections forbid index access paths for their session, which
 * is a planner setting, not DDL, so nothing outside the path changes.
 */
import { forbidIndexScans } from '../db/bench-queries.js';
import type { PathDefinition } from './path.js';
import { reportPath } from './report-path.js';

export const seqScanPath: PathDefinition = {
  name: 'seq',
  description: 'the report query as a Seq Scan (index scans disabled for its connections)',
  needsIndex: false,
  needsCache: false,
  create: (context) => reportPath(context, { name: 'seq', prepare: forbidIndexScans, expect: 'seq-scan' }),
};
