import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from './client';

/** Folder with the numbered migrations shipped with this lib (NNNN_name.sql). */
export const MIGRATIONS_DIR = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'libs',
  'clickhouse',
  'migrations',
);

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`migration file name ${file} must look like 0001_name.sql`);
    const version = Number(m[1]);
    if (seen.has(version)) throw new MigrationError(`two migrations share number ${m[1]}`);
    seen.add(version);
    const sql = readFileSync(join(dir, file), 'utf8');
    return { version, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Splits a migration into statements on `;` at line ends (migrations keep one statement per `;`). */
export function splitStatements(sql: string): string[] {
  const noComments = sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
  return noComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies pending migrations in order and records each in the `schema_migrations` ledger.
 * Idempotent; refuses to run when an applied file has since been edited (checksum mismatch).
 */
export async function runMigrations(
  client: ClickHouseClient,
  migrations = loadMigrations(),
): Promise<MigrationResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const applied = await queryRows<{ version: number; name: string; checksum: string }>(
    client,
    'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
  );
  const byVersion = new Map(applied.map((a) => [Number(a.version), a]));
  for (const m of migrations) {
    const a = byVersion.get(m.version);
    if (a && a.checksum !== m.checksum) {
      throw new MigrationError(
        `migration ${m.name} was edited after it was applied (checksum ${a.checksum.slice(0, 12)} in the ledger, ${m.checksum.slice(0, 12)} on disk); add a new migration instead`,
      );
    }
  }
  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    if (byVersion.has(m.version)) {
      result.skipped.push(m.name);
      continue;
    }
    for (const statement of splitStatements(m.sql)) {
      try {
        await client.command({ query: statement });
      } catch (e) {
        throw new MigrationError(`migration ${m.name} failed: ${(e as Error).message}`);
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    result.applied.push(m.name);
  }
  return result;
}

/** Tables whose rows expire after the raw retention (TTL on event time). */
export const RAW_TABLES = ['clickstream_events', 'order_lines', 'inventory_snapshots'] as const;

/** Sets TTL on raw tables (and the dedup index) from config; only touches a table whose TTL differs. */
export async function applyRetention(
  client: ClickHouseClient,
  database: string,
  rawTtlDays: number,
  /** DEDUP_WINDOW_MS: sets the TTL of recent_event_ids to cover it (undefined: untouched). */
  dedupWindowMs?: number,
): Promise<string[]> {
  const changed: string[] = [];
  for (const table of RAW_TABLES) {
    const rows = await queryRows<{ q: string }>(
      client,
      'SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      { db: database, t: table },
    );
    const want = `toDateTime(ts) + toIntervalDay(${rawTtlDays})`;
    if (rows[0] && !rows[0].q.includes(`TTL ${want}`)) {
      await client.command({
        query: `ALTER TABLE ${table} MODIFY TTL toDateTime(ts) + INTERVAL ${rawTtlDays} DAY`,
        clickhouse_settings: { materialize_ttl_after_modify: 0 },
      });
      changed.push(table);
    }
  }
  if (dedupWindowMs !== undefined) {
    // the ids must outlive the window; whole days, at least 1 (parts are dropped whole)
    const days = Math.max(1, Math.ceil(dedupWindowMs / 86_400_000)) + 1;
    const rows = await queryRows<{ q: string }>(
      client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'recent_event_ids'",
      { db: database },
    );
    if (rows[0] && !rows[0].q.includes(`TTL toDateTime(ingested_at) + toIntervalDay(${days})`)) {
      await client.command({
        query: `ALTER TABLE recent_event_ids MODIFY TTL toDateTime(ingested_at) + INTERVAL ${days} DAY`,
        clickhouse_settings: { materialize_ttl_after_modify: 0 },
      });
      changed.push('recent_event_ids');
    }
  }
  return changed;
}
