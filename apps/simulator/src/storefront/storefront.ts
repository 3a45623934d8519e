import { TOPICS, type ReplenishmentMessage, type TopicName } from '@storepulse/contracts';
import {
  CANCEL_RATE,
  DEFAULT_EVENTS_PER_SEC,
  DEFAULT_INVENTORY_INTERVAL_MS,
  runStreams,
  sessionShape,
  sessionsPerSecond,
  type SessionShape,
} from './calibration';
import { Catalogue, type CatalogueItem } from './catalogue';
import { MinHeap } from './heap';
import {
  Inventory,
  type InventoryKpis,
  type RecommendationOutcome,
  type StockPosition,
} from './inventory';
import { ShadowInventory } from './shadow';
import { malform, type InvalidKind } from './malformed';
import { hash32, Prng, uuidV4 } from './prng';
import { Promotions, type Promotion } from './promotions';
import { seasonality } from './seasonality';
import { planSession, type OrderLine, type Step } from './session';
import { Users, type UserProfile } from './users';

export interface SimulatedMessage {
  topic: TopicName;
  /** user_id for clickstream, order_id for orders, sku for inventory. */
  key: string;
  /** UTF-8 JSON (or deliberately broken bytes). */
  value: Buffer;
  /** Event time. */
  timestampMs: number;
  valid: boolean;
  invalidKind?: InvalidKind;
}

export interface StorefrontOptions {
  seed: number;
  users: number;
  skus: number;
  /** Share of messages deliberately malformed, 0..1. */
  invalidRate: number;
  /** Simulated start time (epoch ms). */
  startMs: number;
  /** Target average message rate (all topics) in simulated time; default 50. */
  eventsPerSec?: number;
  /** Daily/weekly traffic curve; default true. Off = flat rate (e.g. live production at a fixed rate). */
  seasonality?: boolean;
  /** Promotion calendar; default true. */
  promotions?: boolean;
  /**
   * Simulate this much time before `startMs` without emitting, so the output starts in steady state
   * (sessions already in flight) instead of ramping up. Default 0.
   */
  warmupMs?: number;
  /** Each SKU's stock position is published once per interval; default 1 h. */
  inventoryIntervalMs?: number;
  /**
   * Clickstream events before this time are not emitted (an order-only history: orders, cancellations
   * and stock positions only); the process is the same. Default: everything from `startMs`.
   * `Infinity` = orders only throughout.
   */
  clickstreamFromMs?: number;
  /**
   * true: the inventory follows replenishment recommendations given to {@link Storefront.applyRecommendation}
   * (its fixed reorder-point policy off per SKU from the first one); default false (fixed policy only).
   */
  followRecommendations?: boolean;
  /**
   * Run the counterfactual shadow inventory beside the real one ({@link ShadowInventory}: the same
   * demand, always the fixed policy; it only counts). Default: `followRecommendations`.
   */
  shadowFixedPolicy?: boolean;
}

const DAY_MS = 86_400_000;
const CURRENCY = 'EUR';

const ARRIVAL = 0;
const SESSION = 1;
const CANCEL = 2;
const INV_TICK = 3;
const RESTOCK = 4;
const INV_EMIT = 5;

interface SessionState {
  id: string;
  user: UserProfile;
  steps: Step[];
  i: number;
  /** When the session started (the shadow's out-of-stock rule for its order lines). */
  startedAt: number;
}

interface Cancellation {
  orderId: string;
  userId: string;
  /** The lines sold by the real shop (none: the order was not placed, only the shadow sold). */
  items: OrderLine[];
  /** Units the shadow sold per line of the order as wanted (sku, qty), given back on cancel. */
  shadow: OrderLine[] | undefined;
}

class Entry {
  constructor(
    public t: number,
    public seq: number,
    readonly kind: number,
    readonly sku: number,
    readonly session: SessionState | undefined,
    readonly cancel: Cancellation | undefined,
    /** RESTOCK: the units of the purchase order that arrives. */
    readonly qty = 0,
  ) {}
}

type Json = Record<string, unknown>;

/**
 * A deterministic storefront: a discrete-event simulation (one heap of timed actors: session
 * arrivals, sessions, cancellations, stock ticks and replenishments) that turns into Kafka-ready
 * messages. The same options always give byte-identical output, however `next` is chunked.
 *
 * Streams: the catalogue and the users depend on `seed` only (stable across restarts); behaviour,
 * ids and malformations depend on (seed, startMs), so two live runs never reuse event/session ids.
 */
export class Storefront {
  readonly catalogue: ReadonlyArray<CatalogueItem>;
  private readonly cat: Catalogue;
  private readonly users: Users;
  private readonly inventory: Inventory;
  /** The "without StorePulse" ledger (shadowFixedPolicy), created with the opening stock. */
  private shadow: ShadowInventory | undefined;
  private readonly wantShadow: boolean;
  private readonly promos: Promotions;
  private readonly beh: Prng;
  private readonly ids: Prng;
  private readonly mal: Prng;
  private readonly heap = new MinHeap<Entry>();
  private readonly runTag: string;
  private readonly invalidRate: number;
  private readonly useSeasonality: boolean;
  private readonly invIntervalMs: number;
  private readonly emitFromMs: number;
  private readonly clickFromMs: number;
  private readonly skuIndex = new Map<string, number>();
  private readonly shape: SessionShape;
  private sessionsPerMs = 0;
  private seq = 0;
  private sessions = 0;
  private orders = 0;
  private invCursor = 0;
  private clock: number;

  constructor(opts: StorefrontOptions) {
    const { seed, users, skus, invalidRate, startMs } = opts;
    if (!Number.isInteger(users) || users < 1)
      throw new RangeError('users must be an integer >= 1');
    if (!Number.isInteger(skus) || skus < 1) throw new RangeError('skus must be an integer >= 1');
    if (!(invalidRate >= 0 && invalidRate <= 1))
      throw new RangeError('invalidRate must be in [0, 1]');
    if (!Number.isFinite(startMs)) throw new RangeError('startMs must be a finite epoch ms');
    this.invalidRate = invalidRate;
    this.useSeasonality = opts.seasonality ?? true;
    this.invIntervalMs = opts.inventoryIntervalMs ?? DEFAULT_INVENTORY_INTERVAL_MS;
    this.cat = new Catalogue(seed, skus);
    this.catalogue = this.cat.items;
    this.users = new Users(seed, users);
    const streams = runStreams(seed, startMs);
    this.runTag = streams.runTag;
    this.beh = streams.beh;
    this.ids = streams.ids;
    this.mal = streams.mal;
    this.inventory = new Inventory(
      this.cat,
      new Prng(hash32(seed, 0x1471)),
      opts.followRecommendations ?? false,
      startMs,
    );
    this.wantShadow = opts.shadowFixedPolicy ?? opts.followRecommendations ?? false;
    this.cat.items.forEach((it, i) => this.skuIndex.set(it.sku, i));
    const warmup = Math.max(0, opts.warmupMs ?? 0);
    this.promos = new Promotions(
      this.cat,
      streams.promo,
      startMs - warmup,
      opts.promotions ?? true,
    );

    // Calibrate the session rate: how many messages and units does an average session produce?
    this.shape = sessionShape(seed, this.cat, this.users, startMs);

    this.emitFromMs = startMs;
    this.clickFromMs = Math.max(startMs, opts.clickstreamFromMs ?? startMs);
    this.clock = startMs;
    this.setRate(opts.eventsPerSec ?? DEFAULT_EVENTS_PER_SEC);
    this.schedule(startMs - warmup, ARRIVAL);
    this.schedule(startMs + this.beh.next() * (this.invIntervalMs / skus), INV_TICK);
  }

  /** Simulated time reached so far. */
  get now(): number {
    return this.clock;
  }

  /** Promotions scheduled so far (up to the simulated time reached). */
  get promotions(): readonly Promotion[] {
    return this.promos.calendar;
  }

  /** Whether the inventory follows replenishment recommendations. */
  get followsRecommendations(): boolean {
    return this.inventory.follow;
  }

  /** The SKU's current stock position (index into `catalogue`). */
  stock(sku: number): StockPosition {
    return this.inventory.position(sku);
  }

  /** Whether the SKU is on the fixed reorder-point policy (always, unless following recommendations). */
  onFixedPolicy(sku: number): boolean {
    return this.inventory.fixedPolicy(sku);
  }

  /** Index of a SKU id in `catalogue`, or undefined. */
  indexOf(skuId: string): number | undefined {
    return this.skuIndex.get(skuId);
  }

  /** Inventory KPIs from `startMs` (or the last {@link resetKpis}) to the simulated time reached. */
  kpis(): InventoryKpis {
    return this.inventory.kpis(this.clock);
  }

  /**
   * The counterfactual shadow inventory's KPIs over the same span as {@link kpis}: the same demand,
   * always the fixed policy (LOOP.md, "Shadow"); null when it does not run (shadowFixedPolicy off).
   */
  fixedPolicyKpis(): InventoryKpis | null {
    return this.shadow ? this.shadow.kpis(this.clock) : null;
  }

  /** Restarts the inventory KPIs at the simulated time reached (e.g. after a warm-up span). */
  resetKpis(): void {
    this.inventory.resetKpis(this.clock);
    this.shadow?.resetKpis(this.clock);
  }

  /**
   * The external inventory system receives a replenishment recommendation at the simulated time
   * reached (follow mode). A stale one (its stock.ts older than the SKU's last purchase order or
   * arrival, or than `startMs`) or one already placed is ignored. From the first accepted
   * recommendation on, the SKU's fixed policy is off; `reorder` with a positive quantity places a
   * purchase order: on_order rises now (a stock message is published) and the goods arrive
   * `lead_time_days` later (on_hand up, on_order down, published).
   */
  applyRecommendation(
    rec: Pick<
      ReplenishmentMessage,
      'recommendation_id' | 'sku' | 'action' | 'recommended_order_qty' | 'stock'
    >,
  ): RecommendationOutcome {
    const sku = this.skuIndex.get(rec.sku);
    if (sku === undefined) return 'unknown_sku';
    const t = this.clock;
    const outcome = this.inventory.placeRecommended(
      sku,
      {
        id: rec.recommendation_id,
        reorder: rec.action === 'reorder',
        qty: rec.recommended_order_qty,
        stockTsMs: Date.parse(rec.stock.ts),
      },
      t,
    );
    if (outcome === 'placed') this.purchaseOrderPlaced(sku, rec.recommended_order_qty, t);
    return outcome;
  }

  /** Changes the target average message rate (per simulated second, all topics). */
  setRate(eventsPerSec: number): void {
    if (!(eventsPerSec >= 0) || !Number.isFinite(eventsPerSec)) {
      throw new RangeError('eventsPerSec must be a finite number >= 0');
    }
    const sessionsPerSec = sessionsPerSecond(
      eventsPerSec,
      this.shape,
      this.cat.size,
      this.invIntervalMs,
    );
    const wasIdle = this.sessionsPerMs === 0;
    this.sessionsPerMs = sessionsPerSec / 1000;
    this.inventory.configure(sessionsPerSec * 86_400 * this.shape.unitsPerSession);
    // The shadow starts from the opening stock (set again by configure until the first sale).
    if (this.wantShadow && !this.inventory.started)
      this.shadow = new ShadowInventory(this.inventory, this.emitFromMs);
    // An idle arrival process has no pending arrival: restart it.
    if (wasIdle && this.sessionsPerMs > 0 && this.seq > 0) this.schedule(this.clock, ARRIVAL);
  }

  /** Advances simulated time to `untilMs`, returning at most `max` messages in event-time order. */
  next(max: number, untilMs: number): SimulatedMessage[] {
    const out: SimulatedMessage[] = [];
    const heap = this.heap;
    while (out.length < max) {
      const top = heap.peek();
      if (top === undefined || top.t > untilMs) break;
      heap.pop();
      this.handle(top, top.t >= this.emitFromMs ? out : undefined);
    }
    const head = heap.peek();
    this.clock = Math.max(this.clock, out.length < max || head === undefined ? untilMs : head.t);
    return out;
  }

  /** Advances simulated time to `untilMs` without producing messages (state still evolves). */
  skipTo(untilMs: number): number {
    let skipped = 0;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.t > untilMs) break;
      this.heap.pop();
      this.handle(top, undefined);
      skipped++;
    }
    this.clock = Math.max(this.clock, untilMs);
    return skipped;
  }

  /** Generates history from the current simulated time to `endMs` at ~eventsPerDay (seasonality applied). */
  *history(endMs: number, eventsPerDay: number, chunk = 10_000): Generator<SimulatedMessage[]> {
    this.setRate(eventsPerDay / 86_400);
    for (;;) {
      const batch = this.next(chunk, endMs);
      if (batch.length === 0) return;
      yield batch;
    }
  }

  private schedule(
    t: number,
    kind: number,
    sku = -1,
    s?: SessionState,
    c?: Cancellation,
    qty = 0,
  ): void {
    this.heap.push(new Entry(t, this.seq++, kind, sku, s, c, qty));
  }

  private handle(e: Entry, out: SimulatedMessage[] | undefined): void {
    switch (e.kind) {
      case ARRIVAL:
        this.arrive(e);
        return;
      case SESSION:
        this.step(e, out);
        return;
      case CANCEL: {
        const c = e.cancel as Cancellation;
        for (const it of c.items) this.inventory.giveBack(it.sku, it.qty, e.t);
        if (this.shadow && c.shadow)
          for (const it of c.shadow) this.shadow.giveBack(it.sku, it.qty, e.t);
        if (c.items.length === 0) return; // only the shadow had sold: nothing to publish
        if (out) out.push(this.orderMessage('order_cancelled', c.orderId, c.userId, c.items, e.t));
        return;
      }
      case INV_TICK: {
        const sku = this.invCursor;
        this.invCursor = (sku + 1) % this.cat.size;
        if (out) out.push(this.stockMessage(sku, e.t));
        e.t += this.invIntervalMs / this.cat.size;
        e.seq = this.seq++;
        this.heap.push(e);
        return;
      }
      case RESTOCK:
        this.inventory.receive(e.sku, e.qty, e.t);
        if (out) out.push(this.stockMessage(e.sku, e.t));
        return;
      case INV_EMIT:
        if (out) out.push(this.stockMessage(e.sku, e.t));
        return;
    }
  }

  private arrive(e: Entry): void {
    const t = e.t;
    const rng = this.beh;
    const user = this.users.pick(rng);
    this.inventory.loseSessionDemand(this.shape.unitsPerSession, t);
    // The SKUs out in the real shop: their expected units are demand in the shadow too; those out
    // in the shadow only lose their expected share there (the real shop's rule, LOOP.md).
    this.shadow?.sessionStart(this.inventory, this.shape.unitsPerSession, t);
    const steps = planSession(
      { catalogue: this.cat, inventory: this.inventory, promotions: this.promos.at(t) },
      rng,
      user,
      t,
    );
    const s: SessionState = {
      id: `s-${this.runTag}-${(++this.sessions).toString(36)}`,
      user,
      steps,
      i: 0,
      startedAt: t,
    };
    if (t >= this.emitFromMs) this.schedule(t, SESSION, -1, s);
    else {
      // Warm-up: skip the steps before the emission start without going through the heap.
      while (s.i < steps.length && (steps[s.i]?.at ?? 0) < this.emitFromMs) s.i++;
      const first = steps[s.i];
      if (first) this.schedule(first.at, SESSION, -1, s);
    }
    const rate = this.sessionsPerMs * (this.useSeasonality ? seasonality(t) : 1);
    if (rate > 0) {
      e.t = t + rng.exp(1 / rate);
      e.seq = this.seq++;
      this.heap.push(e);
    }
  }

  private step(e: Entry, out: SimulatedMessage[] | undefined): void {
    const s = e.session as SessionState;
    const st = s.steps[s.i++];
    const t = e.t;
    if (st.type === 'order_placed') {
      // No back-orders: a line gets what is on hand, the rest is lost; no line left = no order.
      const items: OrderLine[] = [];
      const shadow = this.shadow;
      const shadowLines: OrderLine[] | undefined = shadow ? [] : undefined;
      for (const it of st.items ?? []) {
        if (shadow && shadowLines) {
          const q = shadow.orderLine(it.sku, it.qty, t, s.startedAt);
          if (q > 0) shadowLines.push({ ...it, qty: q });
        }
        const sold = this.inventory.sell(it.sku, it.qty, t);
        if (sold > 0) items.push(sold === it.qty ? it : { ...it, qty: sold });
        const qty = this.inventory.fixedReorder(it.sku, t);
        if (qty > 0) this.purchaseOrderPlaced(it.sku, qty, t);
      }
      const cancel = this.beh.chance(CANCEL_RATE);
      const cancelAt = cancel ? t + 600_000 + Math.round(this.beh.exp(20 * 3_600_000)) : 0;
      if (items.length > 0) {
        const orderId = `o-${this.runTag}-${(++this.orders).toString(36)}`;
        if (cancel)
          this.schedule(cancelAt, CANCEL, -1, undefined, {
            orderId,
            userId: s.user.id,
            items,
            shadow: shadowLines,
          });
        if (out) out.push(this.orderMessage('order_placed', orderId, s.user.id, items, t));
      } else if (cancel && shadowLines && shadowLines.length > 0) {
        // Placed in the shadow only: its cancellation gives the shadow's units back, publishes nothing
        // (no id drawn: the ids stream is untouched).
        this.schedule(cancelAt, CANCEL, -1, undefined, {
          orderId: '',
          userId: s.user.id,
          items: [],
          shadow: shadowLines,
        });
      }
    } else if (out && t >= this.clickFromMs) {
      out.push(this.clickMessage(s, st, t));
    }
    const nxt = s.steps[s.i];
    if (nxt) {
      e.t = nxt.at;
      e.seq = this.seq++;
      this.heap.push(e);
    }
  }

  /** on_order rose at t (published now); the goods arrive after the SKU's lead time. */
  private purchaseOrderPlaced(sku: number, qty: number, t: number): void {
    this.schedule(t, INV_EMIT, sku);
    this.schedule(
      t + (this.inventory.leadTimeDays[sku] ?? 1) * DAY_MS,
      RESTOCK,
      sku,
      undefined,
      undefined,
      qty,
    );
  }

  private clickMessage(s: SessionState, st: Step, t: number): SimulatedMessage {
    const eventId = uuidV4(this.ids);
    const ts = new Date(t).toISOString();
    const sku = st.sku >= 0 ? this.cat.items[st.sku]?.sku : undefined;
    const category = st.category >= 0 ? this.cat.categoryName(st.category) : undefined;
    const topic = TOPICS.clickstream;
    if (this.invalidRate > 0 && this.mal.next() < this.invalidRate) {
      const o: Json = {
        event_id: eventId,
        type: st.type,
        user_id: s.user.id,
        session_id: s.id,
        ts,
      };
      if (sku !== undefined) {
        o['sku'] = sku;
        o['price'] = st.price;
      }
      if (category !== undefined) o['category'] = category;
      if (st.query !== undefined) o['query'] = st.query;
      const { kind, value } = malform(topic, o, this.mal);
      return { topic, key: s.user.id, value, timestampMs: t, valid: false, invalidKind: kind };
    }
    // Hot path: hand-built JSON (ids, types, SKUs and category names never need escaping);
    // same bytes as JSON.stringify of the object above.
    let json = `{"event_id":"${eventId}","type":"${st.type}","user_id":"${s.user.id}","session_id":"${s.id}","ts":"${ts}"`;
    if (sku !== undefined) json += `,"sku":"${sku}","price":${JSON.stringify(st.price)}`;
    if (category !== undefined) json += `,"category":"${category}"`;
    if (st.query !== undefined) json += `,"query":${JSON.stringify(st.query)}`;
    json += '}';
    return { topic, key: s.user.id, value: Buffer.from(json, 'utf8'), timestampMs: t, valid: true };
  }

  private orderMessage(
    type: 'order_placed' | 'order_cancelled',
    orderId: string,
    userId: string,
    items: readonly OrderLine[],
    t: number,
  ): SimulatedMessage {
    const o: Json = {
      event_id: uuidV4(this.ids),
      type,
      order_id: orderId,
      user_id: userId,
      ts: new Date(t).toISOString(),
      currency: CURRENCY,
      items: items.map((it) => ({
        sku: this.cat.items[it.sku]?.sku,
        qty: it.qty,
        unit_price: it.unitPrice,
        category: this.cat.categoryName(this.cat.categoryOf[it.sku] ?? 0),
      })),
    };
    return this.message(TOPICS.orders, orderId, o, t);
  }

  private stockMessage(sku: number, t: number): SimulatedMessage {
    const id = this.cat.items[sku]?.sku ?? '';
    const o: Json = { sku: id, ...this.inventory.position(sku), ts: new Date(t).toISOString() };
    return this.message(TOPICS.inventory, id, o, t);
  }

  private message(topic: TopicName, key: string, o: Json, t: number): SimulatedMessage {
    if (this.invalidRate > 0 && this.mal.next() < this.invalidRate) {
      const { kind, value } = malform(topic, o, this.mal);
      return { topic, key, value, timestampMs: t, valid: false, invalidKind: kind };
    }
    return {
      topic,
      key,
      value: Buffer.from(JSON.stringify(o), 'utf8'),
      timestampMs: t,
      valid: true,
    };
  }
}
