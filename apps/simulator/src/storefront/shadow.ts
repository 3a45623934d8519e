import { MinHeap } from './heap';
import type { InventoryKpis } from './inventory';

const DAY_MS = 86_400_000;

/** What the shadow reads of the real inventory: its SKUs' policy parameters (shared, not copied). */
export interface ShadowPolicySource {
  readonly onHand: ArrayLike<number>;
  readonly leadTimeDays: ArrayLike<number>;
  readonly reorderPoint: ArrayLike<number>;
  readonly reorderQty: ArrayLike<number>;
}

/** What the shadow reads of the real inventory at a session start: its out-of-stock SKUs and shares. */
export interface RealStockView {
  readonly outCount: number;
  outSku(k: number): number;
  /** The SKU's expected share of a session's units (popularity / total popularity). */
  shareOf(sku: number): number;
  available(sku: number): boolean;
}

class Arrival {
  constructor(
    readonly t: number,
    readonly seq: number,
    readonly sku: number,
    readonly qty: number,
  ) {}
}

/**
 * The counterfactual "without StorePulse" inventory (LOOP.md, "Shadow"): a second stock ledger fed
 * with the demand the real storefront's customers expressed, always on the simulator's fixed
 * reorder-point policy, with its own purchase orders, arrivals (after the SKU's lead time), lost
 * sales and KPIs. It only counts: the real stock drives the events, and it draws nothing from any
 * random stream.
 *
 * Its stock is fractional: a SKU out in the real shop but in stock here sells the expected units the
 * real shop lost at each session start (`unitsPerSession · share`), so on_hand can be fractional.
 * The KPIs are the same exact time integrals as {@link Inventory.kpis}.
 *
 * Out-of-stock demand is counted the way the real inventory counts it (LOOP.md, "Symmetric
 * counting"): a SKU out here loses its expected share at every session start, and the order lines of
 * sessions that started while it was already out here are not counted again (in the real shop such
 * a session could not have carted it). A line of a session that started while it was in stock here
 * loses its shortfall exactly, as the real shop's lines do.
 */
export class ShadowInventory {
  readonly onHand: Float64Array;
  readonly onOrder: Float64Array;
  private readonly arrivals = new MinHeap<Arrival>();
  private seq = 0;
  private readonly kpiLastMs: Float64Array;
  /** Since when the SKU is out here (on_hand ≤ 0), -Infinity while in stock. */
  private readonly outSinceMs: Float64Array;
  /** The SKUs out here, unordered (outPos[sku] = index in outList, -1 when in stock). */
  private readonly outList: Int32Array;
  private readonly outPos: Int32Array;
  private outN = 0;
  private kpiFromMs: number;
  private sold = 0;
  private lost = 0;
  private stockoutMs = 0;
  private onHandUnitMs = 0;
  private pos = 0;
  private ordered = 0;
  private received = 0;
  private openPos = 0;

  /** Starts from the real inventory's current stock (on_hand copied, nothing on order) at `startMs`. */
  constructor(
    private readonly policy: ShadowPolicySource,
    startMs: number,
  ) {
    const n = policy.onHand.length;
    this.onHand = Float64Array.from(policy.onHand);
    this.onOrder = new Float64Array(n);
    this.kpiLastMs = new Float64Array(n).fill(startMs);
    this.kpiFromMs = startMs;
    this.outSinceMs = new Float64Array(n).fill(-Infinity);
    this.outList = new Int32Array(n);
    this.outPos = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) this.markStock(i, startMs);
  }

  /** SKUs out of stock here now (for tests and the session-start loss). */
  get outCount(): number {
    return this.outN;
  }

  /**
   * A session starts at `t`. A SKU out in the real shop: its expected units (`unitsPerSession ·
   * share`) are demand here, sold if on hand (see {@link sessionDemand}). A SKU out here but in stock
   * in the real shop loses the same expected share here: the real inventory's rule for its own
   * stock-outs, so both ledgers count out-of-stock demand alike.
   */
  sessionStart(real: RealStockView, unitsPerSession: number, t: number): void {
    this.advanceTo(t);
    for (let k = 0; k < real.outCount; k++) {
      const sku = real.outSku(k);
      this.sessionDemand(sku, unitsPerSession * real.shareOf(sku), t);
    }
    if (t < this.kpiFromMs) return;
    for (let k = 0; k < this.outN; k++) {
      const sku = this.outList[k] ?? -1;
      if (sku >= 0 && real.available(sku)) this.lost += unitsPerSession * real.shareOf(sku);
    }
  }

  /**
   * An order line as the customer wanted it (`qty` units at `t`) of a session that started at
   * `sessionStartMs`: sells what is on hand, the rest is lost; then the fixed policy, as the real
   * inventory checks it at every order line. When the SKU was already out here at the session start,
   * nothing is sold and nothing is counted: its session-start share was ({@link sessionStart}).
   * Returns the units sold.
   */
  orderLine(sku: number, qty: number, t: number, sessionStartMs = t): number {
    this.advanceTo(t);
    const outBefore = (this.onHand[sku] ?? 0) <= 0 && (this.outSinceMs[sku] ?? 0) <= sessionStartMs;
    const sold = outBefore ? 0 : this.take(sku, qty, t);
    this.fixedReorder(sku, t);
    return sold;
  }

  /**
   * The expected units of a session for a SKU the real shop had out (LOOP.md): sold here if on
   * hand, else lost. The fixed policy is checked when something was sold (a sale), so a SKU out in
   * both ledgers stays as it is in the real one.
   */
  sessionDemand(sku: number, units: number, t: number): void {
    if (this.take(sku, units, t) > 0) this.fixedReorder(sku, t);
  }

  /** A cancellation gives back the units this ledger sold on the cancelled lines. */
  giveBack(sku: number, qty: number, t: number): void {
    if (!(qty > 0)) return;
    this.advanceTo(t);
    this.close(sku, t);
    this.onHand[sku] = (this.onHand[sku] ?? 0) + qty;
    this.markStock(sku, t);
  }

  /** Receives every purchase order due by `t`, in arrival order. */
  advanceTo(t: number): void {
    for (;;) {
      const a = this.arrivals.peek();
      if (a === undefined || a.t > t) return;
      this.arrivals.pop();
      this.close(a.sku, a.t);
      this.onHand[a.sku] = (this.onHand[a.sku] ?? 0) + a.qty;
      this.markStock(a.sku, a.t);
      this.onOrder[a.sku] = Math.max(0, (this.onOrder[a.sku] ?? 0) - a.qty);
      this.openPos = Math.max(0, this.openPos - 1);
      if (a.t >= this.kpiFromMs) this.received += a.qty;
    }
  }

  /** Restarts the KPIs at `t` (with the real inventory's). */
  resetKpis(t: number): void {
    this.advanceTo(t);
    for (let i = 0; i < this.kpiLastMs.length; i++) this.close(i, t);
    this.kpiFromMs = t;
    this.sold = 0;
    this.lost = 0;
    this.stockoutMs = 0;
    this.onHandUnitMs = 0;
    this.pos = 0;
    this.ordered = 0;
    this.received = 0;
  }

  /** The KPIs from the start (or the last reset) to `t`; receives the POs due by then. */
  kpis(t: number): InventoryKpis {
    this.advanceTo(t);
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

  private take(sku: number, qty: number, t: number): number {
    this.advanceTo(t);
    this.close(sku, t);
    const have = Math.max(0, this.onHand[sku] ?? 0);
    const sold = Math.min(have, qty);
    this.onHand[sku] = (this.onHand[sku] ?? 0) - sold;
    this.markStock(sku, t);
    if (t >= this.kpiFromMs) {
      this.sold += sold;
      this.lost += qty - sold;
    }
    return sold;
  }

  /** The fixed policy: at or under the reorder point with nothing on order, a PO of reorderQty. */
  private fixedReorder(sku: number, t: number): void {
    if ((this.onHand[sku] ?? 0) > (this.policy.reorderPoint[sku] ?? 0)) return;
    if ((this.onOrder[sku] ?? 0) !== 0) return;
    const qty = this.policy.reorderQty[sku] ?? 1;
    this.onOrder[sku] = (this.onOrder[sku] ?? 0) + qty;
    this.openPos++;
    if (t >= this.kpiFromMs) {
      this.pos++;
      this.ordered += qty;
    }
    const lead = this.policy.leadTimeDays[sku] ?? 1;
    this.arrivals.push(new Arrival(t + lead * DAY_MS, this.seq++, sku, qty));
  }

  /** Keeps the out-of-stock list and out-since time current after the SKU's on_hand changed at `t`. */
  private markStock(sku: number, t: number): void {
    const out = (this.onHand[sku] ?? 0) <= 0;
    const k = this.outPos[sku] ?? -1;
    if (out && k < 0) {
      this.outPos[sku] = this.outN;
      this.outList[this.outN++] = sku;
      this.outSinceMs[sku] = t;
    } else if (!out && k >= 0) {
      const last = this.outList[--this.outN] ?? sku;
      this.outList[k] = last;
      this.outPos[last] = k;
      this.outPos[sku] = -1;
      this.outSinceMs[sku] = -Infinity;
    }
  }

  /** Closes the SKU's time integrals up to `t` (before its on_hand changes). */
  private close(sku: number, t: number): void {
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
