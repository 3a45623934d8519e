// Seeded standard normal scores for the replenishment Monte Carlo: mulberry32 (the algorithm of
// models.ts seededRandom) + Box–Muller, memoised per seed, since every SKU replenished with the same
// seed reads the same stream. The memo changes speed only, never values.

/** mulberry32 with a copyable state. Same output sequence as `seededRandom(seed)` in models.ts. */
export class Mulberry32 {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  clone(): Mulberry32 {
    const c = new Mulberry32(0);
    c.a = this.a;
    return c;
  }
}

/** Writes n (even) N(0, 1) scores into out[from..from+n), Box–Muller pairs (cos, sin). */
function fillNormals(gen: Mulberry32, out: Float64Array, from: number, n: number): void {
  for (let i = from; i < from + n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - gen.next()));
    const th = 2 * Math.PI * gen.next();
    out[i] = r * Math.cos(th);
    out[i + 1] = r * Math.sin(th);
  }
}

/** Scores memoised per seed: at most this many (16 MB), beyond which they are generated live. */
export const MAX_MEMOISED_SCORES = 1 << 21;
const MAX_SEEDS = 4;

class SeedScores {
  buf = new Float64Array(1 << 14);
  len = 0;
  private readonly gen: Mulberry32;
  constructor(seed: number) {
    this.gen = new Mulberry32(seed);
  }
  /** Extends the memo to at least n scores (up to the cap). */
  extend(n: number): void {
    // Even (scores come in pairs), at least doubling, at most the cap (itself even).
    const want = Math.min(MAX_MEMOISED_SCORES, (Math.max(n, 2 * this.len) + 1) & ~1);
    if (want <= this.len) return;
    if (want > this.buf.length) {
      const b = new Float64Array(
        Math.min(MAX_MEMOISED_SCORES, Math.max(want, 2 * this.buf.length)),
      );
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    fillNormals(this.gen, this.buf, this.len, want - this.len);
    this.len = want;
  }
  /** Generator state after the memo (valid once the memo is full). */
  tail(): Mulberry32 {
    return this.gen.clone();
  }
}

const memo = new Map<number, SeedScores>();

/**
 * Sequential reader of the N(0, 1) stream of one seed: next() returns the 1st, 2nd, … score of that
 * stream, the same for every reader of the seed.
 */
export class NormalScores {
  private readonly src: SeedScores;
  private pos = 0;
  private live: Mulberry32 | null = null;
  private readonly pair = new Float64Array(2);
  constructor(seed: number) {
    let s = memo.get(seed);
    if (!s) {
      if (memo.size >= MAX_SEEDS) memo.delete(memo.keys().next().value as number);
      s = new SeedScores(seed);
      memo.set(seed, s);
    }
    this.src = s;
  }
  next(): number {
    const s = this.src;
    if (this.pos < s.len) return s.buf[this.pos++];
    if (s.len < MAX_MEMOISED_SCORES) {
      s.extend(this.pos + 1);
      return s.buf[this.pos++];
    }
    // Past the memo: continue the same stream privately, one Box–Muller pair at a time.
    this.live ??= s.tail();
    const k = (this.pos - s.len) & 1;
    if (k === 0) fillNormals(this.live, this.pair, 0, 2);
    this.pos++;
    return this.pair[k];
  }
}
