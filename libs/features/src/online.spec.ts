import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKSTREAM_TYPES } from '@storepulse/contracts';
import { featuresOf } from './catalog';
import { OnlineFeatureStore, type OnlineClick, type OnlineOrderLine } from './online';
import { ReferenceFeatures, type RefClick, type RefOrderLine } from './reference';

/** A ClickHouse stand-in whose queries return no rows (an empty store to warm up from). */
const emptyClickHouse = {
  query: () => Promise.resolve({ json: () => Promise.resolve([]) }),
} as unknown as ClickHouseClient;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 20, 12, 0, 0);

const click = (tsMs: number, type = 'product_view', sku = 'S1'): OnlineClick => ({
  userId: 'u',
  type,
  sku,
  category: 'c',
  tsMs,
});
const line = (tsMs: number, lineNo: number, qty: number, unitPrice: number): OnlineOrderLine => ({
  userId: 'u',
  type: 'order_placed',
  lineNo,
  qty,
  unitPrice,
  tsMs,
});

describe('online feature tier (unit, no ClickHouse rows)', () => {
  it('applies live rows in any order, merges buckets like the rollups, and evicts by the clock', async () => {
    let now = T;
    const online = new OnlineFeatureStore(emptyClickHouse, { now: () => now, pipeline: 'p' });
    // a chunk that arrives before the warm-up is queued, then applied (not in the empty snapshot)
    online.onStored({ topic: 't', partition: 0, firstOffset: 0, clicks: [click(T - HOUR)] });
    await online.warmUp();
    assert.equal(online.status().state, 'ready');
    online.onStored({
      topic: 't',
      partition: 0,
      firstOffset: 1,
      // out of time order, same SKU twice (distinct = 1), one event 20 days back
      clicks: [
        click(T - 2 * HOUR + 5_000),
        click(T - 20 * DAY),
        click(T - 2 * HOUR, 'add_to_cart'),
      ],
    });
    online.onStored({
      topic: 'o',
      partition: 0,
      firstOffset: 0,
      orderLines: [line(T - 3 * HOUR, 0, 2, 19.99), line(T - 3 * HOUR, 1, 1, 0.01)],
    });
    assert.equal(online.status().appliedRows, 6);
    const [f] = online.lookup(['u'], T);
    assert.equal(f.found, true);
    assert.equal(f.features.user_events_24h, 3);
    assert.equal(f.features.user_events_28d, 4);
    assert.equal(f.features.user_distinct_skus_viewed_24h, 1);
    assert.equal(f.features.user_orders_24h, 1);
    assert.equal(f.features.user_units_24h, 3);
    assert.equal(f.features.user_spend_24h, 39.99);
    assert.equal(f.features.user_seconds_since_last_event, 3600);
    assert.equal(f.features.user_sessions_24h, 2); // [T−2h, T−2h+5s] and [T−1h]
    assert.equal(online.lookup(['nobody'], T)[0].found, false);

    // ten days later: the 20-day-old event leaves the horizon on eviction
    now = T + 10 * DAY;
    assert.equal(online.covers(now), true, 'still covered: live rows kept it complete');
    online.evict();
    assert.equal(online.covers(now), true);
    assert.equal(online.covers(T), false, 'the horizon no longer reaches 28 days before T');
    const [g] = online.lookup(['u'], now);
    assert.equal(g.features.user_events_28d, 3);
    assert.equal(g.features.user_seconds_since_last_event, 10 * 86_400 + 3_600);
    const st = online.status();
    assert.equal(st.buckets, 3, 'minute buckets: two of clicks, one of orders');
    assert.equal(st.hourBuckets, 3, 'hour buckets: T−2h and T−1h of clicks, one of orders');
    assert.ok(st.bytes > 0 && st.bytes % 8 === 0, `${st.bytes} bytes of Float64 arrays`);
    online.onStored({ topic: 't', partition: 0, firstOffset: 2, clicks: [click(now - 60_000)] });
    assert.equal(online.status().buckets, 4, 'a live click in a new minute adds a bucket');
    assert.ok(online.status().bytes >= st.bytes, 'bytes never shrink while buckets are added');
  });

  it('skips chunks the warm-up snapshot already holds (done before it)', async () => {
    const snapshotSaysDone = {
      query: ({ query }: { query: string }) =>
        Promise.resolve({
          json: () =>
            Promise.resolve(query.includes('ingest_ledger') ? [{ tp: 't/0', m: '99' }] : []),
        }),
    } as unknown as ClickHouseClient;
    const online = new OnlineFeatureStore(snapshotSaysDone, { now: () => T, pipeline: 'p' });
    online.onStored({ topic: 't', partition: 0, firstOffset: 50, clicks: [click(T - HOUR)] });
    await online.warmUp();
    online.onStored({ topic: 't', partition: 0, firstOffset: 100, clicks: [click(T - HOUR)] });
    assert.deepEqual([online.status().skippedRows, online.status().appliedRows], [1, 1]);
    assert.equal(online.lookup(['u'], T)[0].features.user_events_24h, 1);
  });

  it('equals the raw-event reference for every user feature: random histories fed out of order, at several times, objects and matrix', async () => {
    // a small deterministic PRNG (mulberry32)
    let seed = 7;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number) => Math.floor(rnd() * n);
    const now = T;
    const clicks: RefClick[] = [];
    const orders: RefOrderLine[] = [];
    for (let u = 0; u < 40; u++) {
      const userId = `u${u}`;
      // bursts of activity (sessions) over 27 days, some in the last hour; heavy and light users
      const bursts = 1 + int(u % 5 === 0 ? 60 : 8);
      for (let b = 0; b < bursts; b++) {
        let ts = now - int(27 * DAY) - 1;
        if (b === 0 && u % 3 === 0) ts = now - int(HOUR);
        const n = 1 + int(12);
        for (let e = 0; e < n && ts < now; e++) {
          const type = CLICKSTREAM_TYPES[int(CLICKSTREAM_TYPES.length)];
          // few SKUs and categories: many repeats inside one bucket and across buckets
          const sku = type === 'product_view' || type === 'add_to_cart' ? `S${int(9)}` : '';
          clicks.push({
            type,
            userId,
            sku,
            category: sku ? `c${int(3)}` : '',
            price: null,
            tsMs: ts,
          });
          if (type === 'add_to_cart' && rnd() < 0.4) {
            const orderId = `o${u}-${b}-${e}`;
            const lines = 1 + int(3);
            const ots = ts + int(40) * 60_000;
            const cancelled = rnd() < 0.2;
            for (let l = 0; l < lines; l++) {
              const line = {
                orderId,
                userId,
                sku: `S${int(9)}`,
                category: 'c0',
                lineNo: l,
                qty: 1 + int(3),
                unitPrice: (1 + int(9_999)) / 100,
              };
              orders.push({ ...line, type: 'order_placed', tsMs: ots });
              if (cancelled)
                orders.push({ ...line, type: 'order_cancelled', tsMs: ots + 5 * 60_000 });
            }
          }
          ts += int(rnd() < 0.15 ? 50 * 60_000 : 4 * 60_000) + int(1000);
        }
      }
    }
    const live = (xs: RefClick[]) =>
      xs.map((c): OnlineClick => ({
        userId: c.userId,
        type: c.type,
        sku: c.sku,
        category: c.category,
        tsMs: c.tsMs,
      }));
    const liveOrders = (xs: RefOrderLine[]) =>
      xs.map((o): OnlineOrderLine => ({
        userId: o.userId,
        type: o.type,
        lineNo: o.lineNo,
        qty: o.qty,
        unitPrice: o.unitPrice,
        tsMs: o.tsMs,
      }));
    // shuffled, in chunks: rows reach the tier in no particular time order
    const shuffled = <X>(xs: X[]) => {
      const a = [...xs];
      for (let i = a.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    };
    let clock = now;
    const online = new OnlineFeatureStore(emptyClickHouse, { now: () => clock });
    await online.warmUp();
    const sc = shuffled(clicks);
    const so = shuffled(orders);
    for (let k = 0; k < 10; k++) {
      const part = <X>(xs: X[]) => xs.slice((k * xs.length) / 10, ((k + 1) * xs.length) / 10);
      online.onStored({ topic: 'c', partition: 0, firstOffset: k, clicks: live(part(sc)) });
      online.onStored({
        topic: 'o',
        partition: 0,
        firstOffset: k,
        orderLines: liveOrders(part(so)),
      });
    }
    const ref = new ReferenceFeatures('user', { clicks, orders, inventory: [] });
    // every user feature, the lifetime ones included (no ClickHouse rows: the accumulators start empty)
    const defs = featuresOf('user');
    assert.deepEqual(
      online.features,
      defs.map((f) => f.name),
    );
    const ids = [...ref.ids(), 'nobody'];
    const close = (a: number | null, b: number | null) =>
      a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    let compared = 0;
    let nonZero = 0;
    const check = (t: number) => {
      const rows = online.lookup(ids, t);
      const m = online.lookupMatrix(ids, t);
      assert.deepEqual(
        m.features,
        defs.map((f) => f.name),
      );
      rows.forEach((r, i) => {
        // found: any event before the start of t's minute, within the tier's horizon
        const minute = Math.floor(t / 60_000) * 60_000;
        const from = online.status().coveredFromMs ?? -Infinity;
        const before = (x: { userId: string; tsMs: number }) =>
          x.userId === r.id && x.tsMs < minute && x.tsMs >= from;
        assert.equal(r.found, clicks.some(before) || orders.some(before), `found ${r.id}`);
        assert.equal(m.found[i], r.found ? 1 : 0);
        defs.forEach((f, k) => {
          const want = r.id === 'nobody' ? r.features[f.name] : ref.value(f, r.id, t);
          const got = r.features[f.name];
          assert.ok(
            close(got, want),
            `${r.id} ${f.name} at ${new Date(t).toISOString()}: ${got} != ${want}`,
          );
          const x = m.values[i * defs.length + k];
          assert.equal(Number.isNaN(x) ? null : x, got, `matrix ${r.id} ${f.name}`);
          compared++;
          if (got !== null && got !== 0) nonZero++;
        });
      });
    };
    for (const t of [now, now - 17 * 60_000 + 1234, now - 5 * HOUR, now - 20 * HOUR - 59_999])
      check(t);
    // nine days later, after eviction: the same answers as the reference (which still has every
    // event) — the buckets older than the horizon were folded into the lifetime accumulators
    clock = now + 9 * DAY + 7 * 60_000;
    const bucketsBefore = online.status().buckets;
    online.evict();
    assert.ok(online.status().buckets < bucketsBefore * 0.9, 'a third of the history was evicted');
    check(clock);
    const lt = online.lookup(ids, clock);
    assert.ok(
      lt.some((r) => (r.features.user_orders_lifetime ?? 0) > (r.features.user_orders_28d ?? 0)),
      'lifetime counts evicted orders',
    );
    assert.ok(lt.some((r) => (r.features.user_first_seen_days ?? 0) > 29));
    // a live row older than the horizon: the rollups have it, the accumulator not (FeatureStore asks ClickHouse)
    assert.equal(online.lifetimeExact('u1'), true);
    online.onStored({
      topic: 'c',
      partition: 0,
      firstOffset: 99,
      clicks: [{ userId: 'u1', type: 'page_view', sku: '', category: '', tsMs: now - 40 * DAY }],
    });
    assert.equal(online.lifetimeExact('u1'), false);
    assert.equal(online.lifetimeExact('u2'), true);
    assert.ok(compared > 40 * defs.length * 5);
    assert.ok(
      nonZero > compared / 4,
      `values must not be trivial (${nonZero} of ${compared} non-zero)`,
    );
  });

  it('pending rows fold into a lookup exactly as if stored, without changing the tier', async () => {
    let seed = 11;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const int = (n: number) => Math.floor(rnd() * n);
    const clicks: OnlineClick[] = [];
    const lines: OnlineOrderLine[] = [];
    for (let u = 0; u < 30; u++)
      for (let e = 0; e < 5 + int(40); e++) {
        // most in the last day (minute buckets), some weeks back, a few within the last minute
        const ts = T - (rnd() < 0.2 ? int(20 * DAY) : rnd() < 0.2 ? int(60_000) : int(DAY)) - 1;
        const type = CLICKSTREAM_TYPES[int(CLICKSTREAM_TYPES.length)];
        clicks.push({ userId: `u${u}`, type, sku: `S${int(6)}`, category: `c${int(3)}`, tsMs: ts });
        if (rnd() < 0.1)
          for (let l = 0; l < 1 + int(3); l++)
            lines.push({
              userId: `u${u}`,
              type: rnd() < 0.85 ? 'order_placed' : 'order_cancelled',
              lineNo: l,
              qty: 1 + int(4),
              unitPrice: (1 + int(5_000)) / 100,
              tsMs: ts + 30_000,
            });
      }
    const all = new OnlineFeatureStore(emptyClickHouse, { now: () => T });
    const part = new OnlineFeatureStore(emptyClickHouse, { now: () => T });
    await Promise.all([all.warmUp(), part.warmUp()]);
    all.onStored({ topic: 'c', partition: 0, firstOffset: 0, clicks, orderLines: lines });
    // the tier holds ~60 %; the rest is pending (what the scorer consumed, not stored yet)
    const stored = (i: number) => i % 5 < 3;
    part.onStored({
      topic: 'c',
      partition: 0,
      firstOffset: 0,
      lastOffset: 9,
      clicks: clicks.filter((_, i) => stored(i)),
      orderLines: lines.filter((_, i) => stored(i)),
    });
    const pending = new Map<string, { clicks: OnlineClick[]; orderLines: OnlineOrderLine[] }>();
    const of = (u: string) => {
      let p = pending.get(u);
      if (!p) pending.set(u, (p = { clicks: [], orderLines: [] }));
      return p;
    };
    clicks.forEach((c, i) => stored(i) || of(c.userId).clicks.push(c));
    lines.forEach((l, i) => stored(i) || of(l.userId).orderLines.push(l));
    const ids = [...Array.from({ length: 30 }, (_, u) => `u${u}`), 'nobody'];
    const before = part.lookupMatrix(ids, T);
    let differs = 0;
    for (const t of [T, T - 60_000, T - 3 * HOUR]) {
      const want = all.lookupMatrix(ids, t);
      const got = part.lookupMatrix(ids, t, pending);
      assert.deepEqual([...got.found], [...want.found], `found at ${t}`);
      for (let k = 0; k < want.values.length; k++) {
        const [a, b] = [got.values[k], want.values[k]];
        if (Number.isNaN(b)) assert.ok(Number.isNaN(a));
        else
          assert.ok(
            Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
            `${want.features[k % want.features.length]} of ${ids[Math.floor(k / want.features.length)]} at ${t}: ${a} vs ${b}`,
          );
      }
      if (t === T)
        for (let k = 0; k < want.values.length; k++)
          if (!Object.is(before.values[k], want.values[k])) differs++;
    }
    assert.ok(differs > 100, `the pending rows change many values (${differs})`);
    // the tier itself is unchanged: the same answer as before the pending lookups
    assert.deepEqual([...part.lookupMatrix(ids, T).values], [...before.values]);
    // which offsets it holds: the chunk's range
    assert.equal(part.isApplied('c', 0, 0), true);
    assert.equal(part.isApplied('c', 0, 9), true);
    assert.equal(part.isApplied('c', 0, 10), false);
    assert.equal(part.isApplied('c', 1, 0), false);
  });
});
