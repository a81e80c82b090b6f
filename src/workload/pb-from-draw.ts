/**
 * Workload domain (pure): the values of `\pb_from NAME relation.column [uniform|zipf S]`. The
 * column's distinct values are loaded once (capped); draw k of execution i for NAME is one seeded
 * draw from a generator keyed by (run seed, NAME, i, k), with the source's distribution. So the
 * value depends only on those four, never on the path, the worker or the order operations finish:
 * every path replays the same values.
 */
import { indexSampler, seededRandom, type Distribution } from '../measure/random.js';

export interface PbFromValues {
  readonly name: string;
  /** The column's distinct values as text (sorted; Zipf's hottest value is the first). */
  readonly values: readonly string[];
  readonly distribution: Distribution;
  readonly skew: number;
}

/** FNV-1a over a string, 32 bits: a stable per-name seed component. */
function fnv1a(text: string, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Mixes integers into a 32-bit seed (murmur3's finaliser after each). */
function mix(h: number, value: number): number {
  let x = (h ^ (value >>> 0) ^ Math.floor(value / 2 ** 32)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The draw function planExecution takes: (name, i, k) -> a value of the named source. */
export function pbFromDraw(sources: readonly PbFromValues[], seed: number): (name: string, executionIndex: number, k: number) => string {
  const samplers = new Map<string, { values: readonly string[]; base: number; sample: () => number; set: (r: number) => void }>();
  for (const source of sources) {
    let next = 0;
    const sample = indexSampler(source.values.length, source.distribution, source.skew || 1, () => next);
    samplers.set(source.name, { values: source.values, base: fnv1a(source.name, mix(0x9e3779b9, seed)), sample, set: (r) => void (next = r) });
  }
  return (name, executionIndex, k) => {
    const sampler = samplers.get(name);
    if (!sampler) throw new Error(`no values loaded for \\pb_from ${name}`);
    sampler.set(seededRandom(mix(mix(sampler.base, executionIndex), k))());
    return sampler.values[sampler.sample()]!;
  };
}
