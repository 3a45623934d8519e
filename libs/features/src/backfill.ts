import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import { allRollupTables, rollupSelect } from './rollups';

export interface BackfillOptions {
  /** Inclusive start (ms); default: the earliest raw event. Rounded down to a UTC day. */
  fromMs?: number;
  /** Exclusive end (ms); default: after the latest raw event. Rounded up to a UTC day. */
  toMs?: number;
  /** Only these rollup tables (default all). */
  tables?: string[];
  onProgress?: (p: BackfillProgress) => void;
}

export interface BackfillProgress {
  table: string;
  day: string;
  done: number;
  total: number;
  rows: number;
  elapsedMs: number;
}

const DAY = 86_400_000;

/**
 * Rebuilds rollups from the raw tables for whole UTC days in [from, to): per table, deletes the range
 * (synchronous mutation) and re-inserts it with the rollup's own SELECT (the same one the materialized
 * view runs), one day at a time. Run it while the aggregator is stopped, or for a range no longer being
 * written: rows ingested into the range during the rebuild would be counted by both.
 */
export async function backfillRollups(
  client: ClickHouseClient,
  opts: BackfillOptions = {},
): Promise<{ tables: number; days: number; rows: number; ms: number }> {
  const t0 = Date.now();
  let from = opts.fromMs;
  let to = opts.toMs;
  if (from === undefined || to === undefined) {
    const [r] = await queryRows<{ lo: string; hi: string }>(
      client,
      `SELECT toString(min(lo_ms)) AS lo, toString(max(hi_ms)) AS hi FROM (
         SELECT min(toUnixTimestamp64Milli(ts)) AS lo_ms, max(toUnixTimestamp64Milli(ts)) AS hi_ms FROM clickstream_events
         UNION ALL SELECT min(toUnixTimestamp64Milli(ts)), max(toUnixTimestamp64Milli(ts)) FROM order_lines
         UNION ALL SELECT min(toUnixTimestamp64Milli(ts)), max(toUnixTimestamp64Milli(ts)) FROM inventory_snapshots)
       WHERE hi_ms > 0`,
    );
    from ??= Number(r?.lo ?? 0);
    to ??= Number(r?.hi ?? 0) + 1;
  }
  const start = Math.floor(from / DAY) * DAY;
  const end = Math.ceil(to / DAY) * DAY;
  const days: number[] = [];
  for (let d = start; d < end; d += DAY) days.push(d);
  const tables = allRollupTables().filter((t) => !opts.tables || opts.tables.includes(t.table));
  const runId = `${t0}-${Math.random().toString(36).slice(2, 10)}`;
  const total = tables.length * days.length;
  let done = 0;
  let rows = 0;
  for (const { table, spec, g } of tables) {
    await client.command({
      query: `ALTER TABLE ${table} DELETE WHERE bucket >= toDateTime({lo:Int64}, 'UTC') AND bucket < toDateTime({hi:Int64}, 'UTC')`,
      query_params: { lo: start / 1000, hi: end / 1000 },
      clickhouse_settings: { mutations_sync: '2' },
    });
    for (const d of days) {
      const where = `ts >= toDateTime64('${toChDateTime64(d)}', 3, 'UTC') AND ts < toDateTime64('${toChDateTime64(d + DAY)}', 3, 'UTC')`;
      const [c] = await queryRows<{ n: string }>(
        client,
        `SELECT toString(count()) AS n FROM ${spec.rawTable} WHERE ${where}`,
      );
      const n = Number(c?.n ?? 0);
      if (n > 0)
        await client.command({
          query: `INSERT INTO ${table} ${rollupSelect(spec, g, where)}`,
          // A token of its own per insert: with the embedded engine, settings are session SETs that
          // outlive the statement, so an earlier insert's deduplication token would otherwise apply
          // here and silently drop every day after the first (seen in the 0006 → 0007 upgrade test).
          clickhouse_settings: {
            insert_deduplicate: 1,
            insert_deduplication_token: `backfill/${table}/${d}/${runId}`,
          },
        });
      rows += n;
      done++;
      opts.onProgress?.({
        table,
        day: new Date(d).toISOString().slice(0, 10),
        done,
        total,
        rows: n,
        elapsedMs: Date.now() - t0,
      });
    }
  }
  return { tables: tables.length, days: days.length, rows, ms: Date.now() - t0 };
}
