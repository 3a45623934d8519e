import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, queryRows, type ClickHouseHandle } from './client';
import {
  applyRetention,
  loadMigrations,
  MIGRATIONS_DIR,
  MigrationError,
  runMigrations,
  splitStatements,
} from './migrations';
import { chunkRows, insertIdempotent } from './insert';
import { Registry } from 'prom-client';
import { createEngineMemoryGauges, readEngineMemory } from './engine-memory';

describe('ClickHouse (embedded engine): migrations, retention, idempotent inserts', () => {
  let ch: ClickHouseHandle;
  before(async () => {
    ch = await createClickHouse(
      loadConfig({ CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'sp-ch-')) }).clickhouse,
    );
  });
  after(async () => {
    await ch.close();
  });

  it('reports the embedded engine and its version', async () => {
    assert.equal(ch.mode, 'embedded');
    assert.match(await ch.version(), /^2\d\.\d+/);
  });

  it('applies every migration once, in order, and records them in the ledger', async () => {
    const first = await runMigrations(ch.client);
    assert.deepEqual(
      first.applied,
      readdirSync(MIGRATIONS_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort(),
    );
    const second = await runMigrations(ch.client);
    assert.deepEqual(second.applied, []);
    assert.equal(second.skipped.length, first.applied.length);
    const tables = await queryRows<{ name: string }>(
      ch.client,
      'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: ch.database },
    );
    for (const t of [
      'clickstream_events',
      'order_lines',
      'inventory_snapshots',
      'dead_letters',
      'ingest_ledger',
      'schema_migrations',
    ]) {
      assert.ok(
        tables.some((r) => r.name === t),
        `table ${t} exists`,
      );
    }
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-mig-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const file = readdirSync(dir).sort()[0];
    writeFileSync(join(dir, file), '-- edited\nSELECT 1;\n');
    await assert.rejects(
      runMigrations(ch.client, loadMigrations(dir)),
      (e: unknown) =>
        e instanceof MigrationError && /was edited after it was applied/.test(e.message),
    );
  });

  it('rejects badly named migration files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-mig-'));
    writeFileSync(join(dir, '1_bad.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrations(dir), /must look like 0001_name.sql/);
  });

  it('splits statements on semicolons at line ends, ignoring comments', () => {
    assert.deepEqual(splitStatements("-- c\nCREATE TABLE a (x String DEFAULT ';');\nSELECT 1;\n"), [
      "CREATE TABLE a (x String DEFAULT ';')",
      'SELECT 1',
    ]);
  });

  it('sets the raw TTL from config, and only when it changed', async () => {
    const changed = await applyRetention(ch.client, ch.database, 30);
    assert.deepEqual(changed.sort(), ['clickstream_events', 'inventory_snapshots', 'order_lines']);
    assert.deepEqual(await applyRetention(ch.client, ch.database, 30), []);
    const [row] = await queryRows<{ q: string }>(
      ch.client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'order_lines'",
      { db: ch.database },
    );
    assert.match(row.q, /TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/);
  });

  it('an insert retried with the same token and rows is stored once (chunked by rows)', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({
      sku: `S${i}`,
      on_hand: i,
      on_order: 0,
      lead_time_days: 1,
      ts: '2026-11-28 10:00:00.000',
      _topic: 't',
      _partition: 0,
      _offset: i,
    }));
    assert.equal(chunkRows(rows, { maxRows: 10, maxBytes: 1 << 20 }).length, 3);
    for (let attempt = 0; attempt < 3; attempt++)
      await insertIdempotent(ch.client, 'inventory_snapshots', rows, 'test/token', {
        maxRows: 10,
        maxBytes: 1 << 20,
      });
    const [c] = await queryRows<{ n: string; s: string }>(
      ch.client,
      'SELECT toString(count()) AS n, toString(sum(on_hand)) AS s FROM inventory_snapshots',
    );
    assert.equal(Number(c.n), 25);
    assert.equal(Number(c.s), (24 * 25) / 2);
    await insertIdempotent(ch.client, 'inventory_snapshots', rows.slice(0, 5), 'test/other-token', {
      maxRows: 10,
      maxBytes: 1 << 20,
    });
    const [c2] = await queryRows<{ n: string }>(
      ch.client,
      'SELECT toString(count()) AS n FROM inventory_snapshots',
    );
    assert.equal(Number(c2.n), 30, 'a different token is a different insert');
  });

  it('reports the engine’s own memory and parts, on /metrics too', async () => {
    // the migrations and inserts above left active parts with primary keys in memory
    const m = await readEngineMemory(ch.client, ch.database);
    assert.ok(m.tracked > 1_000_000, `tracked ${m.tracked} bytes`);
    assert.ok(m.activeParts >= 1, `${m.activeParts} active parts`);
    assert.ok(m.primaryKeys > 0, `${m.primaryKeys} bytes of primary keys`);
    for (const v of Object.values(m)) assert.ok(Number.isFinite(v) && v >= 0);
    const registry = new Registry();
    const errors: unknown[] = [];
    createEngineMemoryGauges(
      registry,
      () => readEngineMemory(ch.client, ch.database),
      (e) => errors.push(e),
    );
    const text = await registry.metrics();
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="tracked"\} [1-9]\d*/);
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="mark_cache"\} \d+/);
    assert.match(text, /storepulse_clickhouse_active_parts\{database="[a-z_]+"\} [1-9]\d*/);
    assert.deepEqual(errors, []);
  });
});
