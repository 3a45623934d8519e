import type { Catalogue } from './catalogue';
import type { Prng } from './prng';

export interface StockPosition {
  on_hand: number;
  on_order: number;
  lead_time_days: number;
}

/**
 * Per-SKU stock: orders consume on_hand (it may go slightly negative: back-orders), cancellations
 * give it back; under the reorder point a replenishment of `reorderQty` is placed and arrives after
 * the SKU's lead time.
 */
export class Inventory {
  readonly onHand: Int32Array;
  readonly onOrder: Int32Array;
  readonly leadTimeDays: Float64Array;
  /** Replenishment policy per SKU (read by the propensity oracle's expected-stock model). */
  readonly reorderPoint: Int32Array;
  readonly reorderQty: Int32Array;
  private touched = false;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly rng: Prng,
  ) {
    const n = catalogue.size;
    this.onHand = new Int32Array(n);
    this.onOrder = new Int32Array(n);
    this.leadTimeDays = new Float64Array(n);
    this.reorderPoint = new Int32Array(n);
    this.reorderQty = new Int32Array(n);
    for (let i = 0; i < n; i++) this.leadTimeDays[i] = Math.round(rng.range(1, 12) * 2) / 2;
  }

  /**
   * Sets the replenishment policy from the expected total units sold per day. Before the first
   * sale it also sets the opening stock (a few weeks of cover, some SKUs short).
   */
  configure(unitsPerDay: number): void {
    const cat = this.catalogue;
    for (let i = 0; i < cat.size; i++) {
      const daily = (unitsPerDay * (cat.popularity[i] ?? 0)) / cat.totalPopularity;
      const lead = this.leadTimeDays[i] ?? 1;
      this.reorderPoint[i] = Math.ceil(daily * lead * 1.3) + 2;
      this.reorderQty[i] = Math.ceil(daily * 21) + 10;
      if (!this.touched) {
        const cover = this.rng.chance(0.05)
          ? this.rng.range(0, 1)
          : this.rng.range(lead + 3, lead + 28);
        this.onHand[i] = Math.round(daily * cover) + this.rng.int(6);
      }
    }
  }

  available(sku: number): boolean {
    return (this.onHand[sku] ?? 0) > 0;
  }

  /** Consumes stock; returns true when a replenishment was just placed. */
  sell(sku: number, qty: number): boolean {
    this.touched = true;
    const left = (this.onHand[sku] ?? 0) - qty;
    this.onHand[sku] = left;
    if (left <= (this.reorderPoint[sku] ?? 0) && (this.onOrder[sku] ?? 0) === 0) {
      this.onOrder[sku] = this.reorderQty[sku] ?? 1;
      return true;
    }
    return false;
  }

  giveBack(sku: number, qty: number): void {
    this.onHand[sku] = (this.onHand[sku] ?? 0) + qty;
  }

  /** Receives the pending replenishment. */
  receive(sku: number): void {
    this.onHand[sku] = (this.onHand[sku] ?? 0) + (this.onOrder[sku] ?? 0);
    this.onOrder[sku] = 0;
  }

  position(sku: number): StockPosition {
    return {
      on_hand: this.onHand[sku] ?? 0,
      on_order: this.onOrder[sku] ?? 0,
      lead_time_days: this.leadTimeDays[sku] ?? 0,
    };
  }
}
