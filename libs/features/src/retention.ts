import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { allRollupTables } from './rollups';

/** Sets the rollups' TTL (on bucket) from config; only touches a table whose TTL differs. */
export async function applyRollupRetention(
  client: ClickHouseClient,
  database: string,
  ttlDays: number,
): Promise<string[]> {
  const changed: string[] = [];
  for (const { table } of allRollupTables()) {
    const rows = await queryRows<{ q: string }>(
      client,
      'SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      { db: database, t: table },
    );
    if (rows[0] && !rows[0].q.includes(`TTL bucket + toIntervalDay(${ttlDays})`)) {
      await client.command({
        query: `ALTER TABLE ${table} MODIFY TTL bucket + INTERVAL ${ttlDays} DAY`,
        clickhouse_settings: { materialize_ttl_after_modify: 0 },
      });
      changed.push(table);
    }
  }
  return changed;
}
