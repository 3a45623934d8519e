import { type Catalogue, skuId } from './catalogue';
import type { Prng } from './prng';

const HOUR_MS = 3_600_000;

export interface Promotion {
  id: string;
  kind: 'category' | 'skus';
  /** Category name for category-wide promotions. */
  category?: string;
  /** Promoted SKU ids. */
  skus: readonly string[];
  startMs: number;
  endMs: number;
  /** Price cut as a fraction (0.2 = -20 %). */
  discount: number;
  /** Demand multiplier on the promoted SKUs (views, hence carts and orders). */
  lift: number;
}

interface ActivePromo extends Promotion {
  idx: Int32Array;
}

/**
 * Promotion calendar, generated lazily in time order from its own PRNG stream, and the view of the
 * promotions active at a given instant (discount per SKU and a sampler for the extra demand).
 * Query times must be non-decreasing.
 */
export class Promotions {
  private readonly all: ActivePromo[] = [];
  private active: ActivePromo[] = [];
  private nextStart: number;
  private validUntil = -Infinity;
  private readonly discountBySku: Float32Array;
  private readonly liftBySku: Float32Array;
  private poolSkus = new Int32Array(0);
  private poolCum = new Float64Array(0);
  private extraWeight = 0;
  private counter = 0;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly rng: Prng,
    startMs: number,
    enabled: boolean,
  ) {
    this.nextStart = enabled ? startMs + rng.exp(18 * HOUR_MS) : Infinity;
    this.discountBySku = new Float32Array(catalogue.size);
    this.liftBySku = new Float32Array(catalogue.size).fill(1);
  }

  /** Promotions created so far (the calendar up to the latest query time). */
  get calendar(): readonly Promotion[] {
    return this.all.map(({ idx: _idx, ...p }) => p);
  }

  /** Moves the view to time `t` (non-decreasing). */
  at(t: number): this {
    if (t < this.validUntil) return this;
    while (this.nextStart <= t) this.create(this.nextStart);
    const prev = this.active;
    this.active = this.all.filter((p) => p.startMs <= t && t < p.endMs);
    let until = this.nextStart;
    for (const p of this.active) until = Math.min(until, p.endMs);
    this.validUntil = until;
    if (prev.length !== 0 || this.active.length !== 0) this.rebuild(prev);
    return this;
  }

  get anyActive(): boolean {
    return this.active.length > 0;
  }

  discountOf(sku: number): number {
    return this.discountBySku[sku] ?? 0;
  }

  liftOf(sku: number): number {
    return this.liftBySku[sku] ?? 1;
  }

  /** Probability that a product pick goes to the promoted pool (mixture weight of the extra demand). */
  promoPickProbability(affinity: number): number {
    const extra = this.extraWeight * affinity;
    return extra / (this.catalogue.totalPopularity + extra);
  }

  /** A promoted SKU, proportional to popularity x (lift - 1). */
  pickPromoted(rng: Prng): number {
    const cum = this.poolCum;
    const r = rng.next() * (cum[cum.length - 1] ?? 0);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cum[mid] ?? 0) > r) hi = mid;
      else lo = mid + 1;
    }
    return this.poolSkus[lo] ?? 0;
  }

  private create(start: number): void {
    const r = this.rng;
    const cat = this.catalogue;
    const byCategory = r.chance(0.45);
    const flash = r.chance(0.4);
    const duration = flash ? r.range(2, 8) * HOUR_MS : r.range(24, 72) * HOUR_MS;
    let idx: Int32Array;
    let category: string | undefined;
    let discount: number;
    if (byCategory) {
      const c = cat.pickCategory(r);
      category = cat.categoryName(c);
      idx = cat.skusInCategory(c).slice();
      discount = r.range(0.1, 0.25);
    } else {
      const n = Math.min(cat.size, 5 + r.int(20));
      const set = new Set<number>();
      for (let k = 0; k < n * 4 && set.size < n; k++) {
        set.add(r.chance(0.5) ? cat.pickInCategory(r, cat.pickCategory(r)) : r.int(cat.size));
      }
      idx = Int32Array.from([...set].sort((a, b) => a - b));
      discount = r.range(0.15, 0.4);
    }
    const p: ActivePromo = {
      id: `promo-${++this.counter}`,
      kind: byCategory ? 'category' : 'skus',
      skus: Array.from(idx, (i) => skuId(i)),
      startMs: Math.round(start),
      endMs: Math.round(start + duration),
      discount: Math.round(discount * 100) / 100,
      lift: Math.round(r.range(1.8, 3.2) * 10) / 10,
      idx,
    };
    if (category !== undefined) p.category = category;
    this.all.push(p);
    this.nextStart = start + r.exp(30 * HOUR_MS);
  }

  private rebuild(prev: readonly ActivePromo[]): void {
    for (const p of prev) {
      for (const i of p.idx) {
        this.discountBySku[i] = 0;
        this.liftBySku[i] = 1;
      }
    }
    let n = 0;
    for (const p of this.active) {
      n += p.idx.length;
      for (const i of p.idx) {
        this.discountBySku[i] = Math.max(this.discountBySku[i] ?? 0, p.discount);
        this.liftBySku[i] = Math.max(this.liftBySku[i] ?? 1, p.lift);
      }
    }
    const skus = new Int32Array(n);
    const cum = new Float64Array(n);
    const seen = new Set<number>();
    let k = 0;
    let w = 0;
    for (const p of this.active) {
      for (const i of p.idx) {
        if (seen.has(i)) continue;
        seen.add(i);
        w += (this.catalogue.popularity[i] ?? 0) * ((this.liftBySku[i] ?? 1) - 1);
        skus[k] = i;
        cum[k] = w;
        k++;
      }
    }
    this.poolSkus = skus.subarray(0, k);
    this.poolCum = cum.subarray(0, k);
    this.extraWeight = w;
  }
}
