import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClickHouse,
  insertIdempotent,
  loadMigrations,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import { testConfig } from '../../../test/support/env';
import { backfillRollups } from './backfill';
import { allRollupTables } from './rollups';
import { FeatureStore } from './store';
import { verifyRollups } from './verify';

const T0 = Date.UTC(2026, 9, 5, 0, 0, 0);
const LIMITS = { maxRows: 10_000, maxBytes: 1 << 24 };

/** Clicks of 5 users: bursts of 3 events 20 s apart, a 41-minute pause between bursts. */
function clicks(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: i % 3 === 1 ? 'add_to_cart' : 'product_view',
    user_id: `u-${i % 5}`,
    session_id: `s-${i}`,
    ts: toChDateTime64(T0 + Math.floor(i / 15) * 41 * 60_000 + (i % 15) * 20_000 + 7_000),
    sku: `SKU-${i % 7}`,
    price: 9.5,
    category: 'cat-1',
    query: '',
    _topic: 'storefront.clickstream.v1',
    _partition: 0,
    _offset: i,
  }));
}

describe('rollup migrations: upgrading a store created before the session measures (0006 → 0007)', () => {
  let ch: ClickHouseHandle;
  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
  });
  after(async () => {
    await ch?.close();
  });

  it('adds the columns, keeps the data, and backfill makes the pre-upgrade buckets exact', async () => {
    const all = loadMigrations();
    await runMigrations(
      ch.client,
      all.filter((m) => m.version <= 6),
    );
    const rows = clicks(600);
    await insertIdempotent(ch.client, 'clickstream_events', rows.slice(0, 300), 'up/a', LIMITS);
    const applied = await runMigrations(
      ch.client,
      all.filter((m) => m.version <= 7),
    );
    assert.deepEqual(applied.applied, ['0007_feature_rollups_sessions.sql']);
    // rows after the upgrade go through the re-created views
    await insertIdempotent(ch.client, 'clickstream_events', rows.slice(300), 'up/b', LIMITS);

    // the live schema is exactly the spec: key, bucket, then every measure in declaration order
    for (const { table, spec } of allRollupTables()) {
      const cols = await queryRows<{ name: string }>(
        ch.client,
        'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
        { t: table },
      );
      assert.deepEqual(
        cols.map((c) => c.name),
        [spec.keyColumn, 'bucket', ...spec.measures.map((m) => m.name)],
        table,
      );
    }
    const [counts] = await queryRows<{ n: string }>(
      ch.client,
      'SELECT toString(sum(n_events)) AS n FROM fr_user_click_1m',
    );
    assert.equal(counts.n, '600', 'nothing lost or doubled across the view re-creation');

    // pre-upgrade buckets read first_ts = bucket start (the DEFAULT): verify flags exactly those tables
    const before = await verifyRollups(ch.client);
    const bad = before.filter((c) => !c.ok).map((c) => c.table);
    assert.deepEqual(bad.sort(), ['fr_user_click_1h', 'fr_user_click_1m']);

    await backfillRollups(ch.client, { tables: ['fr_user_click_1m', 'fr_user_click_1h'] });
    for (const c of await verifyRollups(ch.client)) assert.ok(c.ok, c.table);

    // sessions: 40 bursts of 15 events (3 per user), 41 minutes apart → 40 sessions per user,
    // each 40 s long (the user's events in a burst are 100 s apart: i, i+5, i+10 → 0, 100, 200 s)
    const store = new FeatureStore(ch.client);
    const [u] = await store.lookup('user', ['u-0'], T0 + 40 * 41 * 60_000 + 3_600_000);
    assert.equal(u.features.user_sessions_7d, 40);
    assert.equal(u.features.user_mean_session_seconds_7d, 200);
  });
});
