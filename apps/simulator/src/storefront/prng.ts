/**
 * Small, fast, seedable PRNG (xoshiro128**, seeded through splitmix32). Never use Math.random or
 * crypto in the simulator: every byte of output must be reproducible from the seed.
 */

/** 32-bit avalanche hash of up to four integers (murmur3 finaliser); used to derive seeds/attributes. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ c, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ d, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a millisecond timestamp (may exceed 2^32) into 32 bits. */
export function hashMs(ms: number): number {
  const hi = Math.floor(ms / 4294967296);
  return hash32(ms >>> 0, hi >>> 0, 0x51ed270b);
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const sm = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller, one value per call to stay stateless). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Number of failures before the first success for a geometric law with the given mean (>= 0). */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const p = 1 / (1 + mean);
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }

  pick<T>(items: readonly T[]): T {
    const v = items[this.int(items.length)];
    if (v === undefined) throw new RangeError('pick from an empty array');
    return v;
  }

  /** An independent stream derived from this one's seed material and a label. */
  fork(label: number): Prng {
    return new Prng(hash32(this.u32(), label, this.u32()));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(x: number): string {
  return (
    (HEX[(x >>> 24) & 0xff] ?? '') +
    (HEX[(x >>> 16) & 0xff] ?? '') +
    (HEX[(x >>> 8) & 0xff] ?? '') +
    (HEX[x & 0xff] ?? '')
  );
}
function hex16(x: number): string {
  return (HEX[(x >>> 8) & 0xff] ?? '') + (HEX[x & 0xff] ?? '');
}

/** RFC 9562 version-4-format UUID whose 122 random bits come from `rng` (deterministic). */
export function uuidV4(rng: Prng): string {
  const a = rng.u32();
  const b = rng.u32();
  const c = rng.u32();
  const d = rng.u32();
  return (
    hex32(a) +
    '-' +
    hex16(b >>> 16) +
    '-' +
    hex16((b & 0x0fff) | 0x4000) +
    '-' +
    hex16(((c >>> 16) & 0x3fff) | 0x8000) +
    '-' +
    hex16(c & 0xffff) +
    hex32(d)
  );
}

/** 8 lowercase hex chars. */
export function hex8(x: number): string {
  return hex32(x >>> 0);
}
