/** Unit tests of the feature catalog, the window bounds and the generated SQL. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, splitStatements } from '@storepulse/clickhouse';
import { FEATURES, LIFETIME, WINDOWS, featuresOf, validateCatalog } from './catalog';
import { windowDescriptions } from './features.controller';
import {
  featureValue,
  NO_EARLIEST_MS,
  onlineQuery,
  pointInTimeQuery,
  windowBoundsMs,
} from './query';
import {
  allRollupTables,
  ROLLUP_MIGRATION,
  ROLLUP_MIGRATIONS,
  rollupMigrationSql,
} from './rollups';

describe('feature catalog', () => {
  it('is valid: unique names, known measures and granularities', () => {
    validateCatalog();
    assert.ok(FEATURES.length > 150);
  });

  it('covers every window for the windowed user, sku and category features', () => {
    for (const w of WINDOWS) {
      for (const n of [
        'user_product_views',
        'user_orders',
        'user_spend',
        'user_distinct_skus_viewed',
        'user_view_to_cart',
        'user_cart_to_order',
        'sku_views',
        'sku_revenue',
        'sku_distinct_buyers',
        'category_revenue',
      ])
        assert.ok(
          FEATURES.some((f) => f.name === `${n}_${w}`),
          `${n}_${w}`,
        );
    }
    for (const n of ['user_seconds_since_last_order', 'sku_last_price', 'sku_on_hand'])
      assert.ok(
        FEATURES.some((f) => f.name === n),
        n,
      );
  });

  it('answers windows up to 24 h from minute buckets and longer ones from hour buckets', () => {
    for (const f of FEATURES.filter((x) => x.aggregation.kind === 'total'))
      assert.equal(
        f.granularity,
        ['7d', '28d', 'lifetime'].includes(f.window) ? '1h' : '1m',
        f.name,
      );
  });

  it('the checked-in rollup migrations are exactly the ones generated from the rollup spec', () => {
    for (const [file, sql] of Object.entries(ROLLUP_MIGRATIONS))
      assert.equal(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'), sql(), file);
    const onDisk = readFileSync(join(MIGRATIONS_DIR, ROLLUP_MIGRATION), 'utf8');
    assert.equal(onDisk, rollupMigrationSql());
    // one table + one view per rollup, every target deduplicating
    assert.equal(splitStatements(onDisk).length, allRollupTables().length * 2);
    assert.equal(
      (onDisk.match(/non_replicated_deduplication_window = 10000/g) ?? []).length,
      allRollupTables().length,
    );
  });
});

describe('window bounds', () => {
  it('ends at the start of t’s bucket and spans exactly W', () => {
    const t = Date.parse('2026-11-28T10:17:42.500Z');
    assert.deepEqual(
      windowBoundsMs(t, '1m', '15m').map((x) => new Date(x).toISOString()),
      ['2026-11-28T10:02:00.000Z', '2026-11-28T10:17:00.000Z'],
    );
    assert.deepEqual(
      windowBoundsMs(t, '1h', '7d').map((x) => new Date(x).toISOString()),
      ['2026-11-21T10:00:00.000Z', '2026-11-28T10:00:00.000Z'],
    );
    // on a bucket edge the window ends exactly at t (events at t are excluded: [t − W, t))
    const edge = Date.parse('2026-11-28T10:00:00.000Z');
    assert.equal(windowBoundsMs(edge, '1h', '28d')[1], edge);
  });
});

describe('generated SQL', () => {
  it('online and point-in-time queries select the same features in the same order', () => {
    for (const e of ['user', 'sku', 'category'] as const) {
      const fs = featuresOf(e);
      assert.deepEqual(onlineQuery(e, fs).features, pointInTimeQuery(e, fs).features);
      assert.deepEqual(
        onlineQuery(e, fs).features,
        fs.map((f) => f.name),
      );
    }
  });

  it('never aliases a rollup column name (ClickHouse alias shadowing)', () => {
    const cols = new Set(allRollupTables().flatMap((t) => t.spec.measures.map((m) => m.name)));
    for (const e of ['user', 'sku', 'category'] as const) {
      const sql = onlineQuery(e, featuresOf(e)).sql + pointInTimeQuery(e, featuresOf(e)).sql;
      for (const m of sql.matchAll(/ AS ([a-z_0-9]+)/g))
        assert.ok(!cols.has(m[1]) && m[1] !== 'bucket', `alias ${m[1]} shadows a column`);
    }
  });
});

describe('lifetime window', () => {
  const user = featuresOf('user');
  const lifetime = user.filter((f) => f.window === LIFETIME);

  it('declares the six lifetime user features on hour buckets; 225 features in all', () => {
    assert.deepEqual(
      lifetime.map((f) => [f.name, f.granularity, f.type]),
      [
        ['user_first_seen_days', '1h', 'days'],
        ['user_orders_lifetime', '1h', 'count'],
        ['user_units_lifetime', '1h', 'quantity'],
        ['user_spend_lifetime', '1h', 'money'],
        ['user_days_since_last_order_lifetime', '1h', 'days'],
        ['user_mean_days_between_orders_lifetime', '1h', 'days'],
      ],
    );
    assert.deepEqual(
      [user.length, featuresOf('sku').length, featuresOf('category').length, FEATURES.length],
      [127, 48, 50, 225],
    );
    for (const f of lifetime) assert.match(f.description, /rollup retention/, f.name);
  });

  it('rejects earliest-time measures outside the lifetime window and lifetime on minute buckets', () => {
    const first = lifetime.find((f) => f.name === 'user_first_seen_days')!;
    assert.throws(
      () => validateCatalog([{ ...first, window: '28d' }]),
      /user_first_seen_days: earliest-time measures are read over the lifetime window only/,
    );
    assert.throws(
      () => validateCatalog([{ ...first, granularity: '1m' }]),
      /user_first_seen_days: the lifetime window uses hour buckets/,
    );
  });

  it('covers every hour bucket before the start of t’s hour', () => {
    const t = Date.parse('2026-11-28T10:17:42.500Z');
    assert.deepEqual(windowBoundsMs(t, '1h', LIFETIME), [0, Date.parse('2026-11-28T10:00:00Z')]);
    const edge = Date.parse('2026-11-28T10:00:00.000Z');
    assert.equal(windowBoundsMs(edge, '1h', LIFETIME)[1], edge);
  });

  it('reads lifetime aggregates in branches of their own, without a left bound', () => {
    const q = onlineQuery('user', user, 'if');
    const life = q.groups.filter((g) => g.lifetime);
    assert.deepEqual(life.map((g) => g.table).sort(), ['fr_user_click_1h', 'fr_user_order_1h']);
    for (const g of life) assert.ok(g.aggs.every((a) => a.window === LIFETIME));
    // the sliding hour branches still read 28 days only
    for (const g of q.groups.filter((x) => !x.lifetime && x.g === '1h'))
      assert.equal(g.maxWindow, '28d', g.table);
    assert.ok(!q.sql.includes('s_lifetime'), 'no lifetime start parameter');
    const pit = pointInTimeQuery('user', user);
    const branches = pit.sql.split('\nUNION ALL\n');
    const lifeBranches = branches.filter((b) => b.includes('min(r.first'));
    assert.equal(lifeBranches.length, 2);
    for (const b of lifeBranches) assert.ok(!b.includes('{lo:Int64}'), 'not pruned by lo');
    assert.ok(branches.filter((b) => b.includes('{lo:Int64}')).length >= 4);
  });

  it('derives the values from merged aggregates; none → null', () => {
    const f = (name: string) => lifetime.find((x) => x.name === name)!;
    const t = Date.UTC(2026, 10, 20, 12, 0, 0);
    const DAY = 86_400_000;
    const aggs = (m: Record<string, number>) => (alias: string) => {
      const hit = Object.entries(m).find(([k]) => alias === `a_${k}_lifetime_1h`);
      return hit ? hit[1] : 0;
    };
    // first seen: the earlier of the first click and the first placed order
    const firstSeen = f('user_first_seen_days');
    assert.equal(
      featureValue(
        firstSeen,
        aggs({ click_first_ts: t - 3 * DAY, order_first_order_ts: t - 5 * DAY }),
        t,
      ),
      5,
    );
    // "no placed order" (NO_EARLIEST, 2299) and "no bucket" (0) are not times
    assert.equal(
      featureValue(
        firstSeen,
        aggs({ click_first_ts: t - 2 * DAY, order_first_order_ts: NO_EARLIEST_MS }),
        t,
      ),
      2,
    );
    assert.equal(featureValue(firstSeen, aggs({ order_first_order_ts: t - DAY / 2 }), t), 0.5);
    assert.equal(featureValue(firstSeen, aggs({}), t), null);
    const mean = f('user_mean_days_between_orders_lifetime');
    const orders3 = {
      order_n_orders: 3,
      order_first_order_ts: t - 10 * DAY,
      order_last_order_ts: t - 4 * DAY,
    };
    assert.equal(featureValue(mean, aggs(orders3), t), 3);
    assert.equal(featureValue(mean, aggs({ ...orders3, order_n_orders: 1 }), t), null);
    const since = f('user_days_since_last_order_lifetime');
    assert.equal(featureValue(since, aggs(orders3), t), 4);
    assert.equal(featureValue(since, aggs({}), t), null);
    assert.equal(
      featureValue(f('user_spend_lifetime'), aggs({ order_spend: 12.34567 }), t),
      12.3457,
    );
  });

  it('the catalog endpoint describes the lifetime window with the rollup retention', () => {
    const d = windowDescriptions(400);
    assert.deepEqual(Object.keys(d), [...WINDOWS, LIFETIME]);
    assert.match(d.lifetime, /within the rollup retention \(FEATURES_ROLLUP_TTL_DAYS = 400 days/);
  });
});
