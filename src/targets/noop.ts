/**
 * Targets: `noop`: an operation that does nothing, run next to the real paths: its wall time per operation
 * is what perfbench itself costs per operation (the harness overhead line and the client-bound check).
 */
import { noopTarget } from '../measure/target.js';
import type { PathDefinition } from './path.js';

export const noopPath: PathDefinition = {
  name: 'noop',
  description: "an empty operation: perfbench's own cost per operation",
  needsIndex: false,
  needsCache: false,
  create: () => ({
    name: 'noop',
    kind: 'noop',
    target: () => noopTarget('noop'),
    findings: async () => ({ notes: [], flags: [] }),
    close: async () => undefined,
  }),
};
