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
 */
export class ShadowInventory {
  readonly onHand: Float64Array;
  readonly onOrder: Float64Array;
  private readonly arrivals = new MinHeap<Arrival>();
  private seq = 0;
  private readonly kpiLastMs: Float64Array;
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
  }

  /**
   * An order line as the customer wanted it (`qty` units at `t`): sells what is on hand, the rest
   * is lost; then the fixed policy, as the real inventory checks it at every order line. Returns the
   * units sold.
   */
  orderLine(sku: number, qty: number, t: number): number {
    const sold = this.take(sku, qty, t);
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
  }

  /** Receives every purchase order due by `t`, in arrival order. */
  advanceTo(t: number): void {
    for (;;) {
      const a = this.arrivals.peek();
      if (a === undefined || a.t > t) return;
      this.arrivals.pop();
      this.close(a.sku, a.t);
      this.onHand[a.sku] = (this.onHand[a.sku] ?? 0) + a.qty;
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
