/**
 * Reporter (pure): the line a report of several coordinated generators carries (`bench --shard`,
 * then `merge`): how many generated the load, and how far apart their measured phases started;
 * and the line a single shard's report carries, so its figures are not read as the whole run's.
 */
import type { BenchResult } from '../measure/result.js';
import { formatMsFromUs } from './bench-format.js';

export function generatorsLine(result: BenchResult): string | undefined {
  const g = result.generators;
  if (g) {
    return `${g.count} generators (shards ${g.shards.join(', ')} of run ${g.runId}); start skew of their measured phases: ` +
      `${formatMsFromUs(g.firstStartSkewMs * 1000)} ms at the first, at most ${formatMsFromUs(g.maxStartSkewMs * 1000)} ms over all`;
  }
  const s = result.shard;
  if (s) {
    const start = s.start === 'start-at' ? `started at ${s.startAt}` : s.start === 'barrier' ? `started at barrier ${s.barrier}` : 'started on its own';
    return `Shard ${s.index}/${s.count} of run ${s.runId} (${start}): one generator's share of the load; merge the ${s.count} results for the run's figures`;
  }
  return undefined;
}
