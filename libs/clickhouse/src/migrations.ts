import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
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

export interface MigrationLockOptions {
  /** How long to wait for another process's migrations (default 330 s). */
  waitMs?: number;
  /** A lock older than this is from a process that died while migrating and is broken (default 300 s). */
  staleMs?: number;
  /** Retry interval while waiting (default 250 ms). */
  retryMs?: number;
}

export interface MigrationOptions {
  /**
   * Take the migration lock first: several processes sharing one ClickHouse server (apps run as
   * separate processes) then apply each migration once, one after another. The embedded engine
   * belongs to one process and needs none.
   */
  lock?: MigrationLockOptions | false;
}

/** The lock is this table's existence: CREATE TABLE (without IF NOT EXISTS) succeeds for one process. */
export const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';

/**
 * Runs `fn` holding the migration lock. The holder and the time it took the lock are the table's
 * comment; a lock older than `staleMs` (its holder died mid-migration) is dropped and retaken.
 */
export async function withMigrationLock<T>(
  client: ClickHouseClient,
  fn: () => Promise<T>,
  opts: MigrationLockOptions = {},
): Promise<T> {
  const waitMs = opts.waitMs ?? 330_000;
  const staleMs = opts.staleMs ?? 300_000;
  const retryMs = opts.retryMs ?? 250;
  const holder = `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}/${process.pid}/${randomUUID()}`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    // One of several concurrent CREATEs creates the table: its comment names the holder. No
    // error-driven flow (a failed request is logged by the client as an error).
    await client.command({
      // COMMENT takes a literal only; the holder is [A-Za-z0-9./_-] (host name, pid, uuid)
      query: `CREATE TABLE IF NOT EXISTS ${MIGRATION_LOCK_TABLE} (holder String) ENGINE = Memory COMMENT '${holder} ${Date.now()}'`,
    });
    const rows = await queryRows<{ comment: string }>(
      client,
      'SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
      { t: MIGRATION_LOCK_TABLE },
    );
    const [other, since] = (rows[0]?.comment ?? '').split(' ');
    if (other === holder) break;
    const age = Date.now() - Number(since);
    if (rows[0] && Number.isFinite(age) && age > staleMs) {
      await client.command({ query: `DROP TABLE IF EXISTS ${MIGRATION_LOCK_TABLE} SYNC` });
      continue;
    }
    if (Date.now() > deadline)
      throw new MigrationError(
        `the migration lock (table ${MIGRATION_LOCK_TABLE}) is held by ${other ?? 'unknown'} for ${Math.round(age / 1000)} s; ` +
          `if no process is migrating, DROP TABLE ${MIGRATION_LOCK_TABLE}`,
      );
    await new Promise((r) => setTimeout(r, retryMs));
  }
  try {
    return await fn();
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${MIGRATION_LOCK_TABLE} SYNC` });
  }
}

/**
 * Applies pending migrations in order and records each in the `schema_migrations` ledger.
 * Idempotent; refuses to run when an applied file has since been edited (checksum mismatch).
 * With `lock`, several processes may start at once against one server: each migration runs once.
 */
export async function runMigrations(
  client: ClickHouseClient,
  migrations = loadMigrations(),
  opts: MigrationOptions = {},
): Promise<MigrationResult> {
  return opts.lock
    ? withMigrationLock(client, () => applyMigrations(client, migrations), opts.lock)
    : applyMigrations(client, migrations);
}

async function applyMigrations(
  client: ClickHouseClient,
  migrations: Migration[],
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
