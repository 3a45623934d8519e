import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { loadConfig } from '@storepulse/config';
import { createLogger } from '@storepulse/observability';
import { createClickHouse, queryRows, type ClickHouseHandle } from '../client';
import { loadMigrations, MIGRATION_LOCK_TABLE, runMigrations } from '../migrations';
import { startClickHouseGateway, type ClickHouseGateway } from './server';

type EmbeddedConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

const PASSWORD = 'gateway-test-pw';
const MAX_BODY = 8 * 1024 * 1024;

/**
 * The gateway on a temporary data directory, reached by the real @clickhouse/client through the
 * repo's own factory in server mode (the code path every app uses with CLICKHOUSE_URL).
 */
describe('ClickHouse gateway: the HTTP interface over the embedded engine', () => {
  let gateway: ClickHouseGateway;
  let dataDir: string;
  const handles: ClickHouseHandle[] = [];
  const clients: ClickHouseClient[] = [];

  const connect = async (database: string, password = PASSWORD): Promise<ClickHouseHandle> => {
    const h = await createClickHouse(
      loadConfig({
        CLICKHOUSE_URL: gateway.url,
        CLICKHOUSE_PASSWORD: password,
        CLICKHOUSE_DATABASE: database,
      }).clickhouse,
    );
    handles.push(h);
    return h;
  };
  const rawClient = (opts: Parameters<typeof createClient>[0] = {}): ClickHouseClient => {
    const c = createClient({ url: gateway.url, password: PASSWORD, ...opts });
    clients.push(c);
    return c;
  };
  // chdb's Connection throws its own copy of client-common's ClickHouseError: compare the shape.
  const caught = async (
    p: Promise<unknown>,
  ): Promise<Pick<ClickHouseError, 'code' | 'type' | 'message'>> => {
    try {
      await p;
    } catch (e) {
      const err = e as Partial<ClickHouseError>;
      assert.ok(
        e instanceof Error && typeof err.code === 'string' && typeof err.type === 'string',
        `a ClickHouseError, got ${String(e)}`,
      );
      return { code: err.code, type: err.type, message: e.message };
    }
    assert.fail('expected the request to fail');
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sp-gateway-'));
    gateway = await startClickHouseGateway(
      {
        dataDir,
        host: '127.0.0.1',
        port: 0,
        user: 'default',
        password: PASSWORD,
        maxBodyBytes: MAX_BODY,
        maxConcurrency: 4,
      },
      createLogger('silent', 'gateway-test'),
    );
  });
  after(async () => {
    for (const h of handles) await h.close();
    for (const c of clients) await c.close();
    await gateway.close();
  });

  it('answers /ping and the client ping, and reports the engine version', async () => {
    const r = await fetch(`${gateway.url}/ping`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'Ok.\n');
    const h = await connect('gw_basic');
    assert.equal(h.mode, 'server');
    assert.deepEqual(await h.client.ping(), { success: true });
    assert.equal(await h.version(), gateway.version);
    assert.match(gateway.version, /^2\d\.\d+/);
  });

  it('runs commands, inserts JSONEachRow and queries with query_params', async () => {
    const h = await connect('gw_basic');
    await h.client.command({
      query:
        'CREATE TABLE IF NOT EXISTS items (id UInt32, name String, tags Array(String)) ENGINE = MergeTree ORDER BY id',
    });
    const ins = await h.client.insert({
      table: 'items',
      values: [
        { id: 1, name: "it's", tags: ['a'] },
        { id: 2, name: 'tab\there\nnewline \\ backslash', tags: ["b'c", 'd'] },
        { id: 3, name: 'three', tags: [] },
      ],
      format: 'JSONEachRow',
    });
    assert.equal(ins.summary?.written_rows, '3');
    assert.equal(ins.query_id.length > 0, true);
    const rows = await queryRows<{ id: number; name: string }>(
      h.client,
      'SELECT id, name FROM items WHERE name IN ({names:Array(String)}) OR id = {id:UInt32} ORDER BY id',
      { names: ["it's", 'tab\there\nnewline \\ backslash'], id: 3 },
    );
    assert.deepEqual(rows, [
      { id: 1, name: "it's" },
      { id: 2, name: 'tab\there\nnewline \\ backslash' },
      { id: 3, name: 'three' },
    ]);
    const byName = await queryRows<{ id: number }>(
      h.client,
      'SELECT id FROM items WHERE name = {n:String}',
      { n: 'tab\there\nnewline \\ backslash' },
    );
    assert.deepEqual(byName, [{ id: 2 }]);
    const [count] = await queryRows<{ c: string }>(h.client, 'SELECT count() AS c FROM items');
    assert.equal(Number(count.c), 3);
  });

  it('sends the server headers: query id, format, timezone and a JSON summary', async () => {
    const c = rawClient({ database: 'gw_basic' });
    const rs = await c.query({
      query: 'SELECT id FROM items ORDER BY id',
      format: 'JSONEachRow',
      query_id: 'my-query-id',
    });
    assert.equal(rs.query_id, 'my-query-id');
    assert.equal(rs.response_headers['x-clickhouse-query-id'], 'my-query-id');
    assert.equal(rs.response_headers['x-clickhouse-format'], 'JSONEachRow');
    assert.ok(rs.response_headers['x-clickhouse-timezone']);
    const summary = JSON.parse(String(rs.response_headers['x-clickhouse-summary'])) as Record<
      string,
      string
    >;
    assert.equal(summary.read_rows, '3');
    assert.deepEqual(await rs.json(), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('takes gzip request bodies, and gzips responses only when asked to', async () => {
    const gz = rawClient({ database: 'gw_basic', compression: { request: true, response: true } });
    await gz.insert({
      table: 'items',
      values: [{ id: 4, name: 'gzipped', tags: [] }],
      format: 'JSONEachRow',
    });
    const rs = await gz.query({ query: 'SELECT name FROM items WHERE id = 4', format: 'JSON' });
    assert.equal(rs.response_headers['content-encoding'], 'gzip');
    assert.deepEqual((await rs.json<{ name: string }>()).data, [{ name: 'gzipped' }]);
    const plain = rawClient({ database: 'gw_basic' });
    const rp = await plain.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    assert.equal(rp.response_headers['content-encoding'], undefined);
    assert.deepEqual(await rp.json(), [{ one: 1 }]);
    // a hand-made gzip body (the query itself compressed)
    const r = await fetch(`${gateway.url}/?database=gw_basic`, {
      method: 'POST',
      headers: { 'Content-Encoding': 'gzip', 'X-ClickHouse-Key': PASSWORD },
      body: gzipSync('SELECT count() FROM items'),
    });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '4\n');
  });

  it('an unknown table fails with the same code and type as in embedded mode', async () => {
    const h = await connect('gw_basic');
    const viaGateway = await caught(h.client.query({ query: 'SELECT * FROM no_such_table' }));
    // The embedded engine through chdb's own Connection, on the gateway's data directory.
    const embedded = createClient({
      connection: createChdbConnection({ path: dataDir }) as unknown as EmbeddedConnection,
    });
    clients.push(embedded);
    await embedded.command({ query: 'USE gw_basic' });
    const viaEmbedded = await caught(embedded.query({ query: 'SELECT * FROM no_such_table' }));
    assert.equal(viaGateway.code, '60');
    assert.equal(viaGateway.type, 'UNKNOWN_TABLE');
    assert.equal(viaGateway.code, viaEmbedded.code);
    assert.equal(viaGateway.type, viaEmbedded.type);
    assert.equal(viaGateway.message, viaEmbedded.message);
    const r = await fetch(`${gateway.url}/`, {
      method: 'POST',
      headers: { 'X-ClickHouse-Key': PASSWORD },
      body: 'SELECT * FROM no_such_table',
    });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-clickhouse-exception-code'), '60');
    assert.match(await r.text(), /^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version /);
  });

  it('rejects a wrong password with 516 AUTHENTICATION_FAILED (HTTP 403), by header or Basic auth', async () => {
    const bad = rawClient({ password: 'wrong' });
    const e = await caught(bad.query({ query: 'SELECT 1' }));
    assert.equal(e.code, '516');
    assert.equal(e.type, 'AUTHENTICATION_FAILED');
    const r = await fetch(`${gateway.url}/`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': 'nope' },
      body: 'SELECT 1',
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('x-clickhouse-exception-code'), '516');
    await assert.rejects(connect('gw_basic', 'wrong'), /not reachable.*Authentication failed/s);
    const ok = await fetch(`${gateway.url}/`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`default:${PASSWORD}`).toString('base64')}` },
      body: 'SELECT 1',
    });
    assert.equal(await ok.text(), '1\n');
  });

  it('runs every request in the database it names', async () => {
    const a = await connect('gw_db_a');
    const b = await connect('gw_db_b');
    for (const [h, v] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      await h.client.command({
        query: 'CREATE TABLE IF NOT EXISTS t (v String) ENGINE = MergeTree ORDER BY v',
      });
      await h.client.insert({ table: 't', values: [{ v }], format: 'JSONEachRow' });
    }
    assert.deepEqual(await queryRows(a.client, 'SELECT v, currentDatabase() AS db FROM t'), [
      { v: 'a', db: 'gw_db_a' },
    ]);
    assert.deepEqual(await queryRows(b.client, 'SELECT v, currentDatabase() AS db FROM t'), [
      { v: 'b', db: 'gw_db_b' },
    ]);
    const e = await caught(rawClient({ database: 'gw_missing' }).query({ query: 'SELECT 1' }));
    assert.equal(e.type, 'UNKNOWN_DATABASE');
  });

  it('concurrent clients never see each other’s database, settings or parameters', async () => {
    const a = await connect('gw_db_a');
    const b = await connect('gw_db_b');
    const ask = (h: ClickHouseHandle, n: number, blockSize: number) =>
      h.client
        .query({
          query:
            "SELECT currentDatabase() AS db, {n:UInt32} AS n, getSetting('max_block_size') AS bs, v FROM t",
          query_params: { n },
          clickhouse_settings: { max_block_size: String(blockSize) },
          format: 'JSONEachRow',
        })
        .then((rs) => rs.json<{ db: string; n: number; bs: string | number; v: string }>());
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const h = i % 2 === 0 ? a : b;
      const db = i % 2 === 0 ? 'gw_db_a' : 'gw_db_b';
      const bs = 1000 + i;
      jobs.push(
        ask(h, i, bs).then((rows) => {
          assert.equal(rows.length, 1);
          assert.equal(rows[0].db, db);
          assert.equal(rows[0].v, db.slice(-1));
          assert.equal(rows[0].n, i);
          assert.equal(Number(rows[0].bs), bs);
        }),
      );
    }
    await Promise.all(jobs);
  });

  it('refuses multi-statements like the server (SYNTAX_ERROR)', async () => {
    const h = await connect('gw_basic');
    const e = await caught(h.client.command({ query: 'SELECT 1; DROP TABLE items' }));
    assert.equal(e.type, 'SYNTAX_ERROR');
    assert.match(e.message, /Multi-statements are not allowed/);
    await h.client.command({ query: "SELECT ';' -- one statement; with a comment\n;" });
    const [c] = await queryRows<{ c: string }>(h.client, 'SELECT count() AS c FROM items');
    assert.equal(Number(c.c), 4);
  });

  it('takes a large insert as bytes and answers 413 past the body limit, staying usable', async () => {
    const h = await connect('gw_basic');
    await h.client.command({
      query:
        'CREATE TABLE IF NOT EXISTS big (id UInt32, pad String) ENGINE = MergeTree ORDER BY id',
    });
    const rows = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({ id: from + i, pad: 'x'.repeat(90) }));
    const ok = await h.client.insert({
      table: 'big',
      values: rows(60_000, 0),
      format: 'JSONEachRow',
    });
    assert.equal(ok.summary?.written_rows, '60000');
    const e = await caught(
      h.client.insert({ table: 'big', values: rows(100_000, 60_000), format: 'JSONEachRow' }),
    );
    assert.equal(e.type, 'QUERY_IS_TOO_LARGE');
    const [c] = await queryRows<{ c: string }>(h.client, 'SELECT count() AS c FROM big');
    assert.equal(Number(c.c), 60_000);
  });

  it('runs the repo migrations; processes starting at once apply each migration once', async () => {
    const h = await connect('gw_migrations');
    const racers = await Promise.all([0, 1, 2].map(() => connect('gw_migrations')));
    const results = await Promise.all(
      [h, ...racers].map((r) =>
        runMigrations(r.client, undefined, { lock: { retryMs: 50, waitMs: 60_000 } }),
      ),
    );
    const all = loadMigrations().map((m) => m.name);
    assert.deepEqual(results.flatMap((r) => r.applied).sort(), all);
    for (const r of results) assert.deepEqual([...r.applied, ...r.skipped].sort(), all);
    const ledger = await queryRows<{ version: number; n: string }>(
      h.client,
      'SELECT version, count() AS n FROM schema_migrations GROUP BY version ORDER BY version',
    );
    assert.equal(ledger.length, all.length);
    assert.ok(ledger.every((l) => Number(l.n) === 1));
    const lock = await queryRows(
      h.client,
      'SELECT name FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
      { t: MIGRATION_LOCK_TABLE },
    );
    assert.deepEqual(lock, [], 'the lock is released');
    const tables = await queryRows<{ c: string }>(
      h.client,
      "SELECT count() AS c FROM system.tables WHERE database = 'gw_migrations' AND name IN ('clickstream_events', 'ingest_ledger', 'models')",
    );
    assert.equal(Number(tables[0].c), 3);
  });

  it('breaks a stale migration lock left by a dead process', async () => {
    const h = await connect('gw_stale_lock');
    await h.client.command({
      query: `CREATE TABLE ${MIGRATION_LOCK_TABLE} (holder String) ENGINE = Memory COMMENT 'dead-host/1/x ${Date.now() - 10_000}'`,
    });
    const r = await runMigrations(h.client, undefined, { lock: { staleMs: 5_000, retryMs: 50 } });
    assert.equal(r.applied.length, loadMigrations().length);
    await h.client.command({
      query: `CREATE TABLE ${MIGRATION_LOCK_TABLE} (holder String) ENGINE = Memory COMMENT 'live-host/2/y ${Date.now()}'`,
    });
    await assert.rejects(
      runMigrations(h.client, undefined, { lock: { waitMs: 300, retryMs: 50 } }),
      /migration lock .* is held by live-host\/2\/y/,
    );
  });
});
