/**
 * Token buckets per key: `ratePerSec` tokens refill per second up to `burst`; a request takes one.
 * Pure apart from the injected clock. Idle buckets are forgotten (a full bucket equals a new one).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`: `{ ok: true }`, or how many seconds until one is there. */
  take(key: string, cost = 1): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.ratePerSec <= 0) return { ok: true };
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
    b.at = t;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      this.buckets.set(key, b);
      this.sweep(t);
      return { ok: true };
    }
    this.buckets.set(key, b);
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((cost - b.tokens) / this.ratePerSec)),
    };
  }

  /** Drops buckets that would be full by now (bounded memory with many keys or IPs). */
  private sweep(t: number): void {
    if (this.buckets.size < 10_000) return;
    const fullAfterMs = (this.burst / this.ratePerSec) * 1000;
    for (const [k, b] of this.buckets) if (t - b.at > fullAfterMs) this.buckets.delete(k);
  }

  size(): number {
    return this.buckets.size;
  }
}
