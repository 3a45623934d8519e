/**
 * Lifetime user features on a 400-day history in the real embedded engine: the training-set query,
 * both ClickHouse lookup variants and the online-tier path all equal the raw-event reference, the
 * bucket edge is pinned (an order at t − 1 ms counts at an hour edge t, an order at t does not), and
 * the tier-served lookup takes its lifetime columns from ClickHouse (same values as ClickHouse alone).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClickHouse,
  insertIdempotent,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { CLICKSTREAM_TYPES, toChDateTime64 } from '@storepulse/contracts';
import { testConfig } from '../../../test/support/env';
import { featuresOf, type FeatureDef } from './catalog';
import { OnlineFeatureStore } from './online';
import { ReferenceFeatures, type RefClick, type RefOrderLine } from './reference';
import { FeatureStore } from './store';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** "Now" of the online tier; history reaches 400 days back. */
const NOW = Date.UTC(2026, 10, 20, 12, 25, 17, 250);
const START = NOW - 400 * DAY;
/** An hour edge inside the tier's horizon: the edge user orders at EDGE − 1 ms and at EDGE. */
const EDGE = Date.UTC(2026, 10, 20, 9, 0, 0);
const LIMITS = { maxRows: 20_000, maxBytes: 1 << 26 };

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

describe('lifetime user features over 400 days (embedded engine)', () => {
  let ch: ClickHouseHandle;
  let store: FeatureStore;
  const clicks: RefClick[] = [];
  const orders: RefOrderLine[] = [];
  const ids: string[] = [];

  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    // deterministic history (mulberry32): bursts of clicks, orders after some add-to-carts
    let seed = 13;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number) => Math.floor(rnd() * n);
    let orderNo = 0;
    const placeOrder = (userId: string, ts: number, lines: number, type = 'order_placed') => {
      const orderId = `o-${orderNo++}`;
      for (let l = 0; l < lines; l++)
        orders.push({
          type,
          orderId,
          userId,
          sku: `S${int(20)}`,
          category: `c${int(4)}`,
          lineNo: l,
          qty: 1 + int(3),
          unitPrice: (1 + int(99_999)) / 100,
          tsMs: ts,
        });
      return orderId;
    };
    for (let u = 0; u < 30; u++) {
      const userId = `u-${String(u).padStart(2, '0')}`;
      ids.push(userId);
      const firstDay = int(390);
      // u % 6 === 5: no activity in the last 40 days (unknown to the online tier)
      const lastDay = u % 6 === 5 ? 360 : 400;
      const bursts = 3 + int(u % 4 === 0 ? 80 : 15);
      for (let b = 0; b < bursts; b++) {
        let ts = START + (firstDay + int(Math.max(1, lastDay - firstDay))) * DAY + int(DAY);
        if (b === 0) ts = START + firstDay * DAY + int(DAY);
        if (b === 1 && u % 6 !== 5) ts = NOW - int(6 * HOUR) - 1; // recent activity
        const n = 1 + int(8);
        for (let e = 0; e < n && ts < NOW; e++) {
          const type = CLICKSTREAM_TYPES[int(CLICKSTREAM_TYPES.length)];
          const sku = type === 'product_view' || type === 'add_to_cart' ? `S${int(20)}` : '';
          clicks.push({
            type,
            userId,
            sku,
            category: sku ? `c${int(4)}` : '',
            price: null,
            tsMs: ts,
          });
          if (type === 'add_to_cart' && rnd() < 0.5) {
            const ots = ts + int(20) * 60_000 + int(60_000);
            if (ots < NOW) {
              placeOrder(userId, ots, 1 + int(3));
              if (rnd() < 0.15) placeOrder(userId, ots + 60_000, 1, 'order_cancelled');
            }
          }
          ts += int(6 * 60_000) + int(1000);
        }
      }
    }
    // the edge user: first seen 300 days back, orders at EDGE − 1 ms and exactly at EDGE
    ids.push('u-edge');
    clicks.push({
      type: 'page_view',
      userId: 'u-edge',
      sku: '',
      category: '',
      price: null,
      tsMs: EDGE - 300 * DAY + 1234,
    });
    placeOrder('u-edge', EDGE - 300 * DAY + 5 * 60_000, 2);
    placeOrder('u-edge', EDGE - 1, 1);
    placeOrder('u-edge', EDGE, 3);
    // raw rows, one insert per calendar month (the raw tables are partitioned by day)
    const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);
    const byMonth = <T extends { tsMs: number }>(xs: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of xs) m.set(month(x.tsMs), [...(m.get(month(x.tsMs)) ?? []), x]);
      return m;
    };
    let offset = 0;
    for (const [mo, rows] of byMonth(clicks))
      await insertIdempotent(
        ch.client,
        'clickstream_events',
        rows.map((c) => ({
          event_id: `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`,
          type: c.type,
          user_id: c.userId,
          session_id: `s-${c.userId}`,
          ts: toChDateTime64(c.tsMs),
          sku: c.sku,
          price: null,
          category: c.category,
          query: '',
          _topic: 'storefront.clickstream.v1',
          _partition: 0,
          _offset: offset++,
        })),
        `lifetime/c/${mo}`,
        LIMITS,
      );
    for (const [mo, rows] of byMonth(orders))
      await insertIdempotent(
        ch.client,
        'order_lines',
        rows.map((o) => ({
          event_id: `00000000-0000-4000-9000-${String(offset).padStart(12, '0')}`,
          type: o.type,
          order_id: o.orderId,
          user_id: o.userId,
          ts: toChDateTime64(o.tsMs),
          currency: 'EUR',
          line_no: o.lineNo,
          sku: o.sku,
          category: o.category,
          qty: o.qty,
          unit_price: o.unitPrice,
          _topic: 'storefront.orders.v1',
          _partition: 0,
          _offset: offset++,
        })),
        `lifetime/o/${mo}`,
        LIMITS,
      );
    store = new FeatureStore(ch.client);
  });

  after(async () => {
    await ch?.close();
  });

  const defs = featuresOf('user');
  const lifetimeDefs = defs.filter((f) => f.window === 'lifetime');

  function compare(rows: { id: string; atMs: number; features: Record<string, number | null> }[]) {
    const ref = new ReferenceFeatures('user', { clicks, orders, inventory: [] });
    const byName = new Map<string, FeatureDef>(defs.map((f) => [f.name, f]));
    let nonTrivial = 0;
    for (const r of rows)
      for (const [name, got] of Object.entries(r.features)) {
        const want = ref.value(byName.get(name)!, r.id, r.atMs);
        assert.ok(
          close(got, want),
          `${name} of ${r.id} at ${new Date(r.atMs).toISOString()}: got ${got}, reference ${want}`,
        );
        if (byName.get(name)!.window === 'lifetime' && want !== null && want !== 0) nonTrivial++;
      }
    return nonTrivial;
  }

  it('training set (asOf) equals the raw-event reference for every user feature at 8 cut-offs', async () => {
    const cutoffs = [
      NOW,
      EDGE,
      EDGE + 1,
      EDGE + 30 * 60_000,
      EDGE + HOUR,
      NOW - 37 * DAY - 17 * 60_000 - 1,
      NOW - 200 * DAY + 3 * HOUR,
      NOW - 399 * DAY,
    ];
    const spine = cutoffs.flatMap((atMs) => ids.map((id) => ({ id, atMs })));
    const rows = await store.asOf('user', spine);
    assert.equal(rows.length, spine.length);
    const nonTrivial = compare(rows);
    assert.ok(nonTrivial > (spine.length * lifetimeDefs.length) / 2, `${nonTrivial} non-trivial`);
    // the lifetime reaches beyond 28 days: more orders than in the last 28 days, for some users
    const atNow = rows.filter((r) => r.atMs === NOW);
    assert.ok(
      atNow.some(
        (r) => (r.features.user_orders_lifetime ?? 0) > (r.features.user_orders_28d ?? 0) + 5,
      ),
    );
    assert.ok(atNow.some((r) => (r.features.user_first_seen_days ?? 0) > 300));
    assert.ok(atNow.some((r) => (r.features.user_days_since_last_order_lifetime ?? 0) > 28));
    assert.ok(atNow.some((r) => (r.features.user_mean_days_between_orders_lifetime ?? 0) > 1));
  });

  it('pins the bucket edge: at an hour edge t an order at t − 1 ms counts and an order at t does not', async () => {
    const at = (t: number) =>
      store.asOf('user', [{ id: 'u-edge', atMs: t }]).then(([r]) => r.features);
    const old = EDGE - 300 * DAY + 5 * 60_000;
    const edge = await at(EDGE);
    assert.equal(edge.user_orders_lifetime, 2, 'the order at t − 1 ms counts, the one at t not');
    assert.equal(edge.user_days_since_last_order_lifetime, 1 / DAY);
    assert.equal(edge.user_mean_days_between_orders_lifetime, (EDGE - 1 - old) / DAY);
    assert.equal(edge.user_first_seen_days, (EDGE - (EDGE - 300 * DAY + 1234)) / DAY);
    // within t's hour nothing of that hour counts yet (hour buckets: stale by < 1 h, documented)
    const mid = await at(EDGE + 30 * 60_000);
    assert.equal(mid.user_orders_lifetime, 2);
    assert.equal(mid.user_days_since_last_order_lifetime, (30 * 60_000 + 1) / DAY);
    // one bucket later the order at EDGE counts
    const next = await at(EDGE + HOUR);
    assert.equal(next.user_orders_lifetime, 3);
    assert.equal(next.user_days_since_last_order_lifetime, HOUR / DAY);
    assert.equal(next.user_mean_days_between_orders_lifetime, (EDGE - old) / 2 / DAY);
    // one millisecond before the edge: the order at EDGE − 1 ms is in t's own hour
    const before = await at(EDGE - 1);
    assert.equal(before.user_orders_lifetime, 1);
    assert.equal(before.user_mean_days_between_orders_lifetime, null, 'fewer than 2 orders');
    // the same through the lookup path
    const [l] = await store.lookup('user', ['u-edge'], EDGE);
    assert.equal(l.features.user_orders_lifetime, 2);
    assert.deepEqual(l.features, edge);
  });

  it('lookups (both ClickHouse variants) equal the training set', async () => {
    for (const t of [NOW, EDGE, NOW - 200 * DAY + 3 * HOUR]) {
      const offline = await store.asOf(
        'user',
        ids.map((id) => ({ id, atMs: t })),
      );
      for (const mode of ['if', 'forEach'] as const) {
        const online = await store.lookup('user', ids, t, mode);
        online.forEach((r, i) =>
          assert.deepEqual(r.features, offline[i].features, `${mode} ${r.id} at ${t}`),
        );
      }
    }
  });

  it('with the online tier: lifetime accumulators from the hour rollups + the tier’s buckets equal ClickHouse, after eviction and after a row older than the horizon', async () => {
    let clock = NOW;
    const online = new OnlineFeatureStore(ch.client, { now: () => clock });
    await online.warmUp();
    const tiered = new FeatureStore(ch.client, online);
    const same = async (t: number, what: string) => {
      assert.ok(online.covers(t), what);
      const want = await store.lookup('user', [...ids, 'nobody'], t, 'if');
      const got = await tiered.lookup('user', [...ids, 'nobody'], t);
      assert.deepEqual(got, want, `${what} at ${new Date(t).toISOString()}`);
      return got;
    };
    for (const t of [NOW, EDGE, EDGE + 30 * 60_000]) await same(t, 'after warm-up');
    assert.equal(tiered.served.online, 3);
    assert.ok(
      online.status().lifetimeUsers > ids.length / 2,
      'accumulators of users seen before the horizon',
    );
    assert.equal(tiered.served.clickhouseLifetime, 0, 'the tier answered the lifetime columns');
    // users without events in the tier's horizon were looked up in ClickHouse entirely
    assert.equal(tiered.served.clickhouse, 3);
    // the tier's own part of the lifetime is not trivial: its answers use both accumulator and buckets
    const direct = online.lookup(ids, NOW);
    assert.ok(
      direct.some(
        (r) => (r.features.user_orders_lifetime ?? 0) > (r.features.user_orders_28d ?? 0),
      ),
    );

    // three days later: buckets leave the horizon and are folded into the accumulators
    clock = NOW + 3 * DAY;
    online.evict();
    const later = await same(clock, 'after eviction');
    assert.ok(later.some((r) => (r.features.user_orders_lifetime ?? 0) > 0));
    assert.equal(tiered.served.clickhouseLifetime, 0);

    // a late order 100 days back, stored then fed live: the tier cannot place it in its accumulator
    const late = NOW - 100 * DAY;
    const row = {
      event_id: '00000000-0000-4000-a000-000000000001',
      type: 'order_placed',
      order_id: 'o-late',
      user_id: ids[0],
      ts: toChDateTime64(late),
      currency: 'EUR',
      line_no: 0,
      sku: 'S1',
      category: 'c1',
      qty: 2,
      unit_price: 10,
      _topic: 'storefront.orders.v1',
      _partition: 0,
      _offset: 10_000_000,
    };
    await insertIdempotent(ch.client, 'order_lines', [row], 'lifetime/late', LIMITS);
    online.onStored({
      topic: 'storefront.orders.v1',
      partition: 0,
      firstOffset: 10_000_000,
      orderLines: [
        { userId: ids[0], type: 'order_placed', lineNo: 0, qty: 2, unitPrice: 10, tsMs: late },
      ],
    });
    assert.equal(online.lifetimeExact(ids[0]), false);
    assert.equal(online.status().lifetimeInexact, 1);
    const before = later.find((r) => r.id === ids[0])!;
    const withLate = await same(clock, 'after a late row');
    const after1 = withLate.find((r) => r.id === ids[0])!;
    assert.equal(
      after1.features.user_orders_lifetime,
      (before.features.user_orders_lifetime ?? 0) + 1,
    );
    assert.equal(
      tiered.served.clickhouseLifetime,
      1,
      'that user’s lifetime columns from ClickHouse',
    );
    // the refresh re-reads the accumulators (the late row is in the rollups): exact in the tier again
    assert.equal(await online.refreshLifetimeBase(), true);
    assert.equal(online.lifetimeExact(ids[0]), true);
    await same(clock, 'after the refresh');
    assert.equal(tiered.served.clickhouseLifetime, 1);
  });
});
