/**
 * Which offsets of each topic-partition a consumer of durable chunks has applied: sorted, merged
 * inclusive ranges per partition. Chunks of one partition may become durable out of order (writes
 * run concurrently), so "applied up to offset n" is not a single number.
 *
 * Bounded: past {@link MAX_RANGES} ranges per partition the two oldest are merged (the gap between
 * them counts as applied). Gaps that old are offsets no chunk held (transaction markers), not
 * chunks still in flight: at most the aggregator's in-flight writes are outstanding at a time.
 */
export const MAX_RANGES = 64;

export class AppliedRanges {
  /** Per `topic/partition`: [first0, last0, first1, last1, …], sorted, disjoint, not adjacent. */
  private readonly ranges = new Map<string, number[]>();

  /** Records offsets first..last (inclusive) of a partition as applied. */
  add(topic: string, partition: number, first: number, last: number): void {
    if (last < first) return;
    const key = `${topic}/${partition}`;
    let r = this.ranges.get(key);
    if (!r) this.ranges.set(key, (r = []));
    // the usual case: the next chunk, right after the last range
    const n = r.length;
    if (n === 0 || first > r[n - 1] + 1) r.push(first, last);
    else if (first >= r[n - 2]) r[n - 1] = Math.max(r[n - 1], last);
    else {
      const merged: number[] = [];
      let lo = first;
      let hi = last;
      let placed = false;
      for (let i = 0; i < n; i += 2) {
        const a = r[i];
        const b = r[i + 1];
        if (b + 1 < lo) merged.push(a, b);
        else if (a > hi + 1) {
          if (!placed) merged.push(lo, hi);
          placed = true;
          merged.push(a, b);
        } else {
          lo = Math.min(lo, a);
          hi = Math.max(hi, b);
        }
      }
      if (!placed) merged.push(lo, hi);
      r.length = 0;
      r.push(...merged);
    }
    if (r.length > MAX_RANGES * 2) r.splice(1, 2);
  }

  /** Whether `offset` of the partition is applied. */
  has(topic: string, partition: number, offset: number): boolean {
    const r = this.ranges.get(`${topic}/${partition}`);
    if (!r) return false;
    // newest first: the offsets asked about are recent
    for (let i = r.length - 2; i >= 0; i -= 2) {
      if (offset > r[i + 1]) return false;
      if (offset >= r[i]) return true;
    }
    return false;
  }

  /** The ranges of a partition (tests, status). */
  of(topic: string, partition: number): readonly number[] {
    return this.ranges.get(`${topic}/${partition}`) ?? [];
  }
}
