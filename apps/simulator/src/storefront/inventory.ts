import type { Catalogue } from './catalogue';
import type { Prng } from './prng';

export interface StockPosition {
  on_hand: number;
  on_order: number;
  lead_time_days: number;
}

const DAY_MS = 86_400_000;

/** Inventory KPIs over [from, to) (see LOOP.md). */
export interface InventoryKpis {
  from: string;
  to: string;
  simulatedDays: number;
  /** Units customers wanted: sold + lost (expected units of the out-of-stock SKUs per session + order shortfalls). */
  unitsDemanded: number;
  unitsSold: number;
  unitsLost: number;
  /** unitsSold / unitsDemanded; null when nothing was demanded. */
  fillRate: number | null;
  /** Σ over SKUs of the time with on_hand ≤ 0, in days. */
  stockoutSkuDays: number;
  /** Time-weighted mean of Σ_sku max(on_hand, 0) over the span (units on hand on an average day). */
  meanOnHandUnits: number;
  purchaseOrdersPlaced: number;
  unitsOrdered: number;
  unitsReceived: number;
  /** Purchase orders placed but not received yet. */
  openPurchaseOrders: number;
}

/** What a recommendation did, see {@link Inventory.placeRecommended}. */
export type RecommendationOutcome =
  'placed' | 'no_order' | 'stale' | 'duplicate' | 'unknown_sku' | 'not_following';

/**
 * Per-SKU stock: orders consume on_hand up to what is there (no back-orders: the rest is lost
 * demand), cancellations give it back. Purchase orders raise on_order and arrive after the SKU's lead
 * time. Two policies:
 * - fixed: under the reorder point, with nothing on order, a PO of `reorderQty` is placed;
 * - following (`follow` true): once a SKU received its first replenishment recommendation, the fixed
 *   policy is off for it and only recommended POs are placed ({@link placeRecommended}). Until then
 *   the fixed policy keeps it stocked.
 * Every mutation takes its simulated time, so the KPIs are exact time integrals.
 */
export class Inventory {
  readonly onHand: Int32Array;
  readonly onOrder: Int32Array;
  readonly leadTimeDays: Float64Array;
  /** Replenishment policy per SKU (read by the propensity oracle's expected-stock model). */
  readonly reorderPoint: Int32Array;
  readonly reorderQty: Int32Array;
  /** 1 once a recommendation arrived for the SKU (fixed policy off for it in follow mode). */
  readonly following: Uint8Array;
  /** Simulated time of the last replenishment change (PO placed or received) per SKU, or the start. */
  readonly lastChangeMs: Float64Array;
  private readonly placed = new Set<string>();
  /** popularity / total popularity per SKU: its expected share of the units of a session. */
  private readonly share: Float64Array;
  /** Σ share of the SKUs with on_hand ≤ 0. */
  private outShare = 0;
  /** The SKUs with on_hand ≤ 0 (dense, first `outN`), and each SKU's index in it (−1 = in stock). */
  private readonly outList: Int32Array;
  private readonly outPos: Int32Array;
  private outN = 0;
  private readonly kpiLastMs: Float64Array;
  private touched = false;
  private kpiFromMs: number;
  private sold = 0;
  private lost = 0;
  private stockoutMs = 0;
  private onHandUnitMs = 0;
  private pos = 0;
  private ordered = 0;
  private received = 0;
  private openPos = 0;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly rng: Prng,
    /** true: follow replenishment recommendations (see the class comment). */
    readonly follow = false,
    /** Simulated start: KPIs count from here; recommendations describing earlier stock are stale. */
    startMs = 0,
  ) {
    const n = catalogue.size;
    this.onHand = new Int32Array(n);
    this.onOrder = new Int32Array(n);
    this.leadTimeDays = new Float64Array(n);
    this.reorderPoint = new Int32Array(n);
    this.reorderQty = new Int32Array(n);
    this.following = new Uint8Array(n);
    this.lastChangeMs = new Float64Array(n).fill(startMs);
    this.kpiLastMs = new Float64Array(n).fill(startMs);
    this.kpiFromMs = startMs;
    this.share = new Float64Array(n);
    this.outList = new Int32Array(n);
    this.outPos = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      this.leadTimeDays[i] = Math.round(rng.range(1, 12) * 2) / 2;
      this.share[i] = (catalogue.popularity[i] ?? 0) / catalogue.totalPopularity;
    }
    this.recomputeOutShare();
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
    this.recomputeOutShare();
  }

  /** Recomputes the out-of-stock share after on_hand was set directly. */
  recomputeOutShare(): void {
    let out = 0;
    this.outN = 0;
    this.outPos.fill(-1);
    for (let i = 0; i < this.share.length; i++)
      if ((this.onHand[i] ?? 0) <= 0) {
        out += this.share[i] ?? 0;
        this.outPos[i] = this.outN;
        this.outList[this.outN++] = i;
      }
    this.outShare = out;
  }

  /** Whether a sale happened yet (before it, {@link configure} also sets the opening stock). */
  get started(): boolean {
    return this.touched;
  }

  /** How many SKUs have on_hand ≤ 0 now. */
  get outCount(): number {
    return this.outN;
  }

  /** The k-th SKU (0 ≤ k < {@link outCount}) with on_hand ≤ 0, in no particular order. */
  outSku(k: number): number {
    return this.outList[k] ?? -1;
  }

  /** The SKU's expected share of the units of a session (popularity / total popularity). */
  shareOf(sku: number): number {
    return this.share[sku] ?? 0;
  }

  available(sku: number): boolean {
    return (this.onHand[sku] ?? 0) > 0;
  }

  /** Whether the fixed reorder-point policy applies to the SKU. */
  fixedPolicy(sku: number): boolean {
    return !this.follow || this.following[sku] !== 1;
  }

  /**
   * An order line of `qty` units at `t`: sells what is on hand (at most `qty`), the rest is lost
   * demand. Returns the units sold.
   */
  sell(sku: number, qty: number, t: number): number {
    this.touched = true;
    this.advance(sku, t);
    const have = Math.max(0, this.onHand[sku] ?? 0);
    const sold = Math.min(have, qty);
    this.setOnHand(sku, (this.onHand[sku] ?? 0) - sold);
    if (t >= this.kpiFromMs) {
      this.sold += sold;
      this.lost += qty - sold;
    }
    return sold;
  }

  /** Demand that could not even reach a cart, in units. */
  loseDemand(units: number, t: number): void {
    if (t >= this.kpiFromMs) this.lost += units;
  }

  /**
   * A session starts at `t`: the SKUs out of stock lose their expected share of its units,
   * `unitsPerSession · Σ_out popularity / total popularity` (LOOP.md).
   */
  loseSessionDemand(unitsPerSession: number, t: number): void {
    if (this.outShare > 0) this.loseDemand(unitsPerSession * this.outShare, t);
  }

  /**
   * The fixed policy at `t`: when it applies to the SKU, its stock is at or under the reorder point and
   * nothing is on order, places a PO of `reorderQty`. Returns the quantity ordered (0 = none).
   */
  fixedReorder(sku: number, t: number): number {
    if (!this.fixedPolicy(sku)) return 0;
    if ((this.onHand[sku] ?? 0) > (this.reorderPoint[sku] ?? 0) || (this.onOrder[sku] ?? 0) !== 0)
      return 0;
    const qty = this.reorderQty[sku] ?? 1;
    this.order(sku, qty, t);
    return qty;
  }

  /**
   * A replenishment recommendation for the SKU at simulated time `t` (follow mode). It is ignored
   * when stale (`stockTsMs` older than the SKU's last replenishment change) or already placed (same
   * id); otherwise the SKU switches to following, and a positive quantity is ordered. The caller
   * schedules the arrival after `leadTimeDays[sku]`.
   */
  placeRecommended(
    sku: number,
    rec: { id: string; reorder: boolean; qty: number; stockTsMs: number },
    t: number,
  ): RecommendationOutcome {
    if (!this.follow) return 'not_following';
    if (this.placed.has(rec.id)) return 'duplicate';
    if (!(rec.stockTsMs >= (this.lastChangeMs[sku] ?? 0))) return 'stale';
    this.following[sku] = 1;
    if (!rec.reorder || rec.qty <= 0) return 'no_order';
    this.placed.add(rec.id);
    this.order(sku, rec.qty, t);
    return 'placed';
  }

  /** Cancellations give stock back (units sold count order_placed units: unchanged). */
  giveBack(sku: number, qty: number, t: number): void {
    this.advance(sku, t);
    this.setOnHand(sku, (this.onHand[sku] ?? 0) + qty);
  }

  /** A purchase order of `qty` arrives: on_hand += qty, on_order −= qty. */
  receive(sku: number, qty: number, t: number): void {
    this.advance(sku, t);
    this.setOnHand(sku, (this.onHand[sku] ?? 0) + qty);
    this.onOrder[sku] = Math.max(0, (this.onOrder[sku] ?? 0) - qty);
    this.lastChangeMs[sku] = Math.max(this.lastChangeMs[sku] ?? 0, t);
    this.openPos = Math.max(0, this.openPos - 1);
    if (t >= this.kpiFromMs) this.received += qty;
  }

  position(sku: number): StockPosition {
    return {
      on_hand: this.onHand[sku] ?? 0,
      on_order: this.onOrder[sku] ?? 0,
      lead_time_days: this.leadTimeDays[sku] ?? 0,
    };
  }

  /** Restarts the KPIs at `t` (e.g. after a warm-up). */
  resetKpis(t: number): void {
    for (let i = 0; i < this.kpiLastMs.length; i++) this.advance(i, t);
    this.kpiFromMs = t;
    this.sold = 0;
    this.lost = 0;
    this.stockoutMs = 0;
    this.onHandUnitMs = 0;
    this.pos = 0;
    this.ordered = 0;
    this.received = 0;
  }

  /** The KPIs from the start (or the last reset) to `t`. */
  kpis(t: number): InventoryKpis {
    let stockoutMs = this.stockoutMs;
    let unitMs = this.onHandUnitMs;
    for (let i = 0; i < this.kpiLastMs.length; i++) {
      const dt = t - Math.max(this.kpiLastMs[i] ?? 0, this.kpiFromMs);
      if (dt <= 0) continue;
      const h = this.onHand[i] ?? 0;
      if (h <= 0) stockoutMs += dt;
      else unitMs += h * dt;
    }
    const span = Math.max(0, t - this.kpiFromMs);
    const demanded = this.sold + this.lost;
    return {
      from: new Date(this.kpiFromMs).toISOString(),
      to: new Date(Math.max(t, this.kpiFromMs)).toISOString(),
      simulatedDays: span / DAY_MS,
      unitsDemanded: demanded,
      unitsSold: this.sold,
      unitsLost: this.lost,
      fillRate: demanded > 0 ? this.sold / demanded : null,
      stockoutSkuDays: stockoutMs / DAY_MS,
      meanOnHandUnits: span > 0 ? unitMs / span : 0,
      purchaseOrdersPlaced: this.pos,
      unitsOrdered: this.ordered,
      unitsReceived: this.received,
      openPurchaseOrders: this.openPos,
    };
  }

  private setOnHand(sku: number, value: number): void {
    const wasOut = (this.onHand[sku] ?? 0) <= 0;
    this.onHand[sku] = value;
    const out = value <= 0;
    if (out !== wasOut) {
      this.outShare += (out ? 1 : -1) * (this.share[sku] ?? 0);
      // Guarded: on_hand set directly (tests) without recomputeOutShare must not corrupt the list.
      const k = this.outPos[sku] ?? -1;
      if (out && k < 0) {
        this.outPos[sku] = this.outN;
        this.outList[this.outN++] = sku;
      } else if (!out && k >= 0) {
        const last = this.outList[--this.outN] ?? sku;
        this.outList[k] = last;
        this.outPos[last] = k;
        this.outPos[sku] = -1;
      }
    }
    if (this.outShare < 1e-12) this.outShare = Math.max(0, this.outShare);
  }

  private order(sku: number, qty: number, t: number): void {
    this.onOrder[sku] = (this.onOrder[sku] ?? 0) + qty;
    this.lastChangeMs[sku] = Math.max(this.lastChangeMs[sku] ?? 0, t);
    this.openPos++;
    if (t >= this.kpiFromMs) {
      this.pos++;
      this.ordered += qty;
    }
  }

  /** Closes the SKU's time integrals up to `t` (before its on_hand changes). */
  private advance(sku: number, t: number): void {
    const last = this.kpiLastMs[sku] ?? 0;
    const from = Math.max(last, this.kpiFromMs);
    if (t > from) {
      const h = this.onHand[sku] ?? 0;
      if (h <= 0) this.stockoutMs += t - from;
      else this.onHandUnitMs += h * (t - from);
    }
    if (t > last) this.kpiLastMs[sku] = t;
  }
}
