import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import {
  allRollupTables,
  mergeExpr,
  rollupSelect,
  type Granularity,
  type RollupSpec,
} from './rollups';

export interface RollupDigest {
  table: string;
  /** (key, bucket) groups. */
  groups: number;
  /** Order-independent hash of every group's merged (final) values. */
  hash: string;
}

function digestSql(spec: RollupSpec, from: string): string {
  const merged = spec.measures.map((m) => `${mergeExpr(m.kind, m.name, undefined)} AS m_${m.name}`);
  const hashed = [spec.keyColumn, 'bucket', ...spec.measures.map((m) => `m_${m.name}`)];
  return (
    `SELECT toString(count()) AS groups, toString(sum(cityHash64(${hashed.join(', ')}))) AS hash FROM (` +
    `SELECT ${spec.keyColumn}, bucket, ${merged.join(', ')} FROM (${from}) GROUP BY ${spec.keyColumn}, bucket)`
  );
}

async function digest(
  client: ClickHouseClient,
  table: string,
  spec: RollupSpec,
  from: string,
): Promise<RollupDigest> {
  const [r] = await queryRows<{ groups: string; hash: string }>(client, digestSql(spec, from));
  return { table, groups: Number(r.groups), hash: r.hash };
}

export interface RollupCheck {
  table: string;
  ok: boolean;
  rollup: RollupDigest;
  fromRaw: RollupDigest;
}

/**
 * Compares every rollup table with the same aggregation recomputed from the raw tables: equal digests
 * mean every (key, bucket) has exactly the merged values the raw rows imply (nothing lost, nothing twice).
 */
export async function verifyRollups(
  client: ClickHouseClient,
  tables: { table: string; spec: RollupSpec; g: Granularity }[] = allRollupTables(),
): Promise<RollupCheck[]> {
  const out: RollupCheck[] = [];
  for (const { table, spec, g } of tables) {
    const rollup = await digest(client, table, spec, `SELECT * FROM ${table}`);
    const fromRaw = await digest(client, table, spec, rollupSelect(spec, g));
    out.push({
      table,
      ok: rollup.groups === fromRaw.groups && rollup.hash === fromRaw.hash,
      rollup,
      fromRaw,
    });
  }
  return out;
}
