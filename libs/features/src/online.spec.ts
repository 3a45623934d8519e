import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import { OnlineFeatureStore, type OnlineClick, type OnlineOrderLine } from './online';

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
    assert.equal(online.status().buckets, 3, 'minute buckets: two of clicks, one of orders');
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
});
