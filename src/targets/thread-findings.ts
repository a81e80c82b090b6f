/**
 * Targets: the findings of one path from each worker thread of a run (`bench --workers N`) as the
 * findings of one path. The plan is the table's, so the first thread's stands for all (a thread that
 * saw another plan still adds its flag and note); server timings, cache checks, outages and a
 * workload's statement histograms and counts are added; each flag is told once, with the note that
 * came with it.
 */
import { combineCacheChecks } from '../measure/thread-merge.js';
import { combineOutages, combineServerTiming, combineWorkload, type CacheCheck, type ServerTimingRecord, type WorkloadRecord } from '../measure/result.js';
import { combineServers } from '../measure/servers.js';
import type { RunFindings } from './path.js';

export function combineFindings(parts: readonly RunFindings[]): RunFindings {
  if (parts.length === 1) return parts[0]!;
  const out: RunFindings = { notes: [], flags: [] };
  const plan = parts.find((p) => p.plan)?.plan;
  if (plan) out.plan = plan;
  const timings = parts.map((p) => p.serverTiming).filter((t): t is ServerTimingRecord => t !== undefined);
  if (timings.length) out.serverTiming = combineServerTiming(timings);
  const checks = parts.map((p) => p.cacheCheck).filter((c): c is CacheCheck => c !== undefined);
  if (checks.length) out.cacheCheck = combineCacheChecks(checks);
  const outages = combineOutages(parts.flatMap((p) => p.outages ?? []));
  if (outages.length) out.outages = outages;
  const servers = combineServers(parts.map((p) => p.servers));
  if (servers) out.servers = servers;
  const workloads = parts.map((p) => p.workload).filter((w): w is WorkloadRecord => w !== undefined);
  if (workloads.length) {
    const workload: Partial<WorkloadRecord> = {};
    combineWorkload(workloads, workload);
    out.workload = workload as WorkloadRecord;
  }
  // Notes pair with flags by position (RunFindings): paired ones first, then the notes of no flag.
  const loose: string[] = [];
  for (const part of parts) {
    part.flags.forEach((flag, i) => {
      if (out.flags.includes(flag)) return;
      out.flags.push(flag);
      out.notes.push(part.notes[i] ?? flag);
    });
    loose.push(...part.notes.slice(part.flags.length));
  }
  for (const note of loose) if (!out.notes.includes(note)) out.notes.push(note);
  return out;
}
