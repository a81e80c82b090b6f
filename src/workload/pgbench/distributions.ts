/**
 * Workload domain (pure): pgbench's random distributions, hash functions and permute(), on the
 * generator of prng.ts. Each follows the pgbench.c function named in its comment step by step, so
 * it consumes the same draws and yields the same integers (checked against real pgbench output in
 * test/unit/pgbench-oracle.test.ts; V8's and glibc's pow/log/exp may differ in the last bit, which
 * could move a result across an integer boundary in rare cases).
 */
import { leftmostOne, Prng } from './prng.js';

const UINT64 = (1n << 64n) - 1n;

/** getrand: uniform in [min, max] (max - min must fit in 63 bits; the caller checks). */
export function uniformInt(random: Prng, min: bigint, max: bigint): bigint {
  return min + random.upTo(max - min);
}

/** (int64) ((max - min + 1) * fraction), C's truncating conversion; fraction is in [0, 1). */
function scale(min: bigint, max: bigint, fraction: number): bigint {
  return min + BigInt(Math.trunc(Number(max - min + 1n) * fraction));
}

/**
 * getExponentialRand: P(x) decays as exp(-parameter * (x - min) / (max - min + 1)), cut off at
 * max (the density there is exp(-parameter) of the density at min).
 */
export function exponentialInt(random: Prng, min: bigint, max: bigint, parameter: number): bigint {
  const cut = Math.exp(-parameter);
  const uniform = 1.0 - random.double();
  const fraction = -Math.log(cut + (1.0 - cut) * uniform) / parameter;
  return scale(min, max, fraction);
}

/**
 * getGaussianRand: a normal draw redrawn until it lies in [-parameter, parameter) standard
 * deviations, mapped linearly onto [min, max]; the mean is the middle of the range.
 */
export function gaussianInt(random: Prng, min: bigint, max: bigint, parameter: number): bigint {
  let deviation: number;
  do {
    deviation = random.normal();
  } while (deviation < -parameter || deviation >= parameter);
  return scale(min, max, (deviation + parameter) / (parameter * 2.0));
}

/**
 * computeIterativeZipfian: Devroye's rejection method ("Non-Uniform Random Variate Generation",
 * 1986, p. 550-551) for P(k) proportional to 1 / k^s on 1..n, s > 1.
 */
function iterativeZipfian(random: Prng, n: bigint, s: number): bigint {
  if (n <= 1n) return 1n;
  const limit = Number(n);
  const b = Math.pow(2.0, s - 1.0);
  for (;;) {
    const u = random.double();
    const v = random.double();
    const x = Math.floor(Math.pow(u, -1.0 / (s - 1.0)));
    const t = Math.pow(1.0 + 1.0 / x, s - 1.0);
    if ((v * x * (t - 1.0)) / (b - 1.0) <= t / b && x <= limit) return BigInt(x);
  }
}

/** getZipfianRand: min is the most frequent value, min + 1 the next, and so on. */
export function zipfianInt(random: Prng, min: bigint, max: bigint, s: number): bigint {
  return min - 1n + iterativeZipfian(random, max - min + 1n, s);
}

const FNV_PRIME = 0x100000001b3n;
const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const MM2_MUL = 0xc6a4a7935bd1e995n;
const MM2_MUL_TIMES_8 = 0x35253c9ade8f4ca8n;

/** getHashFnv1a: FNV-1a over the value's 8 bytes, low byte first, the seed folded into the basis. */
export function hashFnv1a(value: bigint, seed: bigint): bigint {
  let result = (FNV_OFFSET_BASIS ^ BigInt.asUintN(64, seed)) & UINT64;
  let rest = BigInt.asIntN(64, value);
  for (let i = 0; i < 8; i++) {
    const octet = rest & 0xffn;
    rest >>= 8n; // arithmetic shift of a signed value, as in C on the platforms pgbench runs on
    result = ((result ^ octet) * FNV_PRIME) & UINT64;
  }
  return BigInt.asIntN(64, result);
}

/** getHashMurmur2: MurmurHash64A's mixing of one 8-byte block (Austin Appleby, public domain). */
export function hashMurmur2(value: bigint, seed: bigint): bigint {
  let result = (BigInt.asUintN(64, seed) ^ MM2_MUL_TIMES_8) & UINT64;
  let k = BigInt.asUintN(64, value);
  k = (k * MM2_MUL) & UINT64;
  k ^= k >> 47n;
  k = (k * MM2_MUL) & UINT64;
  result ^= k;
  result = (result * MM2_MUL) & UINT64;
  result ^= result >> 47n;
  result = (result * MM2_MUL) & UINT64;
  result ^= result >> 47n;
  return BigInt.asIntN(64, result);
}

/**
 * permute(val, size, seed): pgbench's pseudorandom permutation of [0, size): six rounds of an odd
 * multiply, xor and rotate on the lower and upper parts of the range plus a random offset, drawn
 * from a generator seeded with `seed`. size < 2 permutes nothing (0).
 */
export function permute(value: bigint, size: bigint, seed: bigint): bigint {
  if (size < 2n) return 0n;
  const random = new Prng(BigInt.asUintN(64, seed));
  let v = BigInt.asUintN(64, value) % size;
  const maskLength = BigInt(leftmostOne(size));
  const mask = (1n << maskLength) - 1n;
  for (let round = 0; round < 6; round++) {
    let m = (random.uint64() & mask) | 1n;
    let r = random.uint64() & mask;
    if (v <= mask) {
      v = ((v * m) ^ r) & mask;
      v = ((v << 1n) & mask) | (v >> (maskLength - 1n));
    }
    m = (random.uint64() & mask) | 1n;
    r = random.uint64() & mask;
    let t = size - 1n - v;
    if (t <= mask) {
      t = ((t * m) ^ r) & mask;
      t = ((t << 1n) & mask) | (t >> (maskLength - 1n));
      v = size - 1n - t;
    }
    r = random.upTo(size - 1n);
    v = (v + r) % size;
  }
  return v;
}
