import { CLICKSTREAM_TYPES } from '@storepulse/contracts';
/**
 * Rollup tables: the single source of truth for the AggregatingMergeTree tables, their materialized
 * views (migration 0006 is GENERATED from this file: `node dist/libs/features/src/ddl.main.js`, and a
 * unit test fails when the checked-in file drifts) and the backfill statements.
 *
 * Every rollup is keyed by (entity key, bucket) where bucket = start of the event-time minute or hour
 * (`ts`, never arrival time).
 */
export type Granularity = '1m' | '1h';
export type EntityKind = 'user' | 'sku' | 'category';
export type SourceKind = 'click' | 'order' | 'inventory';

export const GRANULARITY_SECONDS: Record<Granularity, number> = { '1m': 60, '1h': 3600 };

/** How a measure is stored per bucket and merged across buckets. */
export type MeasureKind =
  /** SimpleAggregateFunction(sum, UInt64): counts and integer sums. */
  | 'sum'
  /** SimpleAggregateFunction(sum, Decimal(38, 4)): money. */
  | 'money'
  /** AggregateFunction(uniqExact, String): exact distinct count (see docs/features.md). */
  | 'uniq'
  /** SimpleAggregateFunction(max, DateTime64(3, 'UTC')): latest event time; epoch 0 = none. */
  | 'max_ts'
  /**
   * SimpleAggregateFunction(min, DateTime64(3, 'UTC')): earliest event time; {@link NO_EARLIEST}
   * (2299-12-31) = none, so that it is neutral for `min`.
   */
  | 'min_ts'
  /** AggregateFunction(argMax, <T>, DateTime64(3, 'UTC')): value at the latest event time. */
  | 'arg_max_decimal'
  | 'arg_max_int';

export interface Measure {
  name: string;
  kind: MeasureKind;
  /** Aggregate expression over raw rows of one bucket, producing the stored value/state. */
  state: string;
  /**
   * The migration that added the measure to existing rollups (absent: created with the table in
   * 0006). Measures added later are appended with `ALTER TABLE … ADD COLUMN` by that migration.
   */
  since?: number;
  /** Value of the added column in rows written before `since` (see docs/features.md). */
  backfillDefault?: string;
}

export interface RollupSource {
  source: SourceKind;
  rawTable: 'clickstream_events' | 'order_lines' | 'inventory_snapshots';
}

export interface RollupSpec {
  entity: EntityKind;
  source: SourceKind;
  rawTable: RollupSource['rawTable'];
  /** Raw column holding the entity key; also the rollup's key column name. */
  keyColumn: 'user_id' | 'sku' | 'category';
  /** Raw rows that feed this rollup. */
  where: string | undefined;
  granularities: Granularity[];
  measures: Measure[];
}

const PLACED = "type = 'order_placed'";
/** "No event" for an earliest-time measure: neutral for min (DateTime64(3) ends in 2299). */
export const NO_EARLIEST = "toDateTime64('2299-12-31 00:00:00', 3, 'UTC')";
const CLICK_TYPES = CLICKSTREAM_TYPES;

const clickCounts: Measure[] = CLICK_TYPES.map((t) => ({
  name: `n_${t}`,
  kind: 'sum',
  state: `countIf(type = '${t}')`,
}));

export const ROLLUPS: readonly RollupSpec[] = [
  {
    entity: 'user',
    source: 'click',
    rawTable: 'clickstream_events',
    keyColumn: 'user_id',
    where: undefined,
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_events', kind: 'sum', state: 'count()' },
      ...clickCounts,
      {
        name: 'skus_viewed',
        kind: 'uniq',
        state: "uniqExactStateIf(sku, type = 'product_view' AND sku != '')",
      },
      {
        name: 'categories_viewed',
        kind: 'uniq',
        state: "uniqExactStateIf(category, type = 'product_view' AND category != '')",
      },
      { name: 'last_ts', kind: 'max_ts', state: 'max(ts)' },
      {
        name: 'first_ts',
        kind: 'min_ts',
        state: 'min(ts)',
        since: 7,
        backfillDefault: "toDateTime64(bucket, 3, 'UTC')",
      },
    ],
  },
  {
    entity: 'user',
    source: 'order',
    rawTable: 'order_lines',
    keyColumn: 'user_id',
    where: undefined,
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_orders', kind: 'sum', state: `countIf(${PLACED} AND line_no = 0)` },
      {
        name: 'n_cancellations',
        kind: 'sum',
        state: "countIf(type = 'order_cancelled' AND line_no = 0)",
      },
      { name: 'units', kind: 'sum', state: `sumIf(toUInt64(qty), ${PLACED})` },
      {
        name: 'spend',
        kind: 'money',
        state: `sumIf(toDecimal128(qty * unit_price, 4), ${PLACED})`,
      },
      {
        name: 'last_order_ts',
        kind: 'max_ts',
        state: `maxIf(ts, ${PLACED})`,
      },
      {
        name: 'first_order_ts',
        kind: 'min_ts',
        state: `if(countIf(${PLACED}) = 0, ${NO_EARLIEST}, minIf(ts, ${PLACED}))`,
        since: 7,
        backfillDefault: `if(n_orders = 0, ${NO_EARLIEST}, toDateTime64(bucket, 3, 'UTC'))`,
      },
    ],
  },
  {
    entity: 'sku',
    source: 'click',
    rawTable: 'clickstream_events',
    keyColumn: 'sku',
    where: "sku != ''",
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_views', kind: 'sum', state: "countIf(type = 'product_view')" },
      { name: 'n_carts', kind: 'sum', state: "countIf(type = 'add_to_cart')" },
      { name: 'viewers', kind: 'uniq', state: "uniqExactStateIf(user_id, type = 'product_view')" },
      { name: 'n_priced', kind: 'sum', state: 'countIf(price IS NOT NULL)' },
      {
        name: 'last_price',
        kind: 'arg_max_decimal',
        state: 'argMaxStateIf(assumeNotNull(price), ts, price IS NOT NULL)',
      },
    ],
  },
  {
    entity: 'sku',
    source: 'order',
    rawTable: 'order_lines',
    keyColumn: 'sku',
    where: undefined,
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_orders', kind: 'sum', state: `uniqExactIf(order_id, ${PLACED})` },
      { name: 'units', kind: 'sum', state: `sumIf(toUInt64(qty), ${PLACED})` },
      {
        name: 'revenue',
        kind: 'money',
        state: `sumIf(toDecimal128(qty * unit_price, 4), ${PLACED})`,
      },
      { name: 'buyers', kind: 'uniq', state: `uniqExactStateIf(user_id, ${PLACED})` },
    ],
  },
  {
    entity: 'sku',
    source: 'inventory',
    rawTable: 'inventory_snapshots',
    keyColumn: 'sku',
    where: undefined,
    granularities: ['1h'],
    measures: [
      { name: 'n_snapshots', kind: 'sum', state: 'count()' },
      { name: 'on_hand', kind: 'arg_max_int', state: 'argMaxState(on_hand, ts)' },
      { name: 'on_order', kind: 'arg_max_int', state: 'argMaxState(on_order, ts)' },
    ],
  },
  {
    entity: 'category',
    source: 'click',
    rawTable: 'clickstream_events',
    keyColumn: 'category',
    where: "category != ''",
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_views', kind: 'sum', state: "countIf(type = 'product_view')" },
      { name: 'n_carts', kind: 'sum', state: "countIf(type = 'add_to_cart')" },
      { name: 'viewers', kind: 'uniq', state: "uniqExactStateIf(user_id, type = 'product_view')" },
      {
        name: 'skus_viewed',
        kind: 'uniq',
        state: "uniqExactStateIf(sku, type = 'product_view' AND sku != '')",
      },
    ],
  },
  {
    entity: 'category',
    source: 'order',
    rawTable: 'order_lines',
    keyColumn: 'category',
    where: "category != ''",
    granularities: ['1m', '1h'],
    measures: [
      { name: 'n_orders', kind: 'sum', state: `uniqExactIf(order_id, ${PLACED})` },
      { name: 'units', kind: 'sum', state: `sumIf(toUInt64(qty), ${PLACED})` },
      {
        name: 'revenue',
        kind: 'money',
        state: `sumIf(toDecimal128(qty * unit_price, 4), ${PLACED})`,
      },
      { name: 'buyers', kind: 'uniq', state: `uniqExactStateIf(user_id, ${PLACED})` },
    ],
  },
];

export function rollupTable(entity: EntityKind, source: SourceKind, g: Granularity): string {
  return `fr_${entity}_${source}_${g}`;
}

export function findRollup(entity: EntityKind, source: SourceKind): RollupSpec {
  const r = ROLLUPS.find((x) => x.entity === entity && x.source === source);
  if (!r) throw new Error(`no rollup for ${entity}/${source}`);
  return r;
}

export function findMeasure(spec: RollupSpec, name: string): Measure {
  const m = spec.measures.find((x) => x.name === name);
  if (!m) throw new Error(`rollup ${spec.entity}/${spec.source} has no measure ${name}`);
  return m;
}

export function columnType(kind: MeasureKind): string {
  switch (kind) {
    case 'sum':
      return 'SimpleAggregateFunction(sum, UInt64)';
    case 'money':
      return 'SimpleAggregateFunction(sum, Decimal(38, 4))';
    case 'uniq':
      return 'AggregateFunction(uniqExact, String)';
    case 'max_ts':
      return "SimpleAggregateFunction(max, DateTime64(3, 'UTC'))";
    case 'min_ts':
      return "SimpleAggregateFunction(min, DateTime64(3, 'UTC'))";
    case 'arg_max_decimal':
      return "AggregateFunction(argMax, Decimal(18, 4), DateTime64(3, 'UTC'))";
    case 'arg_max_int':
      return "AggregateFunction(argMax, Int64, DateTime64(3, 'UTC'))";
  }
}

/** Merge expression across buckets, optionally restricted by `cond` (the -If combinator). */
export function mergeExpr(kind: MeasureKind, column: string, cond: string | undefined): string {
  const fn = (base: string) => (cond ? `${base}If(${column}, ${cond})` : `${base}(${column})`);
  switch (kind) {
    case 'sum':
    case 'money':
      return fn('sum');
    case 'uniq':
      return fn('uniqExactMerge');
    case 'max_ts':
      return fn('max');
    case 'min_ts':
      return fn('min');
    case 'arg_max_decimal':
    case 'arg_max_int':
      return fn('argMaxMerge');
  }
}

export function bucketExpr(g: Granularity): string {
  return g === '1m' ? 'toStartOfMinute(ts)' : 'toStartOfHour(ts)';
}

/** The SELECT feeding a rollup from its raw table (used by the materialized view and by backfill). */
export function rollupSelect(
  spec: RollupSpec,
  g: Granularity,
  extraWhere?: string,
  asOf = LATEST_ROLLUP_MIGRATION,
): string {
  const where = [spec.where, extraWhere].filter((x): x is string => !!x);
  return [
    `SELECT ${spec.keyColumn}, ${bucketExpr(g)} AS bucket,`,
    measuresAsOf(spec, asOf)
      .map((m) => `    ${m.state} AS ${m.name}`)
      .join(',\n'),
    `FROM ${spec.rawTable}`,
    ...(where.length > 0 ? [`WHERE ${where.join(' AND ')}`] : []),
    `GROUP BY ${spec.keyColumn}, bucket`,
  ].join('\n');
}

/** Every rollup table name, with its spec and granularity. */
export function allRollupTables(): { table: string; spec: RollupSpec; g: Granularity }[] {
  return ROLLUPS.flatMap((spec) =>
    spec.granularities.map((g) => ({ table: rollupTable(spec.entity, spec.source, g), spec, g })),
  );
}

export function viewName(table: string): string {
  return `mv_${table}`;
}

/** The measures a rollup had once migration `version` was applied. */
export function measuresAsOf(spec: RollupSpec, version: number): Measure[] {
  return spec.measures.filter((m) => (m.since ?? 6) <= version);
}

/** Highest migration number that changes the rollups (see {@link ROLLUP_MIGRATIONS}). */
export const LATEST_ROLLUP_MIGRATION = 7;

/** DDL of migration 0006 (tables + materialized views), generated from {@link ROLLUPS} as of 0006. */
export function rollupMigrationSql(): string {
  const out: string[] = [
    '-- GENERATED from libs/features/src/rollups.ts (node dist/libs/features/src/ddl.main.js); do not edit.',
    '-- Feature rollups: AggregatingMergeTree per (entity, source, granularity), fed by materialized views',
    '-- from the raw tables, keyed by event-time bucket. non_replicated_deduplication_window makes inserts',
    '-- through the views idempotent under the raw insert_deduplication_token (docs/exactly-once.md).',
    '-- TTL is set from FEATURES_ROLLUP_TTL_DAYS at start-up.',
  ];
  for (const { table, spec, g } of allRollupTables()) {
    const cols = [
      `    ${spec.keyColumn} String`,
      "    bucket DateTime('UTC')",
      ...measuresAsOf(spec, 6).map((m) => `    ${m.name} ${columnType(m.kind)}`),
    ];
    out.push(
      `CREATE TABLE IF NOT EXISTS ${table}\n(\n${cols.join(',\n')}\n)\nENGINE = AggregatingMergeTree\n` +
        `PARTITION BY toYYYYMM(bucket)\nORDER BY (${spec.keyColumn}, bucket)\n` +
        'SETTINGS non_replicated_deduplication_window = 10000;',
    );
    out.push(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${viewName(table)} TO ${table} AS\n${rollupSelect(spec, g, undefined, 6)};`,
    );
  }
  return out.join('\n') + '\n';
}

/**
 * DDL of a later rollup migration (`version` > 6), generated from the measures declared with that
 * `since`: per affected table, the new columns (`ADD COLUMN … DEFAULT <backfillDefault>` — the value
 * rows written before the migration read) and the view re-created with the new SELECT.
 */
export function rollupAlterMigrationSql(version: number): string {
  const out: string[] = [
    '-- GENERATED from libs/features/src/rollups.ts (node dist/libs/features/src/ddl.main.js); do not edit.',
    `-- Rollup measures added in migration ${String(version).padStart(4, '0')}: new columns, views re-created`,
    '-- with the new SELECT. Rows written before this migration read the DEFAULT (an approximation, see',
    '-- docs/features.md); `npm run features:backfill` recomputes them exactly from the raw tables.',
  ];
  for (const { table, spec, g } of allRollupTables()) {
    const added = spec.measures.filter((m) => m.since === version);
    if (added.length === 0) continue;
    for (const m of added)
      out.push(
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${m.name} ${columnType(m.kind)}` +
          (m.backfillDefault ? ` DEFAULT ${m.backfillDefault}` : '') +
          ';',
      );
    out.push(`DROP VIEW IF EXISTS ${viewName(table)};`);
    out.push(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${viewName(table)} TO ${table} AS\n${rollupSelect(spec, g, undefined, version)};`,
    );
  }
  return out.join('\n') + '\n';
}

/** File name of the generated rollup migration (0006: the tables). */
export const ROLLUP_MIGRATION = '0006_feature_rollups.sql';
/** Every generated rollup migration: file name → SQL. */
export const ROLLUP_MIGRATIONS: Record<string, () => string> = {
  [ROLLUP_MIGRATION]: rollupMigrationSql,
  '0007_feature_rollups_sessions.sql': () => rollupAlterMigrationSql(7),
};
