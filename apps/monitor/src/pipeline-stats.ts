import type { Histogram } from 'prom-client';

/** Cumulative histogram buckets (upper bound `le`, cumulative count), `le` ascending, last = +Inf. */
export type Buckets = { le: number; count: number }[];

/** Prometheus histogram_quantile: linear interpolation inside the bucket holding the rank. */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe; // in the +Inf bucket: the highest finite bound
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Bucket counts summed over all label sets of a prom-client histogram. */
export async function histogramBuckets(h: Histogram<string>): Promise<Buckets> {
  const byLe = new Map<number, number>();
  for (const v of (await h.get()).values) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const leRaw = v.labels['le'];
    const le = leRaw === '+Inf' ? Infinity : Number(leRaw);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** Per-bucket difference (observations between two snapshots). */
export function bucketsDelta(now: Buckets, before: Buckets | undefined): Buckets {
  if (!before) return now;
  const prev = new Map(before.map((b) => [b.le, b.count]));
  return now.map((b) => ({ le: b.le, count: Math.max(0, b.count - (prev.get(b.le) ?? 0)) }));
}

export interface CounterSample {
  atMs: number;
  /** Cumulative dead-lettered messages. */
  dead: number;
  /** Cumulative messages consumed (valid + invalid). */
  total: number;
}

/** Ratio of dead-lettered to consumed messages over a trailing time window. */
export class RateWindow {
  private readonly samples: CounterSample[] = [];
  constructor(private readonly windowMs: number) {}

  push(s: CounterSample): void {
    this.samples.push(s);
    // Keep one sample at or before the window start as the baseline.
    while (this.samples.length > 2 && (this.samples[1]?.atMs ?? 0) <= s.atMs - this.windowMs)
      this.samples.shift();
  }

  /** { rate (null when fewer than minEvents in the window), dead, total } over the window. */
  rate(minEvents: number): { rate: number | null; dead: number; total: number } {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return { rate: null, dead: 0, total: 0 };
    // Counters that went backwards (process restart, topic recreated): start over from the last sample.
    const dead = Math.max(0, last.dead - first.dead);
    const total = Math.max(0, last.total - first.total);
    return { rate: total >= Math.max(1, minEvents) ? dead / total : null, dead, total };
  }
}
