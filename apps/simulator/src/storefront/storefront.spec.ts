import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStorefront, TOPICS, TOPIC_SPECS } from '@storepulse/contracts';
import { INVALID_KINDS, Storefront, type SimulatedMessage, type StorefrontOptions } from './index';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-23 00:00 UTC. */
const START = Date.UTC(2026, 10, 23);
const base: StorefrontOptions = {
  seed: 7,
  users: 3000,
  skus: 400,
  invalidRate: 0,
  startMs: START,
  eventsPerSec: 1,
};

type Obj = Record<string, unknown>;
const parse = (m: SimulatedMessage): Obj => JSON.parse(m.value.toString('utf8')) as Obj;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function digest(ms: readonly SimulatedMessage[]): string {
  return ms
    .map(
      (m) =>
        `${m.topic}|${m.key}|${m.timestampMs}|${m.valid}|${m.invalidKind}|${m.value.toString('base64')}`,
    )
    .join('\n');
}

/** One simulated week, shared by the statistical tests. */
let weekCache: { sf: Storefront; msgs: SimulatedMessage[]; objs: Obj[] } | undefined;
function week(): { sf: Storefront; msgs: SimulatedMessage[]; objs: Obj[] } {
  if (!weekCache) {
    const sf = new Storefront({ ...base, seed: 11 });
    const msgs: SimulatedMessage[] = [];
    for (const chunk of sf.history(START + 7 * DAY, 30_000)) for (const m of chunk) msgs.push(m);
    weekCache = { sf, msgs, objs: msgs.map(parse) };
  }
  return weekCache;
}

void describe('storefront: determinism', () => {
  void it('same options give byte-identical output, whatever the chunking', () => {
    const until = START + 12 * HOUR;
    const a = new Storefront({ ...base, invalidRate: 0.05 }).next(1e9, until);
    const sb = new Storefront({ ...base, invalidRate: 0.05 });
    const b: SimulatedMessage[] = [];
    for (;;) {
      const c = sb.next(97, until);
      if (c.length === 0) break;
      b.push(...c);
    }
    assert.ok(a.length > 1000, `generated ${a.length}`);
    assert.equal(digest(a), digest(b));
  });

  void it('a different seed gives different output; the catalogue depends on the seed only', () => {
    const until = START + HOUR;
    const a = new Storefront(base);
    const b = new Storefront({ ...base, seed: 8 });
    assert.notEqual(digest(a.next(1e9, until)), digest(b.next(1e9, until)));
    assert.notDeepEqual(a.catalogue, b.catalogue);
    const later = new Storefront({ ...base, startMs: START + DAY });
    assert.deepEqual(later.catalogue, a.catalogue);
  });

  void it('catalogue: SKU ids, ~12 categories, positive prices', () => {
    const sf = new Storefront(base);
    assert.equal(sf.catalogue.length, 400);
    assert.equal(sf.catalogue[122]?.sku, 'SKU-000123');
    assert.equal(new Set(sf.catalogue.map((c) => c.category)).size, 12);
    for (const c of sf.catalogue) assert.ok(c.basePrice > 0);
  });
});

void describe('storefront: validity', () => {
  void it('valid messages decode, invalid ones fail, at ~invalidRate, covering every kind', () => {
    const sf = new Storefront({ ...base, invalidRate: 0.1 });
    const msgs = sf.next(30_000, START + 3 * DAY);
    assert.equal(msgs.length, 30_000);
    let invalid = 0;
    const kinds = new Set<string>();
    for (const m of msgs) {
      const r = decodeStorefront(m.topic, m.value);
      assert.equal(r.ok, m.valid, `${m.invalidKind ?? 'valid'}: ${m.value.toString('utf8')}`);
      if (!m.valid) {
        invalid++;
        assert.ok(m.invalidKind);
        kinds.add(m.invalidKind);
      } else assert.equal(m.invalidKind, undefined);
    }
    const share = invalid / msgs.length;
    assert.ok(Math.abs(share - 0.1) < 0.01, `invalid share ${share}`);
    assert.deepEqual([...kinds].sort(), [...INVALID_KINDS].sort());
  });

  void it('invalidRate 0 produces only valid messages', () => {
    const msgs = new Storefront(base).next(5000, START + DAY);
    assert.ok(msgs.every((m) => m.valid));
  });

  void it('keys match the topic key field; ids and timestamps are well-formed', () => {
    const msgs = new Storefront(base).next(20_000, START + 2 * DAY);
    const keyField = new Map(TOPIC_SPECS.map((s) => [s.name as string, s.key]));
    const topics = new Set<string>();
    for (const m of msgs) {
      topics.add(m.topic);
      const o = parse(m);
      assert.equal(o[keyField.get(m.topic) ?? '?'], m.key);
      assert.equal(o['ts'], new Date(m.timestampMs).toISOString());
      if (m.topic !== TOPICS.inventory) assert.match(String(o['event_id']), UUID_V4);
    }
    assert.deepEqual(
      [...topics].sort(),
      [TOPICS.inventory, TOPICS.clickstream, TOPICS.orders].sort(),
    );
    for (let i = 1; i < msgs.length; i++) {
      assert.ok((msgs[i]?.timestampMs ?? 0) >= (msgs[i - 1]?.timestampMs ?? 0), 'event-time order');
    }
  });

  void it('timestamps are monotone within a session and a session belongs to one user', () => {
    const msgs = new Storefront(base).next(20_000, START + 2 * DAY);
    const last = new Map<string, { ts: number; user: string }>();
    for (const m of msgs) {
      if (m.topic !== TOPICS.clickstream) continue;
      const o = parse(m);
      const sid = String(o['session_id']);
      const ts = Date.parse(String(o['ts']));
      const prev = last.get(sid);
      if (prev) {
        assert.ok(ts > prev.ts, `session ${sid} goes back in time`);
        assert.equal(prev.user, o['user_id']);
      }
      last.set(sid, { ts, user: String(o['user_id']) });
    }
    assert.ok(last.size > 500);
  });
});

void describe('storefront: behaviour over a simulated week', () => {
  void it('funnel: views >= carts >= checkouts >= orders; orders reference the catalogue', () => {
    const { sf, msgs, objs } = week();
    const skus = new Set(sf.catalogue.map((c) => c.sku));
    const count: Record<string, number> = {};
    const placed = new Map<string, string>();
    let cancelled = 0;
    for (let i = 0; i < msgs.length; i++) {
      const o = objs[i];
      if (msgs[i]?.topic === TOPICS.inventory) continue;
      const type = String(o['type']);
      count[type] = (count[type] ?? 0) + 1;
      if (msgs[i]?.topic !== TOPICS.orders) continue;
      const items = o['items'] as { sku: string; qty: number; unit_price: number }[];
      const total = items.reduce((s, it) => s + it.qty * it.unit_price, 0);
      assert.ok(total > 0);
      for (const it of items) assert.ok(skus.has(it.sku), it.sku);
      const id = String(o['order_id']);
      if (type === 'order_placed') placed.set(id, JSON.stringify(items));
      else {
        cancelled++;
        assert.equal(placed.get(id), JSON.stringify(items), 'cancellation repeats the order');
      }
    }
    const n = (k: string): number => count[k] ?? 0;
    assert.ok(n('product_view') >= n('add_to_cart'));
    assert.ok(n('add_to_cart') >= n('checkout_started'));
    assert.ok(n('checkout_started') >= n('order_placed'));
    assert.ok(n('order_placed') > 100, `orders ${n('order_placed')}`);
    assert.ok(n('search') > 0 && n('page_view') > 0 && n('remove_from_cart') > 0);
    assert.ok(cancelled > 0 && cancelled < n('order_placed') * 0.1, `cancelled ${cancelled}`);
  });

  void it('volume is ~eventsPerDay and evenings are busier than early mornings', () => {
    const { msgs } = week();
    assert.ok(Math.abs(msgs.length / 7 - 30_000) < 3_000, `per day ${msgs.length / 7}`);
    const byHour = new Array<number>(24).fill(0);
    for (const m of msgs) {
      if (m.topic !== TOPICS.clickstream) continue;
      const h = new Date(m.timestampMs).getUTCHours();
      byHour[h] = (byHour[h] ?? 0) + 1;
    }
    const evening = (byHour[19] ?? 0) + (byHour[20] ?? 0) + (byHour[21] ?? 0);
    const early = (byHour[3] ?? 0) + (byHour[4] ?? 0) + (byHour[5] ?? 0);
    assert.ok(evening > 3 * early, `evening ${evening} vs early ${early}`);
    const weekend = msgs.filter((m) => [0, 6].includes(new Date(m.timestampMs).getUTCDay()));
    assert.ok(weekend.length / 2 > (msgs.length - weekend.length) / 5, 'weekends are busier');
  });

  void it('promotions lift views and carts of the promoted SKUs', () => {
    const { sf, msgs, objs } = week();
    const promos = sf.promotions.filter((p) => p.endMs <= START + 7 * DAY);
    assert.ok(promos.length >= 2, `promotions ${promos.length}`);
    let lifted = 0;
    for (const p of promos) {
      const set = new Set(p.skus);
      const share = { in: [0, 0], out: [0, 0], cartIn: [0, 0], cartOut: [0, 0] };
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        if (m.topic !== TOPICS.clickstream) continue;
        const o = objs[i];
        const during = m.timestampMs >= p.startMs && m.timestampMs < p.endMs;
        const hit = set.has(String(o['sku'])) ? 1 : 0;
        const bucket =
          o['type'] === 'product_view'
            ? during
              ? share.in
              : share.out
            : o['type'] === 'add_to_cart'
              ? during
                ? share.cartIn
                : share.cartOut
              : undefined;
        if (!bucket) continue;
        bucket[0] = (bucket[0] ?? 0) + hit;
        bucket[1] = (bucket[1] ?? 0) + 1;
      }
      const r = (b: number[]): number => (b[0] ?? 0) / Math.max(1, b[1] ?? 0);
      const viewLift = r(share.in) / Math.max(1e-9, r(share.out));
      const cartLift = r(share.cartIn) / Math.max(1e-9, r(share.cartOut));
      if (viewLift > 1.3 && cartLift > 1.3) lifted++;
      // The price is cut during the promotion.
      const view = objs.find(
        (o, i) =>
          o['type'] === 'product_view' &&
          set.has(String(o['sku'])) &&
          (msgs[i]?.timestampMs ?? 0) >= p.startMs &&
          (msgs[i]?.timestampMs ?? 0) < p.endMs,
      );
      if (view) {
        const item = sf.catalogue.find((c) => c.sku === view['sku']);
        assert.ok(Number(view['price']) < (item?.basePrice ?? 0), `${p.id} price not cut`);
      }
    }
    assert.ok(
      lifted >= Math.ceil(promos.length * 0.75),
      `${lifted}/${promos.length} promotions lifted`,
    );
  });

  void it('inventory: periodic positions per SKU, stock falls with orders and gets replenished', () => {
    const { sf, msgs, objs } = week();
    const per = new Map<string, Obj[]>();
    for (let i = 0; i < msgs.length; i++) {
      if (msgs[i]?.topic !== TOPICS.inventory) continue;
      const o = objs[i];
      const l = per.get(String(o['sku'])) ?? [];
      l.push(o);
      per.set(String(o['sku']), l);
    }
    assert.equal(per.size, sf.catalogue.length);
    const perSku = [...per.values()].map((l) => l.length);
    assert.ok(Math.min(...perSku) >= 7 * 24 - 1, `min per SKU ${Math.min(...perSku)}`);
    const reordered = [...per.values()].filter((l) => l.some((o) => Number(o['on_order']) > 0));
    assert.ok(reordered.length > 0, 'some SKUs were reordered');
    // A replenishment shows up as an on_hand increase with on_order back to 0.
    const restocked = [...per.values()].some((l) =>
      l.some(
        (o, i) =>
          i > 0 &&
          Number(o['on_hand']) > Number(l[i - 1]?.['on_hand']) &&
          Number(l[i - 1]?.['on_order']) > 0 &&
          o['on_order'] === 0,
      ),
    );
    assert.ok(restocked, 'some SKUs were restocked');
  });
});
