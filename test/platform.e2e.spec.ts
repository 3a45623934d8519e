import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { tempDir } from './support/env';
import { readAll, waitFor } from './support/kafka';

const ROOT = resolve(__dirname, '..', '..');
const HTTP_PORT = 3900 + Math.floor(Math.random() * 90);
// its own broker (controller on port + 1): never 39092, the test broker's own port (the platform
// would reuse that broker and, rightly, not stop it)
const KAFKA_PORT = 39092 + (1 + Math.floor(Math.random() * 49)) * 2;

interface Status {
  kafka: { brokers: string[]; localBroker: boolean };
  clickhouse: { mode: string; version: string };
  tables: Record<string, number>;
  dlq: { count: number; latest: { reason: string }[] };
  lag: { groupId: string; partitions: unknown[] }[];
  simulator: { produced: { total: number } } | null;
}

/**
 * `npm start` as a user runs it: no KAFKA_BROKERS, no CLICKHOUSE_URL. The process starts its own
 * broker and the embedded engine, the simulator produces, an event written by a plain Kafka client
 * (as in the README) lands in ClickHouse, a malformed one in the DLQ, and Ctrl-C exits 0 in < 15 s.
 */
describe('all-in-one process (npm start)', () => {
  let child: ChildProcess | undefined;
  let output = '';
  const dataDir = tempDir('platform');

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  async function status(): Promise<Status> {
    const r = await fetch(`http://127.0.0.1:${HTTP_PORT}/api/status`);
    assert.equal(r.status, 200);
    return (await r.json()) as Status;
  }

  it('starts Kafka + embedded ClickHouse, ingests, dead-letters, and stops cleanly on SIGINT', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HTTP_PORT: String(HTTP_PORT),
      KAFKA_LOCAL_PORT: String(KAFKA_PORT),
      KAFKA_DATA_DIR: join(dataDir, 'kafka'),
      CLICKHOUSE_DATA_DIR: join(dataDir, 'chdb'),
      SIMULATOR_EVENTS_PER_SEC: '200',
      // this test checks live ingest; the first-run history and training are in propensity.e2e
      SIMULATOR_HISTORY_DAYS: '0',
      STATUS_INTERVAL_MS: '2000',
      LOG_LEVEL: 'warn',
    };
    const t0 = Date.now();
    child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'platform', 'src', 'main.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

    await waitFor(
      async () => {
        try {
          const s = await status();
          return s.tables['clickstream_events'] > 0;
        } catch {
          return false;
        }
      },
      120_000,
      'rows growing in /api/status',
      500,
    );
    const startupMs = Date.now() - t0;
    const s1 = await status();
    assert.equal(s1.kafka.localBroker, true);
    assert.deepEqual(s1.kafka.brokers, [`localhost:${KAFKA_PORT}`]);
    assert.equal(s1.clickhouse.mode, 'embedded');
    assert.ok(s1.simulator && s1.simulator.produced.total > 0);
    assert.ok(startupMs < 120_000, `steady state in ${startupMs} ms`);
    await waitFor(
      () => Promise.resolve(/\[status\] produced=\d+ consumed=\d+ stored: clicks=\d+/.test(output)),
      10_000,
      'a status line on stdout',
    );

    // Health and metrics carry the TensorFlow backend the provider chose (native where provisioned).
    const healthRes = await fetch(`http://127.0.0.1:${HTTP_PORT}/health/ready`);
    const health = (await healthRes.json()) as {
      status: string;
      details: Record<
        string,
        { status: string; backend?: string; running?: boolean; stalled?: boolean }
      >;
    };
    assert.equal(healthRes.status, 200, JSON.stringify(health));
    assert.equal(health.status, 'ok');
    assert.equal(health.details['clickhouse']?.status, 'up');
    assert.equal(health.details['kafka']?.status, 'up');
    assert.equal(health.details['aggregator-consumer']?.running, true);
    assert.equal(health.details['aggregator-consumer']?.stalled, false);
    const backend = health.details['tensorflow']?.backend;
    assert.ok(
      backend === 'native' || backend === 'wasm' || backend === 'cpu',
      `tensorflow backend ${backend}`,
    );
    if (process.env.CI) assert.equal(backend, 'native', 'CI provisions native TensorFlow');
    const metrics = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).text();
    assert.match(metrics, new RegExp(`storepulse_tf_backend_info\\{backend="${backend}"\\} 1`));
    assert.match(
      metrics,
      /storepulse_events_consumed_total\{topic="storefront\.clickstream\.v1"\} \d+/,
    );
    assert.match(metrics, /storepulse_rows_stored_total\{table="clickstream_events"\} \d+/);

    // Any Kafka client, following the README: one valid order and one malformed clickstream event.
    const kafka = new Kafka({ brokers: [`localhost:${KAFKA_PORT}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const orderId = `readme-${randomUUID()}`;
    await producer.send({
      topic: 'storefront.orders.v1',
      messages: [
        {
          key: orderId,
          value: JSON.stringify({
            event_id: randomUUID(),
            type: 'order_placed',
            order_id: orderId,
            user_id: 'readme-user',
            ts: new Date().toISOString(),
            currency: 'EUR',
            items: [{ sku: 'README-SKU', qty: 3, unit_price: 12.5 }],
          }),
        },
      ],
    });
    const badKey = `bad-${randomUUID()}`;
    await producer.send({
      topic: 'storefront.clickstream.v1',
      messages: [{ key: badKey, value: '{"type":"page_view","user_id":42}' }],
    });
    await producer.disconnect();

    await waitFor(
      async () => {
        const dlq = await readAll(kafka, 'dlq.storefront.v1');
        return dlq.some((m) => m.key?.toString() === badKey);
      },
      60_000,
      'malformed event in the DLQ',
      1000,
    );
    // the order is on another topic than the dead letter's source: its batch may commit later
    let order = await fetch(`http://127.0.0.1:${HTTP_PORT}/api/raw/orders/${orderId}`);
    await waitFor(
      async () => {
        if (order.status === 200) return true;
        order = await fetch(`http://127.0.0.1:${HTTP_PORT}/api/raw/orders/${orderId}`);
        return order.status === 200;
      },
      30_000,
      'the README order stored',
      500,
    );
    assert.equal(order.status, 200, 'the README order is stored');
    const stored = (await order.json()) as {
      lines: { sku: string; qty: number; amount: string; user_id: string }[];
    };
    assert.equal(stored.lines.length, 1);
    assert.equal(stored.lines[0]?.sku, 'README-SKU');
    assert.equal(stored.lines[0]?.qty, 3);
    assert.equal(Number(stored.lines[0]?.amount), 37.5);
    assert.equal(
      (await fetch(`http://127.0.0.1:${HTTP_PORT}/api/raw/orders/nope-${randomUUID()}`)).status,
      404,
    );
    const dlq = await readAll(kafka, 'dlq.storefront.v1');
    const bad = dlq.find((m) => m.key?.toString() === badKey);
    assert.equal(bad?.value?.toString(), '{"type":"page_view","user_id":42}');
    assert.match(bad?.headers['x-dlq-reason'] ?? '', /user_id: must be a string/);
    assert.match(bad?.headers['x-dlq-reason'] ?? '', /event_id: is required/);

    // SIGINT (Ctrl-C): everything stops, exit code 0, within 15 s; the broker it started is gone too.
    const t1 = Date.now();
    const exit = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    const code = await Promise.race([
      exit,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000)),
    ]);
    assert.equal(code, 0, `exit code (output tail: ${output.slice(-2000)})`);
    assert.ok(Date.now() - t1 < 15_000, `stopped in ${Date.now() - t1} ms`);
    const probe = new Kafka({
      brokers: [`localhost:${KAFKA_PORT}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1000,
    }).admin();
    await assert.rejects(probe.connect(), 'the local broker was stopped');
  });
});
