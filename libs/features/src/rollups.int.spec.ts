import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClickHouse,
  insertIdempotent,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import { testConfig } from '../../../test/support/env';
import { backfillRollups } from './backfill';
import { FeatureStore } from './store';
import { verifyRollups } from './verify';
import { reconcileChunkRollups } from './reconcile';
import { viewName, rollupTable } from './rollups';

const T0 = Date.UTC(2026, 9, 5, 0, 0, 0);
const LIMITS = { maxRows: 400, maxBytes: 1 << 24 };
const DAY = 86_400_000;

function clicks(from: number, n: number) {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return {
      event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: ['page_view', 'product_view', 'add_to_cart', 'product_view'][i % 4],
      user_id: `u-${i % 23}`,
      session_id: `s-${i % 50}`,
      ts: toChDateTime64(T0 + i * 7_000),
      sku: i % 4 === 0 ? '' : `SKU-${i % 17}`,
      price: i % 4 === 0 ? null : 5 + (i % 9),
      category: i % 4 === 0 ? '' : `cat-${i % 3}`,
      query: '',
      _topic: 'storefront.clickstream.v1',
      _partition: 0,
      _offset: i,
    };
  });
}
function orderLines(from: number, n: number) {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return {
      event_id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      type: i % 10 === 0 ? 'order_cancelled' : 'order_placed',
      order_id: `o-${Math.floor(i / 2)}`,
      user_id: `u-${Math.floor(i / 2) % 23}`,
      ts: toChDateTime64(T0 + Math.floor(i / 2) * 60_000),
      currency: 'EUR',
      line_no: i % 2,
      sku: `SKU-${i % 17}`,
      category: `cat-${i % 3}`,
      qty: 1 + (i % 3),
      unit_price: 2.5,
      _topic: 'storefront.orders.v1',
      _partition: 0,
      _offset: i,
    };
  });
}

describe('rollups: exactly-once through the materialized views', () => {
  let ch: ClickHouseHandle;

  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
  });
  after(async () => {
    await ch?.close();
  });

  async function totals() {
    const [r] = await queryRows<Record<string, string>>(
      ch.client,
      `SELECT toString((SELECT count() FROM clickstream_events)) AS raw_clicks,
              toString((SELECT sum(n_events) FROM fr_user_click_1m)) AS user_1m,
              toString((SELECT sum(n_events) FROM fr_user_click_1h)) AS user_1h,
              toString((SELECT sum(n_views) FROM fr_sku_click_1h)) AS sku_views,
              toString((SELECT sum(units) FROM fr_sku_order_1m)) AS sku_units`,
    );
    return r;
  }

  async function allOk() {
    const checks = await verifyRollups(ch.client);
    for (const c of checks) assert.ok(c.ok, `${c.table}: ${JSON.stringify(c)}`);
    return checks;
  }

  it('a retried insert with the same token counts nothing twice, in raw tables or rollups (client and embedded fast path alike)', async () => {
    const a = clicks(0, 3000);
    const o = orderLines(0, 600);
    await insertIdempotent(ch.client, 'clickstream_events', a, 'agg/c/0/0-2999', LIMITS);
    await insertIdempotent(ch.client, 'order_lines', o, 'agg/o/0/0-599', LIMITS);
    const first = await totals();
    assert.equal(first.raw_clicks, '3000');
    assert.equal(first.user_1m, '3000');
    assert.ok(ch.insertJsonLines, 'embedded engine offers the raw JSON-lines path');
    for (let k = 0; k < 3; k++) {
      // alternate the client path and the embedded fast path: same chunks, same tokens → deduplicated
      const raw = k % 2 === 0 ? ch.insertJsonLines : undefined;
      await insertIdempotent(ch.client, 'clickstream_events', a, 'agg/c/0/0-2999', LIMITS, raw);
      await insertIdempotent(ch.client, 'order_lines', o, 'agg/o/0/0-599', LIMITS, raw);
    }
    assert.deepEqual(await totals(), first);
    await allOk();
  });

  it('a crash after the raw insert but before a view’s insert is completed by the pending-chunk replay, exactly once', async () => {
    // Simulate the crash: one view is missing while the raw block lands (raw committed, rollup not).
    const b = clicks(3000, 2000);
    const token = 'agg/c/0/3000-4999';
    const mv = viewName(rollupTable('user', 'click', '1m'));
    await ch.client.command({ query: `DETACH TABLE ${mv}` });
    try {
      await insertIdempotent(ch.client, 'clickstream_events', b, token, LIMITS);
    } finally {
      await ch.client.command({ query: `ATTACH TABLE ${mv}` });
    }
    const torn = await totals();
    assert.equal(torn.raw_clicks, '5000');
    assert.equal(torn.user_1m, '3000', 'the detached view missed the block');
    assert.equal(torn.user_1h, '5000', 'the other views got it');
    // Replay (what IngestService does for a pending chunk): same rows, same token (fast path).
    await insertIdempotent(ch.client, 'clickstream_events', b, token, LIMITS, ch.insertJsonLines);
    const healed = await totals();
    assert.equal(healed.raw_clicks, '5000', 'raw block deduplicated');
    assert.equal(
      healed.user_1m,
      '5000',
      'the view ran on the deduplicated block and filled the gap',
    );
    assert.equal(healed.user_1h, '5000', 'views that already had it deduplicated it');
    await insertIdempotent(ch.client, 'clickstream_events', b, token, LIMITS);
    assert.deepEqual(await totals(), healed);
    await allOk();
  });

  const range = (first: number, last: number) => ({
    topic: 'storefront.clickstream.v1',
    partition: 0,
    first: BigInt(first),
    last: BigInt(last),
  });
  const corrected = (rs: { table: string; corrected: number }[]) =>
    Object.fromEntries(rs.filter((r) => r.corrected > 0).map((r) => [r.table, r.corrected]));

  it('torn view, token kept but part lost: the replay deduplicates it away, the reconciliation restores it exactly', async () => {
    const c = clicks(5000, 1500);
    const token = 'agg/c/0/5000-6499';
    await insertIdempotent(ch.client, 'clickstream_events', c, token, LIMITS);
    // the view's part vanishes while its block id stays in the deduplication log (what a kill between
    // the two does); whole groups go, including rows of the previous chunk sharing a boundary minute
    await ch.client.command({
      query: `ALTER TABLE fr_user_click_1m DELETE WHERE (user_id, bucket) IN
                (SELECT user_id, toStartOfMinute(ts) FROM clickstream_events WHERE _offset BETWEEN 5000 AND 6499)`,
      clickhouse_settings: { mutations_sync: '2' },
    });
    await insertIdempotent(ch.client, 'clickstream_events', c, token, LIMITS, ch.insertJsonLines);
    const torn = await totals();
    assert.equal(torn.raw_clicks, '6500');
    assert.ok(Number(torn.user_1m) <= 5000, `the replay cannot heal it: ${torn.user_1m}`);
    assert.equal(torn.user_1h, '6500');

    const fixed = await reconcileChunkRollups(ch.client, 'clickstream_events', range(5000, 6499));
    assert.deepEqual(Object.keys(corrected(fixed)), ['fr_user_click_1m']);
    assert.equal(fixed.length, 6, 'every rollup of the clickstream is checked');
    assert.ok(fixed.every((r) => r.touched > 0));
    assert.equal((await totals()).user_1m, '6500');
    await allOk();
    const again = await reconcileChunkRollups(ch.client, 'clickstream_events', range(5000, 6499));
    assert.deepEqual(corrected(again), {}, 'a second run finds nothing to correct');
  });

  it('raw part lost but views kept: the repair counts the views twice, the reconciliation subtracts it exactly', async () => {
    const c = clicks(6500, 1000);
    const token = 'agg/c/0/6500-7499';
    await insertIdempotent(ch.client, 'clickstream_events', c, token, LIMITS);
    await ch.client.command({
      query: 'ALTER TABLE clickstream_events DELETE WHERE _offset BETWEEN 6500 AND 7499',
      clickhouse_settings: { mutations_sync: '2' },
    });
    // the replay is deduplicated everywhere; the repair (ChunkStore.missing) writes the raw rows
    // again under a token of its own, and every view counts them a second time
    await insertIdempotent(ch.client, 'clickstream_events', c, token, LIMITS);
    assert.equal((await totals()).raw_clicks, '6500');
    await insertIdempotent(ch.client, 'clickstream_events', c, `${token}/repair-1000-0-1`, LIMITS);
    const doubled = await totals();
    assert.equal(doubled.raw_clicks, '7500');
    assert.equal(doubled.user_1m, '8500', 'counted twice by the views');

    const fixed = await reconcileChunkRollups(ch.client, 'clickstream_events', range(6500, 7499));
    assert.deepEqual(Object.keys(corrected(fixed)).sort(), [
      'fr_category_click_1h',
      'fr_category_click_1m',
      'fr_sku_click_1h',
      'fr_sku_click_1m',
      'fr_user_click_1h',
      'fr_user_click_1m',
    ]);
    const healed = await totals();
    assert.equal(healed.user_1m, '7500');
    assert.equal(healed.user_1h, '7500');
    await allOk();
    // the features read the corrected sums (modular UInt64 arithmetic gives the exact totals)
    const [u] = await new FeatureStore(ch.client).lookup('user', ['u-3'], T0 + 7500 * 7_000 + DAY);
    const want = Array.from({ length: 7500 }, (_, i) => i).filter((i) => i % 23 === 3).length;
    assert.equal(u.features.user_events_28d, want);
    assert.deepEqual(
      corrected(await reconcileChunkRollups(ch.client, 'clickstream_events', range(6500, 7499))),
      {},
    );
  });

  it('reconciliation of order lines and inventory: no false corrections on intact rollups; a lost argMax part is restored', async () => {
    const orders = await reconcileChunkRollups(ch.client, 'order_lines', {
      ...range(0, 599),
      topic: 'storefront.orders.v1',
    });
    assert.equal(orders.length, 6);
    assert.ok(orders.every((r) => r.touched > 0));
    assert.deepEqual(corrected(orders), {}, 'intact order rollups are left alone');

    const inv = Array.from({ length: 60 }, (_, i) => ({
      sku: `SKU-${i % 7}`,
      on_hand: 100 - i,
      on_order: i % 5,
      lead_time_days: 3,
      ts: toChDateTime64(T0 + i * 61_000),
      _topic: 'storefront.inventory.v1',
      _partition: 0,
      _offset: i,
    }));
    const invRange = { ...range(0, 59), topic: 'storefront.inventory.v1' };
    await insertIdempotent(ch.client, 'inventory_snapshots', inv, 'agg/i/0/0-59', LIMITS);
    assert.deepEqual(
      corrected(await reconcileChunkRollups(ch.client, 'inventory_snapshots', invRange)),
      {},
    );
    await ch.client.command({
      query: "ALTER TABLE fr_sku_inventory_1h DELETE WHERE sku IN ('SKU-2', 'SKU-5')",
      clickhouse_settings: { mutations_sync: '2' },
    });
    await insertIdempotent(ch.client, 'inventory_snapshots', inv, 'agg/i/0/0-59', LIMITS);
    const fixed = await reconcileChunkRollups(ch.client, 'inventory_snapshots', invRange);
    assert.ok((corrected(fixed).fr_sku_inventory_1h ?? 0) > 0, JSON.stringify(fixed));
    await allOk();
    const [sku] = await new FeatureStore(ch.client).lookup('sku', ['SKU-5'], T0 + 2 * DAY);
    // SKU-5's latest snapshot is i = 54 (54 % 7 = 5): on hand 100 − 54
    assert.equal(sku.features.sku_on_hand, 46);
  });

  it('backfill rebuilds every rollup from raw to the same contents (and features)', async () => {
    const store = new FeatureStore(ch.client);
    const users = Array.from({ length: 23 }, (_, i) => `u-${i}`);
    const at = T0 + 5000 * 7_000 + 90_000;
    const before = await store.lookup('user', users, at);
    const beforeSku = await store.lookup('sku', ['SKU-1', 'SKU-2'], at);
    await ch.client.command({ query: 'TRUNCATE TABLE fr_user_click_1m' });
    await ch.client.command({ query: 'TRUNCATE TABLE fr_sku_order_1h' });
    const progress: string[] = [];
    const r = await backfillRollups(ch.client, { onProgress: (p) => progress.push(p.table) });
    assert.ok(r.rows > 0);
    assert.ok(progress.length >= r.tables);
    await allOk();
    assert.deepEqual(await store.lookup('user', users, at), before);
    assert.deepEqual(await store.lookup('sku', ['SKU-1', 'SKU-2'], at), beforeSku);
  });
});
