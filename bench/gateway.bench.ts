// npm run bench -- gateway [rows] [queries]
// The cost of the ClickHouse gateway against the embedded engine, side by side, on the apps' own
// code paths: insert-heavy (insertIdempotent in chunks: the raw JSONEachRow path in-process, the
// client's HTTP insert through the gateway) and query-heavy (sequential point queries with
// query_params, and a full aggregation). The gateway runs as its own process (as in production);
// the embedded engine runs in this one, on another data directory.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  insertIdempotent,
  queryRows,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';

const ROWS = Number(process.argv[2] ?? 200_000);
const QUERIES = Number(process.argv[3] ?? 300);
const CHUNK = { maxRows: 50_000, maxBytes: 16 * 1024 * 1024 };
const PORT = 39_225;
const PASSWORD = 'bench';

interface Figures {
  insertRowsPerSec: number;
  insertMs: number;
  pointP50Ms: number;
  pointP95Ms: number;
  pointTotalMs: number;
  aggregateMs: number;
}

function rows(n: number) {
  const types = ['page_view', 'product_view', 'add_to_cart', 'search'];
  const t0 = Date.UTC(2026, 10, 1);
  return Array.from({ length: n }, (_, i) => ({
    event_id: randomUUID(),
    user_id: `u-${String(i % 5_000).padStart(6, '0')}`,
    ts: new Date(t0 + i * 1_000).toISOString().replace('T', ' ').replace('Z', ''),
    type: types[i % types.length],
    sku: `SKU-${String(i % 300).padStart(6, '0')}`,
    price: (i % 1_000) / 10,
  }));
}

async function run(ch: ClickHouseHandle, data: object[]): Promise<Figures> {
  await ch.client.command({
    query: `CREATE TABLE IF NOT EXISTS bench_events (event_id UUID, user_id String, ts DateTime64(3, 'UTC'),
      type LowCardinality(String), sku String, price Float64) ENGINE = MergeTree ORDER BY (user_id, ts)`,
  });
  const t0 = performance.now();
  await insertIdempotent(ch.client, 'bench_events', data, randomUUID(), CHUNK, ch.insertJsonLines);
  const insertMs = performance.now() - t0;
  const times: number[] = [];
  const q0 = performance.now();
  for (let i = 0; i < QUERIES; i++) {
    const s = performance.now();
    await queryRows(
      ch.client,
      'SELECT count() AS n, sum(price) AS s FROM bench_events WHERE user_id = {u:String}',
      { u: `u-${String((i * 37) % 5_000).padStart(6, '0')}` },
    );
    times.push(performance.now() - s);
  }
  const pointTotalMs = performance.now() - q0;
  times.sort((a, b) => a - b);
  const a0 = performance.now();
  for (let i = 0; i < 10; i++)
    await queryRows(
      ch.client,
      'SELECT type, count() AS n, uniq(user_id) AS users, avg(price) AS p FROM bench_events GROUP BY type ORDER BY type',
    );
  const aggregateMs = (performance.now() - a0) / 10;
  return {
    insertRowsPerSec: Math.round(data.length / (insertMs / 1000)),
    insertMs: Math.round(insertMs),
    pointP50Ms: times[Math.floor(times.length * 0.5)],
    pointP95Ms: times[Math.floor(times.length * 0.95)],
    pointTotalMs: Math.round(pointTotalMs),
    aggregateMs,
  };
}

async function main(): Promise<void> {
  const data = rows(ROWS);
  const embedded = await createClickHouse(
    loadConfig({ CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'sp-bench-emb-')) }).clickhouse,
  );
  const e = await run(embedded, data);
  await embedded.close();

  const gatewayDir = mkdtempSync(join(tmpdir(), 'sp-bench-gw-'));
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', 'apps', 'clickhouse-gateway', 'src', 'main.js')],
    {
      env: {
        PATH: process.env.PATH,
        CLICKHOUSE_DATA_DIR: gatewayDir,
        CLICKHOUSE_GATEWAY_PORT: String(PORT),
        CLICKHOUSE_PASSWORD: PASSWORD,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${PORT}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('gateway did not answer /ping within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const server = await createClickHouse(
    loadConfig({ CLICKHOUSE_URL: url, CLICKHOUSE_PASSWORD: PASSWORD }).clickhouse,
  );
  const g = await run(server, data);
  await server.close();
  child.kill('SIGTERM');

  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log(`\n${process.env.BENCH_COMMAND ?? 'gateway bench'}`);
  console.log(
    `${ROWS} rows (6 columns, chunks of ${CHUNK.maxRows}), ${QUERIES} point queries, 10 aggregations`,
  );
  console.log('| case | embedded | gateway (HTTP) | gateway / embedded |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| insert rows/s | ${e.insertRowsPerSec} | ${g.insertRowsPerSec} | ${ratio(e.insertRowsPerSec, g.insertRowsPerSec)} slower |`,
  );
  console.log(
    `| point query p50 ms | ${e.pointP50Ms.toFixed(2)} | ${g.pointP50Ms.toFixed(2)} | ${ratio(g.pointP50Ms, e.pointP50Ms)} |`,
  );
  console.log(
    `| point query p95 ms | ${e.pointP95Ms.toFixed(2)} | ${g.pointP95Ms.toFixed(2)} | ${ratio(g.pointP95Ms, e.pointP95Ms)} |`,
  );
  console.log(
    `| ${QUERIES} point queries ms | ${e.pointTotalMs} | ${g.pointTotalMs} | ${ratio(g.pointTotalMs, e.pointTotalMs)} |`,
  );
  console.log(
    `| aggregation ms | ${e.aggregateMs.toFixed(1)} | ${g.aggregateMs.toFixed(1)} | ${ratio(g.aggregateMs, e.aggregateMs)} |`,
  );
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
