/**
 * Workload domain (pure): the pseudo-random generator behind pgbench scripts' random functions.
 *
 * The generator is the one pgbench itself uses since PostgreSQL 15 (src/common/pg_prng.c):
 * xoroshiro128** 1.0 (Blackman and Vigna), its state filled from a 64-bit seed by splitmix64. Why
 * this one rather than another small generator (mulberry32, xoshiro128**):
 * - the distribution functions (random_gaussian, random_exponential, random_zipfian) and permute()
 *   consume 64-bit outputs, 52-bit doubles and a bitmask-rejection range the way pgbench does; with
 *   the same generator their results are pgbench's bit for bit, so "same algorithm" is checked by
 *   equality with real pgbench output (test/unit/pgbench-oracle.test.ts), not by eyeballing a
 *   histogram;
 * - permute(val, size, seed) is defined by pgbench in terms of this generator seeded with `seed`:
 *   any other generator would give a different permutation for the same script;
 * - it is small (128 bits of state), fast, passes BigCrush, and a 2^128 - 1 period leaves no
 *   overlap between the per-operation streams derived below.
 *
 * What differs from pgbench, on purpose: pgbench keeps one generator per client, so the value a
 * transaction draws depends on which client ran it and what that client ran before. perfbench seeds
 * a fresh generator for each operation i from (seed, i) (`executionRandom`), so every path of a
 * benchmark, at any concurrency, draws exactly the same values for operation i.
 *
 * The hot path works on 32-bit halves (no BigInt allocation per draw); BigInt is used only for
 * seeding and for ranges wider than 2^53.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;
const TWO_POW_53_BIG = 9007199254740992n;
const UINT64 = (1n << 64n) - 1n;

/** An unsigned 64-bit value as two unsigned 32-bit halves (the hot path avoids BigInt). */
interface Halves {
  high: number;
  low: number;
}

/** The low 64 bits of (aHigh, aLow) * (bHigh, bLow), into `out`. */
function multiply64(aHigh: number, aLow: number, bHigh: number, bLow: number, out: Halves): void {
  // aLow * bLow in 16-bit limbs, with integer operations only (no division or modulo of doubles:
  // this runs three times per operation's generator). Each partial product is below 2^32.
  const a0 = aLow & 0xffff;
  const a1 = aLow >>> 16;
  const b0 = bLow & 0xffff;
  const b1 = bLow >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  // Bits 16..31 of the product, with what they carry into bit 32 and up.
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out.low = ((middle << 16) | (p00 & 0xffff)) >>> 0;
  // The product's high word (exact: it is at most 2^32 - 2), then the cross terms mod 2^32.
  const high = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16);
  out.high = (high + Math.imul(aHigh, bLow) + Math.imul(aLow, bHigh)) >>> 0;
}

/** splitmix64's finaliser (Stafford's mix 13) on halves, in place: a bijection on 64-bit values. */
function mixHalves(value: Halves): void {
  // z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
  let high = value.high;
  let low = (value.low ^ ((value.low >>> 30) | (high << 2))) >>> 0;
  high = (high ^ (high >>> 30)) >>> 0;
  multiply64(high, low, 0xbf58476d, 0x1ce4e5b9, value);
  // z = (z ^ (z >> 27)) * 0x94d049bb133111eb
  high = value.high;
  low = (value.low ^ ((value.low >>> 27) | (high << 5))) >>> 0;
  high = (high ^ (high >>> 27)) >>> 0;
  multiply64(high, low, 0x94d049bb, 0x133111eb, value);
  // z ^ (z >> 31)
  high = value.high;
  value.low = (value.low ^ ((value.low >>> 31) | (high << 1))) >>> 0;
  value.high = (high ^ (high >>> 31)) >>> 0;
}

/** (high, low) + (addHigh, addLow) mod 2^64, in place. */
function addHalves(value: Halves, addHigh: number, addLow: number): void {
  const low = value.low + addLow;
  value.low = low >>> 0;
  value.high = (value.high + addHigh + (low >= TWO_POW_32 ? 1 : 0)) >>> 0;
}

function toHalves(value: bigint): Halves {
  const unsigned = value & UINT64;
  return { high: Number(unsigned >> 32n), low: Number(unsigned & 0xffffffffn) };
}

function fromHalves(value: Halves): bigint {
  return (BigInt(value.high) << 32n) | BigInt(value.low);
}

/** splitmix64's finaliser (Stafford's mix 13), a bijection on 64-bit integers. */
export function mix64(value: bigint): bigint {
  const halves = toHalves(value);
  mixHalves(halves);
  return fromHalves(halves);
}

/** The seeding's working words (Prng's constructor), reused: seeding is synchronous and never nested. */
const SEED_STATE: Halves = { high: 0, low: 0 };
const SEED_WORD: Halves = { high: 0, low: 0 };

// splitmix64's increment, 0x9E3779B97F4A7C15, as halves.
const GAMMA_HIGH = 0x9e3779b9;
const GAMMA_LOW = 0x7f4a7c15;

/**
 * xoroshiro128** with pg_prng's seeding and derived draws. Each method consumes outputs exactly as
 * pg_prng.c's function of the same role does, which is what makes sequences comparable.
 */
export class Prng {
  // s0 = (h0, l0), s1 = (h1, l1): unsigned 32-bit halves.
  private h0 = 0;
  private l0 = 0;
  private h1 = 0;
  private l1 = 0;
  // The last output, as halves (set by next()).
  private outHigh = 0;
  private outLow = 0;

  /** pg_prng_seed: both state words from splitmix64 of `seed`; never all-zero. */
  constructor(seed: bigint | Halves) {
    // Scratch words, not fresh objects: a generator is seeded per operation (one allocation fewer each).
    const state = SEED_STATE;
    const word = SEED_WORD;
    const halves = typeof seed === 'bigint' ? toHalves(seed) : seed;
    state.high = halves.high;
    state.low = halves.low;
    addHalves(state, GAMMA_HIGH, GAMMA_LOW);
    word.high = state.high;
    word.low = state.low;
    mixHalves(word);
    this.h0 = word.high;
    this.l0 = word.low;
    addHalves(state, GAMMA_HIGH, GAMMA_LOW);
    word.high = state.high;
    word.low = state.low;
    mixHalves(word);
    this.h1 = word.high;
    this.l1 = word.low;
    if ((this.h0 | this.l0 | this.h1 | this.l1) === 0) {
      // pg_prng_seed_check: Knuth's LCG constants instead of the all-zero fixed point.
      this.h0 = 0x5851f42d;
      this.l0 = 0x4c957f2d;
      this.h1 = 0x14057b7e;
      this.l1 = 0xf767814f;
    }
  }

  /** Advances the generator; the output is left in outHigh/outLow. */
  private next(): void {
    const h0 = this.h0;
    const l0 = this.l0;
    const hx = (this.h1 ^ h0) >>> 0;
    const lx = (this.l1 ^ l0) >>> 0;

    // val = rotl(s0 * 5, 7) * 9
    let lo = l0 * 5;
    let hi = (Math.imul(h0, 5) + Math.floor(lo / TWO_POW_32)) >>> 0;
    lo = lo >>> 0;
    const rh = ((hi << 7) | (lo >>> 25)) >>> 0;
    const rl = ((lo << 7) | (hi >>> 25)) >>> 0;
    lo = rl * 9;
    hi = (Math.imul(rh, 9) + Math.floor(lo / TWO_POW_32)) >>> 0;
    this.outHigh = hi;
    this.outLow = lo >>> 0;

    // s0 = rotl(s0, 24) ^ sx ^ (sx << 16)
    const ah = ((h0 << 24) | (l0 >>> 8)) >>> 0;
    const al = ((l0 << 24) | (h0 >>> 8)) >>> 0;
    const sh = ((hx << 16) | (lx >>> 16)) >>> 0;
    const sl = (lx << 16) >>> 0;
    this.h0 = (ah ^ hx ^ sh) >>> 0;
    this.l0 = (al ^ lx ^ sl) >>> 0;
    // s1 = rotl(sx, 37) = rotl(swap halves of sx, 5)
    this.h1 = ((lx << 5) | (hx >>> 27)) >>> 0;
    this.l1 = ((hx << 5) | (lx >>> 27)) >>> 0;
  }

  /** pg_prng_uint64: the next 64-bit output. */
  uint64(): bigint {
    this.next();
    return (BigInt(this.outHigh) << 32n) | BigInt(this.outLow);
  }

  /** pg_prng_double: uniform in [0, 1) from the top 52 bits. */
  double(): number {
    this.next();
    return (this.outHigh * 1048576 + (this.outLow >>> 12)) / TWO_POW_52;
  }

  /** pg_prng_double_normal: one Box-Muller output (mean 0, standard deviation 1). */
  normal(): number {
    const u1 = 1.0 - this.double();
    const u2 = 1.0 - this.double();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.sin(2.0 * Math.PI * u2);
  }

  /**
   * pg_prng_uint64_range(0, range): uniform in [0, range] by bitmask rejection (range is an
   * unsigned 64-bit value). A zero range draws nothing, as in pg_prng.
   */
  upTo(range: bigint): bigint {
    if (range <= 0n) return 0n;
    if (range < TWO_POW_53_BIG) return BigInt(this.upToSmall(Number(range)));
    const shift = BigInt(63 - leftmostOne(range));
    for (;;) {
      const value = this.uint64() >> shift;
      if (value <= range) return value;
    }
  }

  /** upTo for a range below 2^53, in plain numbers (the common case: no BigInt per draw). */
  upToSmall(range: number): number {
    if (range <= 0) return 0;
    const high = Math.floor(range / TWO_POW_32);
    const top = high > 0 ? 63 - Math.clz32(high) : 31 - Math.clz32(range >>> 0);
    const shift = 63 - top;
    for (;;) {
      this.next();
      const value = shift >= 32 ? this.outHigh >>> (shift - 32) : this.outHigh * 2 ** (32 - shift) + (this.outLow >>> shift);
      if (value <= range) return value;
    }
  }
}

/** pg_leftmost_one_pos64 for a positive 64-bit value. */
export function leftmostOne(value: bigint): number {
  return value.toString(2).length - 1;
}

/** Independent streams of one operation, so adding a draw to one never shifts another. */
export type RandomStream = 'script' | 'choose' | 'default-seed' | 'pb-from';

const STREAM_SALT: Record<RandomStream, bigint> = {
  script: 0x5f3759df2c1b3c6dn,
  choose: 0x9c6b3e1a7f4d2b85n,
  'default-seed': 0x2545f4914f6cdd1dn,
  'pb-from': 0xd6e8feb86659fd93n,
};

/** The seed's part of a stream key, kept for the last seed asked (a benchmark has one). */
let cachedSeed: number | bigint | undefined;
const cachedBase = new Map<bigint, Halves>();

let lastSalt: bigint | undefined;
let lastSaltBase: Halves | undefined;

function streamBase(seed: number | bigint, salt: bigint): Halves {
  if (cachedSeed !== seed) {
    cachedSeed = seed;
    cachedBase.clear();
    lastSalt = undefined;
  }
  // Operation after operation asks for the same stream: the last answer spares a Map lookup by bigint.
  if (salt === lastSalt) return lastSaltBase!;
  let base = cachedBase.get(salt);
  if (!base) {
    base = toHalves(BigInt.asUintN(64, BigInt(seed)) ^ salt);
    mixHalves(base);
    cachedBase.set(salt, base);
  }
  lastSalt = salt;
  lastSaltBase = base;
  return base;
}

/** The key streamHalves returns, reused: each caller reads it (or seeds a Prng from it) before the next call. */
const STREAM_KEY: Halves = { high: 0, low: 0 };

/**
 * A 64-bit key for (seed, index, stream), as halves: two splitmix64 rounds, so neighbouring i are
 * unrelated. The result is a shared scratch object, valid until the next call.
 */
function streamHalves(seed: number | bigint, index: number, stream: RandomStream, salt = STREAM_SALT[stream]): Halves {
  const base = streamBase(seed, salt);
  const key = STREAM_KEY;
  key.high = base.high;
  key.low = base.low;
  addHalves(key, Math.floor(index / TWO_POW_32) >>> 0, index >>> 0);
  mixHalves(key);
  return key;
}

/** FNV-1a over a name's UTF-16 code units: a 64-bit salt that tells one named source from another. */
export function nameSalt(name: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < name.length; i++) hash = ((hash ^ BigInt(name.charCodeAt(i))) * 0x100000001b3n) & UINT64;
  return hash;
}

/**
 * The generator of the k-th draw of a named source (a \pb_from variable) in operation `index`:
 * its own stream per name, so a script's other draws and other sources never shift it.
 */
export function namedDrawRandom(seed: number | bigint, salt: bigint, index: number, k: number): Prng {
  const key = streamHalves(seed, index, 'pb-from', (salt ^ STREAM_SALT['pb-from']) & UINT64);
  addHalves(key, Math.floor(k / TWO_POW_32) >>> 0, k >>> 0);
  mixHalves(key);
  return new Prng(key);
}

/** A 64-bit key for (seed, index, stream): two splitmix64 rounds, so neighbouring i are unrelated. */
export function streamKey(seed: number | bigint, index: number, stream: RandomStream): bigint {
  return fromHalves(streamHalves(seed, index, stream));
}

/** The generator of operation `index` (an integer >= 0) of a benchmark seeded with `seed`: the same on every path. */
export function executionRandom(seed: number | bigint, index: number, stream: RandomStream = 'script'): Prng {
  return new Prng(streamHalves(seed, index, stream));
}
