import type { ClickHouseClient } from '@clickhouse/client';
import { CHUNK_ROWS_WHERE, chunkRangeParams, type ChunkRange } from '@storepulse/clickhouse';
import {
  allRollupTables,
  bucketExpr,
  mergeExpr,
  rollupSelect,
  type Granularity,
  type Measure,
  type RollupSpec,
} from './rollups';

export interface ReconcileResult {
  table: string;
  /** (key, bucket) groups the chunk's rows fall into. */
  touched: number;
  /** Of those, groups whose rollup differed from the raw rows and got a correction row. */
  corrected: number;
}

/**
 * Set explicitly on every statement: an absent group must join default values, not NULLs (and with
 * the embedded engine a setting of an earlier statement would otherwise still be in force).
 */
const JOIN_SETTINGS = { join_use_nulls: 0 } as const;

/** The correction of one measure: what to add so that the merged group equals the raw rows. */
function correction(m: Measure): string {
  switch (m.kind) {
    case 'sum':
      // truth − current, wrapping: sum over UInt64 is modular, so adding 2^64 − d subtracts d
      return `toUInt64(toInt64(t.${m.name}) - toInt64(c.${m.name})) AS ${m.name}`;
    case 'money':
      return `t.${m.name} - c.${m.name} AS ${m.name}`;
    default:
      // max, min, distinct sets, argMax: the raw rows' own state; merging it is idempotent and the
      // current state can only hold a subset of the same rows (or the same rows twice)
      return `t.${m.name} AS ${m.name}`;
  }
}

/** Whether a measure of the current rollup group differs from the raw rows' value. */
function differs(m: Measure): string {
  switch (m.kind) {
    case 'uniq':
      return `finalizeAggregation(t.${m.name}) != c.${m.name}`;
    case 'arg_max_decimal':
    case 'arg_max_int':
      // the serialized state (value, ts) is deterministic for argMax
      return `hex(t.${m.name}) != hex(c.${m.name})`;
    default:
      return `t.${m.name} != c.${m.name}`;
  }
}

/** Current value per group: merged like a lookup, except argMax kept as a state (compared as bytes). */
function current(m: Measure): string {
  if (m.kind === 'arg_max_decimal' || m.kind === 'arg_max_int')
    return `argMaxMergeState(${m.name}) AS ${m.name}`;
  return `${mergeExpr(m.kind, m.name, undefined)} AS ${m.name}`;
}

/** The raw rows of the chunk that feed this rollup. */
function chunkWhere(spec: RollupSpec): string {
  return [CHUNK_ROWS_WHERE, ...(spec.where ? [spec.where] : [])].join(' AND ');
}

function touchedSql(spec: RollupSpec, g: Granularity): string {
  return `SELECT DISTINCT ${spec.keyColumn}, ${bucketExpr(g)} FROM ${spec.rawTable} WHERE ${chunkWhere(spec)}`;
}

/**
 * The groups of one rollup touched by a chunk whose rollup value differs from its raw rows, with the
 * correction row for each (key, bucket, measures…) — a SELECT usable by INSERT.
 */
export function correctionSql(spec: RollupSpec, g: Granularity, table: string): string {
  const key = spec.keyColumn;
  const touched = touchedSql(spec, g);
  // the time range first (partition pruning, and no full scan of a large raw table), then the groups
  const buckets = `SELECT ${bucketExpr(g)} AS b FROM ${spec.rawTable} WHERE ${chunkWhere(spec)}`;
  const step = g === '1m' ? 'INTERVAL 1 MINUTE' : 'INTERVAL 1 HOUR';
  const inTouched =
    `ts >= (SELECT min(b) FROM (${buckets})) AND ts < (SELECT max(b) FROM (${buckets})) + ${step}` +
    ` AND (${key}, ${bucketExpr(g)}) IN (${touched})`;
  const truth = rollupSelect(spec, g, inTouched);
  const cur =
    `SELECT ${key}, bucket, ${spec.measures.map(current).join(', ')} FROM ${table} ` +
    `WHERE (${key}, bucket) IN (${touched}) GROUP BY ${key}, bucket`;
  return (
    `SELECT t.${key} AS ${key}, t.bucket AS bucket, ${spec.measures.map(correction).join(', ')}\n` +
    `FROM (${truth}) AS t\n` +
    `LEFT JOIN (${cur}) AS c ON t.${key} = c.${key} AND t.bucket = c.bucket\n` +
    // a group absent from the rollup joins default values (0, empty) and differs from the truth
    `WHERE ${spec.measures.map(differs).join(' OR ')}`
  );
}

/**
 * After a re-run of a torn chunk, makes every rollup fed by its raw table agree with the raw rows for
 * the (key, bucket) groups the chunk touches (docs/exactly-once.md, "Torn views"):
 *  - a view whose deduplication token was recorded but whose part never landed missed the chunk →
 *    the correction adds the missing counts and the raw rows' states;
 *  - a view that had the chunk when the raw rows were repaired under a new token counted it twice →
 *    the correction subtracts the surplus (modular UInt64 sums; Decimal sums are signed).
 * The raw table must already hold the chunk's rows exactly once (the repair does that first).
 * Idempotent: it recomputes the difference each time, and a second run finds none. Correction
 * inserts carry a fresh deduplication token, so a torn correction is redone rather than
 * deduplicated. Consistency needs the chunk's groups not to be written meanwhile by an insert
 * between the SELECT and the INSERT that changes one side only; an insert writes its raw rows and
 * its view rows together before the next statement runs on the embedded engine (one statement at a
 * time), so a concurrent chunk changes truth and rollup alike and leaves the difference as it was.
 */
export async function reconcileChunkRollups(
  client: ClickHouseClient,
  rawTable: string,
  range: ChunkRange,
): Promise<ReconcileResult[]> {
  const params = chunkRangeParams(range);
  const out: ReconcileResult[] = [];
  for (const { table, spec, g } of allRollupTables().filter((t) => t.spec.rawTable === rawTable)) {
    const sql = correctionSql(spec, g, table);
    const rs = await client.query({
      query: `SELECT toString((SELECT count() FROM (${touchedSql(spec, g)}))) AS touched,
                     toString((SELECT count() FROM (${sql}))) AS corrected`,
      query_params: params,
      clickhouse_settings: JOIN_SETTINGS,
      format: 'JSONEachRow',
    });
    const [n] = await rs.json<{ touched: string; corrected: string }>();
    const corrected = Number(n.corrected);
    if (corrected > 0)
      await client.command({
        query: `INSERT INTO ${table} (${[spec.keyColumn, 'bucket', ...spec.measures.map((m) => m.name)].join(', ')}) ${sql}`,
        query_params: params,
        clickhouse_settings: {
          ...JOIN_SETTINGS,
          insert_deduplicate: 1,
          insert_deduplication_token: `reconcile/${table}/${range.topic}/${range.partition}/${range.first}-${range.last}/${Date.now()}-${Math.random().toString(36).slice(2)}`,
        },
      });
    out.push({ table, touched: Number(n.touched), corrected });
  }
  return out;
}
