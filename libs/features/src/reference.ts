import {
  DAY_MS,
  SESSION_GAP_MS,
  type FeatureDef,
  type MeasureRef,
  type SessionStat,
} from './catalog';
import { windowBoundsMs } from './query';
import type { EntityKind } from './rollups';

/**
 * An independent, in-memory implementation of the catalog over raw events (no SQL, no rollups): the
 * oracle for the point-in-time and exactly-once tests. It interprets each declaration with its own
 * definition of every measure, using the documented window semantics.
 */
export interface RefClick {
  type: string;
  userId: string;
  sku: string;
  category: string;
  price: number | null;
  tsMs: number;
}
export interface RefOrderLine {
  type: string;
  orderId: string;
  userId: string;
  sku: string;
  category: string;
  lineNo: number;
  qty: number;
  unitPrice: number;
  tsMs: number;
}
export interface RefInventory {
  sku: string;
  onHand: number;
  onOrder: number;
  tsMs: number;
}
export interface RefData {
  clicks: RefClick[];
  orders: RefOrderLine[];
  inventory: RefInventory[];
}

type Value = number;

function keyOf(entity: EntityKind, r: { userId?: string; sku: string; category?: string }): string {
  return entity === 'user' ? (r.userId ?? '') : entity === 'sku' ? r.sku : (r.category ?? '');
}

const distinct = (xs: string[]) => new Set(xs).size;
function argMax<T>(rows: T[], ts: (r: T) => number, v: (r: T) => number): number {
  let best = -Infinity;
  let out = 0;
  for (const r of rows)
    if (ts(r) > best) {
      best = ts(r);
      out = v(r);
    }
  return out;
}

function clickMeasure(entity: EntityKind, m: string, rows: RefClick[]): Value {
  const views = rows.filter((r) => r.type === 'product_view');
  if (m.startsWith('n_') && !['n_events', 'n_views', 'n_carts', 'n_priced'].includes(m))
    return rows.filter((r) => r.type === m.slice(2)).length;
  switch (m) {
    case 'n_events':
      return rows.length;
    case 'n_views':
      return views.length;
    case 'n_carts':
      return rows.filter((r) => r.type === 'add_to_cart').length;
    case 'n_priced':
      return rows.filter((r) => r.price !== null).length;
    case 'skus_viewed':
      return distinct(views.filter((r) => r.sku !== '').map((r) => r.sku));
    case 'categories_viewed':
      return distinct(views.filter((r) => r.category !== '').map((r) => r.category));
    case 'viewers':
      return distinct(views.map((r) => r.userId));
    case 'last_ts':
      return Math.max(0, ...rows.map((r) => r.tsMs));
    case 'last_price':
      return argMax(
        rows.filter((r) => r.price !== null),
        (r) => r.tsMs,
        (r) => r.price ?? 0,
      );
  }
  throw new Error(`reference: unknown click measure ${m} (${entity})`);
}

function orderMeasure(entity: EntityKind, m: string, rows: RefOrderLine[]): Value {
  const placed = rows.filter((r) => r.type === 'order_placed');
  switch (m) {
    case 'n_orders':
      return entity === 'user'
        ? placed.filter((r) => r.lineNo === 0).length
        : distinct(placed.map((r) => r.orderId));
    case 'n_cancellations':
      return rows.filter((r) => r.type === 'order_cancelled' && r.lineNo === 0).length;
    case 'units':
      return placed.reduce((a, r) => a + r.qty, 0);
    case 'spend':
    case 'revenue':
      return placed.reduce((a, r) => a + Math.round(r.qty * r.unitPrice * 10_000), 0) / 10_000;
    case 'buyers':
      return distinct(placed.map((r) => r.userId));
    case 'last_order_ts':
      return Math.max(0, ...placed.map((r) => r.tsMs));
  }
  throw new Error(`reference: unknown order measure ${m}`);
}

function inventoryMeasure(m: string, rows: RefInventory[]): Value {
  switch (m) {
    case 'n_snapshots':
      return rows.length;
    case 'on_hand':
      return argMax(
        rows,
        (r) => r.tsMs,
        (r) => r.onHand,
      );
    case 'on_order':
      return argMax(
        rows,
        (r) => r.tsMs,
        (r) => r.onOrder,
      );
  }
  throw new Error(`reference: unknown inventory measure ${m}`);
}

/** Raw rows indexed by entity key, for repeated evaluation. */
export class ReferenceFeatures {
  private readonly clicks = new Map<string, RefClick[]>();
  private readonly orders = new Map<string, RefOrderLine[]>();
  private readonly inventory = new Map<string, RefInventory[]>();

  constructor(
    private readonly entity: EntityKind,
    data: RefData,
  ) {
    const push = <T>(m: Map<string, T[]>, k: string, r: T) => {
      if (k === '') return;
      const a = m.get(k);
      if (a) a.push(r);
      else m.set(k, [r]);
    };
    for (const c of data.clicks) push(this.clicks, keyOf(entity, c), c);
    for (const o of data.orders) push(this.orders, keyOf(entity, o), o);
    if (entity === 'sku') for (const i of data.inventory) push(this.inventory, i.sku, i);
  }

  private measure(id: string, ref: MeasureRef, lo: number, hi: number): Value {
    const inWin = <T extends { tsMs: number }>(rows: T[] | undefined) =>
      (rows ?? []).filter((r) => r.tsMs >= lo && r.tsMs < hi);
    if (ref.source === 'click')
      return clickMeasure(this.entity, ref.measure, inWin(this.clicks.get(id)));
    if (ref.source === 'order')
      return orderMeasure(this.entity, ref.measure, inWin(this.orders.get(id)));
    return inventoryMeasure(ref.measure, inWin(this.inventory.get(id)));
  }

  /**
   * Session statistics straight from the user's raw events in [lo, hi): sort by time, split at gaps
   * of 30 min or more; a session with an add-to-cart is abandoned when it is closed (its last event
   * is at least 30 min before hi) and no order was placed in [first, last + 30 min).
   */
  private sessions(id: string, lo: number, hi: number) {
    const clicks = (this.clicks.get(id) ?? [])
      .filter((r) => r.tsMs >= lo && r.tsMs < hi)
      .sort((a, b) => a.tsMs - b.tsMs);
    const sessions: { first: number; last: number; cart: boolean; events: number }[] = [];
    for (const c of clicks) {
      const cur = sessions[sessions.length - 1];
      if (cur && c.tsMs - cur.last < SESSION_GAP_MS) {
        cur.last = c.tsMs;
        cur.events++;
        cur.cart ||= c.type === 'add_to_cart';
      } else
        sessions.push({ first: c.tsMs, last: c.tsMs, cart: c.type === 'add_to_cart', events: 1 });
    }
    return sessions;
  }

  private session(id: string, stat: SessionStat, lo: number, hi: number): number | null {
    const orderTimes = (this.orders.get(id) ?? [])
      .filter((r) => r.type === 'order_placed' && r.tsMs >= lo && r.tsMs < hi)
      .map((r) => r.tsMs);
    const sessions = this.sessions(id, lo, hi);
    const closedCarts = sessions.filter((s) => s.cart && s.last + SESSION_GAP_MS <= hi);
    const abandoned = closedCarts.filter(
      (s) => !orderTimes.some((t) => t >= s.first && t < s.last + SESSION_GAP_MS),
    ).length;
    switch (stat) {
      case 'sessions':
        return sessions.length;
      case 'mean_seconds':
        return sessions.length > 0
          ? sessions.reduce((a, s) => a + (s.last - s.first), 0) / sessions.length / 1000
          : null;
      case 'abandoned_carts':
        return abandoned;
      case 'cart_abandonment':
        return closedCarts.length > 0 ? abandoned / closedCarts.length : null;
    }
  }

  /** Placed orders (one per order event), their first/last time and the first event time in [lo, hi). */
  private lifetime(id: string, lo: number, hi: number) {
    const inWin = (ts: number) => ts >= lo && ts < hi;
    const placed = (this.orders.get(id) ?? []).filter(
      (r) => r.type === 'order_placed' && r.lineNo === 0 && inWin(r.tsMs),
    );
    let firstEvent = Infinity;
    for (const r of this.clicks.get(id) ?? [])
      if (inWin(r.tsMs)) firstEvent = Math.min(firstEvent, r.tsMs);
    let first = Infinity;
    let last = -Infinity;
    for (const r of placed) {
      first = Math.min(first, r.tsMs);
      last = Math.max(last, r.tsMs);
    }
    return { orders: placed.length, first, last, firstEvent: Math.min(firstEvent, first) };
  }

  value(f: FeatureDef, id: string, tMs: number): number | null {
    const [lo, hi] =
      f.aggregation.kind === 'seconds_since'
        ? // documented recency look-back: [E_1h − 28d, E_1m)
          [windowBoundsMs(tMs, '1h', '28d')[0], windowBoundsMs(tMs, '1m', '24h')[1]]
        : windowBoundsMs(tMs, f.granularity, f.window);
    const m = (r: MeasureRef) => this.measure(id, r, lo, hi);
    const a = f.aggregation;
    switch (a.kind) {
      case 'total':
        return m(a.of);
      case 'ratio': {
        const d = m(a.den);
        return d > 0 ? m(a.num) / d : null;
      }
      case 'latest':
        return m(a.guard) > 0 ? m(a.of) : null;
      case 'seconds_since': {
        const v = m(a.of);
        return v > 0 ? (tMs - v) / 1000 : null;
      }
      case 'session':
        return this.session(id, a.stat, lo, hi);
      case 'per_session': {
        const n = this.sessions(id, lo, hi).length;
        return n > 0 ? m(a.of) / n : null;
      }
      case 'session_gap': {
        // from the raw events of each session, not from the window's event count
        const sessions = this.sessions(id, lo, hi);
        const gaps = sessions.reduce((acc, x) => acc + x.events - 1, 0);
        const span = sessions.reduce((acc, x) => acc + x.last - x.first, 0);
        return gaps > 0 ? span / gaps / 1000 : null;
      }
      case 'days_since': {
        if (a.of.source !== 'order' || a.of.measure !== 'last_order_ts')
          throw new Error(`reference: days_since of ${a.of.source}.${a.of.measure}`);
        const { orders, last } = this.lifetime(id, lo, hi);
        return orders > 0 ? (tMs - last) / DAY_MS : null;
      }
      case 'days_since_first': {
        // first event = first clickstream event or placed order (the measures the catalog names)
        const { firstEvent } = this.lifetime(id, lo, hi);
        return firstEvent < Infinity ? (tMs - firstEvent) / DAY_MS : null;
      }
      case 'mean_interval': {
        const { orders, first, last } = this.lifetime(id, lo, hi);
        return orders >= 2 ? (last - first) / (orders - 1) / DAY_MS : null;
      }
    }
  }

  /** Sum over every entity of the measure over all time (what summing the merged rollup per key gives). */
  grandTotal(ref: MeasureRef): number {
    const keys =
      ref.source === 'click'
        ? this.clicks.keys()
        : ref.source === 'order'
          ? this.orders.keys()
          : this.inventory.keys();
    let total = 0;
    for (const k of keys) total += this.measure(k, ref, -Infinity, Infinity);
    return total;
  }

  ids(): string[] {
    return [...new Set([...this.clicks.keys(), ...this.orders.keys(), ...this.inventory.keys()])];
  }

  /** Whether the entity has any event before t (at the granularity of its finest rollup). */
  known(id: string): boolean {
    return this.clicks.has(id) || this.orders.has(id) || this.inventory.has(id);
  }
}

/** Parses simulator/Kafka JSON payloads (valid ones) into reference rows. */
export function refFromPayloads(
  clickstream: readonly unknown[],
  orders: readonly unknown[],
  inventory: readonly unknown[],
): RefData {
  const out: RefData = { clicks: [], orders: [], inventory: [] };
  for (const o of clickstream) {
    const e = o as {
      type: string;
      user_id: string;
      sku?: string;
      category?: string;
      price?: number;
      ts: string;
    };
    out.clicks.push({
      type: e.type,
      userId: e.user_id,
      sku: e.sku ?? '',
      category: e.category ?? '',
      price: e.price ?? null,
      tsMs: Date.parse(e.ts),
    });
  }
  for (const o of orders) {
    const e = o as {
      type: string;
      order_id: string;
      user_id: string;
      ts: string;
      items: { sku: string; qty: number; unit_price: number; category?: string }[];
    };
    e.items.forEach((it, i) =>
      out.orders.push({
        type: e.type,
        orderId: e.order_id,
        userId: e.user_id,
        sku: it.sku,
        category: it.category ?? '',
        lineNo: i,
        qty: it.qty,
        unitPrice: it.unit_price,
        tsMs: Date.parse(e.ts),
      }),
    );
  }
  for (const o of inventory) {
    const e = o as { sku: string; on_hand: number; on_order: number; ts: string };
    out.inventory.push({
      sku: e.sku,
      onHand: e.on_hand,
      onOrder: e.on_order,
      tsMs: Date.parse(e.ts),
    });
  }
  return out;
}
