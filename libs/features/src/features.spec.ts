import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, splitStatements } from '@storepulse/clickhouse';
import { FEATURES, WINDOWS, featuresOf, validateCatalog } from './catalog';
import { onlineQuery, pointInTimeQuery, windowBoundsMs } from './query';
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
