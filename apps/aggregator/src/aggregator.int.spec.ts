import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka, Message } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { DLQ_HEADERS, TOPICS } from '@storepulse/contracts';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import {
  produce,
  readAll,
  resetStorefrontTopics,
  testKafka,
  waitFor,
} from '../../../test/support/kafka';
import { testConfig, testLogger } from '../../../test/support/env';
import { AggregatorService } from './aggregator.service';

const N_CLICKS = 3000;
/** The fixtures use fixed 2026 event times: accept any lateness here (the policy has its own tests). */
const ANY_LATENESS = String(3650 * 86_400_000);
const N_ORDERS = 400;

function clickMsg(i: number): Message {
  const user = `u-${i % 37}`;
  return {
    key: user,
    value: JSON.stringify({
      event_id: randomUUID(),
      type: i % 3 === 0 ? 'add_to_cart' : 'product_view',
      user_id: user,
      session_id: `s-${i % 101}`,
      ts: new Date(Date.UTC(2026, 10, 20, 12, 0, 0) + i * 1000).toISOString(),
      sku: `SKU-${i % 50}`,
      price: 10 + (i % 7),
    }),
  };
}
function orderMsg(i: number): Message {
  return {
    key: `o-${i}`,
    value: JSON.stringify({
      event_id: randomUUID(),
      type: 'order_placed',
      order_id: `o-${i}`,
      user_id: `u-${i % 37}`,
      ts: new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + i * 60_000).toISOString(),
      currency: 'EUR',
      items: [
        { sku: `SKU-${i % 50}`, qty: 1 + (i % 3), unit_price: 2.5 },
        { sku: `SKU-${(i + 1) % 50}`, qty: 1, unit_price: 10 },
      ],
    }),
  };
}
const BAD: Message[] = [
  { key: 'bad-1', value: '{"event_id": "x",' },
  {
    key: 'bad-2',
    value: JSON.stringify({
      type: 'page_view',
      user_id: 'u',
      session_id: 's',
      ts: '2026-11-20T00:00:00Z',
    }),
  },
  {
    key: 'bad-3',
    value: JSON.stringify({ ...JSON.parse(clickMsg(1).value as string), type: 'teleport' }),
  },
];
const BAD_ORDER: Message = {
  key: 'bad-o',
  value: JSON.stringify({
    ...JSON.parse(orderMsg(1).value as string),
    items: [{ sku: 'a', qty: -2, unit_price: 1 }],
  }),
};

// Expected totals, computed from what we produce.
const expectedUnits = Array.from({ length: N_ORDERS }, (_, i) => 1 + (i % 3) + 1).reduce(
  (a, b) => a + b,
  0,
);
const expectedRevenue = Array.from({ length: N_ORDERS }, (_, i) => (1 + (i % 3)) * 2.5 + 10).reduce(
  (a, b) => a + b,
  0,
);

describe('aggregator against a real Kafka broker and the embedded ClickHouse engine', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  const groupId = `agg-int-${Date.now()}`;

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({
      AGGREGATOR_GROUP_ID: groupId,
      CLICKHOUSE_INSERT_MAX_ROWS: '500',
      FEATURES_ALLOWED_LATENESS_MS: ANY_LATENESS,
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const clicks = Array.from({ length: N_CLICKS }, (_, i) => clickMsg(i));
    clicks.splice(1000, 0, BAD[0], BAD[1]);
    clicks.splice(2000, 0, BAD[2]);
    const orders = Array.from({ length: N_ORDERS }, (_, i) => orderMsg(i));
    orders.splice(200, 0, BAD_ORDER);
    await produce(kafka, TOPICS.clickstream, clicks);
    await produce(kafka, TOPICS.orders, orders);
  });

  const started: AggregatorService[] = [];
  after(async () => {
    for (const s of started) await s.beforeApplicationShutdown().catch(() => undefined);
    await ch?.close();
  });

  function service(cfg: AppConfig): AggregatorService {
    const logger = testLogger();
    const s = new AggregatorService(
      cfg,
      createKafka({ brokers: cfg.kafka.brokers!, clientId: 'agg-int', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    started.push(s);
    return s;
  }

  async function counts() {
    const [r] = await queryRows<{
      clicks: string;
      lines: string;
      units: string;
      revenue: string;
      dlq: string;
      distinct_clicks: string;
    }>(
      ch.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events) AS clicks,
         (SELECT toString(uniqExact(event_id)) FROM clickstream_events) AS distinct_clicks,
         (SELECT toString(count()) FROM order_lines) AS lines,
         (SELECT toString(sum(qty)) FROM order_lines) AS units,
         (SELECT toString(sum(amount)) FROM order_lines) AS revenue,
         (SELECT toString(count()) FROM dead_letters) AS dlq`,
    );
    return {
      clicks: Number(r.clicks),
      distinctClicks: Number(r.distinct_clicks),
      lines: Number(r.lines),
      units: Number(r.units),
      revenue: Number(r.revenue),
      dlq: Number(r.dlq),
    };
  }

  it('stores valid rows exactly once and completes a chunk left pending by a crash, without doubling it', async () => {
    // First instance "crashes" after writing one chunk's rows but before marking it done.
    const first = service(config);
    let crashed = 0;
    first.ingest.afterChunkWrite = (c) => {
      if (c.topic === TOPICS.clickstream && c.firstOffset > 0n) {
        crashed++;
        return Promise.reject(new Error('simulated crash between insert and ledger/commit'));
      }
      return Promise.resolve();
    };
    await first.onApplicationBootstrap();
    await waitFor(() => Promise.resolve(crashed > 0), 60_000, 'a chunk written then crashed');
    const stored = await counts();
    assert.ok(stored.clicks > 0, 'the crashed chunk left rows behind');
    await first.beforeApplicationShutdown();

    // Second instance, same group: re-runs the pending chunk with its token, then continues.
    const second = service(config);
    await second.onApplicationBootstrap();
    await waitFor(
      async () => (await counts()).clicks >= N_CLICKS && (await counts()).lines >= 2 * N_ORDERS,
      60_000,
      'all rows stored',
    );
    await waitFor(async () => (await counts()).dlq >= 4, 30_000, 'dead letters stored');
    await new Promise((r) => setTimeout(r, 1000));
    const c = await counts();
    assert.equal(c.clicks, N_CLICKS);
    assert.equal(c.distinctClicks, N_CLICKS);
    assert.equal(c.lines, 2 * N_ORDERS);
    assert.equal(c.units, expectedUnits);
    assert.equal(c.revenue, expectedRevenue);
    assert.equal(c.dlq, 4);
    assert.ok(second.counters().replayedChunks >= 1, 'the pending chunk was re-run');
    await second.beforeApplicationShutdown();
  });

  it('sends exactly the invalid messages to the DLQ topic with original bytes, source and reason', async () => {
    const dlq = await readAll(kafka, TOPICS.storefrontDlq);
    const byKey = new Map(dlq.map((m) => [m.key?.toString(), m]));
    for (const bad of [...BAD, BAD_ORDER]) {
      const m = byKey.get(bad.key as string);
      assert.ok(m, `DLQ has ${String(bad.key)}`);
      assert.equal(m.value?.toString(), bad.value);
      assert.ok(m.headers[DLQ_HEADERS.reason]);
      assert.match(m.headers[DLQ_HEADERS.sourceTopic], /^storefront\.(clickstream|orders)\.v1$/);
      assert.ok(Number(m.headers[DLQ_HEADERS.sourceOffset]) >= 0);
    }
    assert.match(byKey.get('bad-1')!.headers[DLQ_HEADERS.reason], /^\$: invalid JSON/);
    assert.match(byKey.get('bad-2')!.headers[DLQ_HEADERS.reason], /event_id/);
    assert.match(byKey.get('bad-3')!.headers[DLQ_HEADERS.reason], /^type: must be one of/);
    assert.match(
      byKey.get('bad-o')!.headers[DLQ_HEADERS.reason],
      /^items\.0\.qty: must be a positive integer/,
    );
    const rows = await queryRows<{ reason: string; fields: string[] }>(
      ch.client,
      "SELECT reason, fields FROM dead_letters WHERE message_key = 'bad-o'",
    );
    assert.deepEqual(rows[0]?.fields, ['items.0.qty']);
  });

  it('redelivers everything with different batch boundaries and counts nothing twice', async () => {
    // A fresh group reads everything again from the beginning, with smaller fetches and chunks.
    const third = service(
      testConfig({
        AGGREGATOR_GROUP_ID: `${groupId}-replay`,
        AGGREGATOR_MAX_BYTES_PER_PARTITION: '4096',
        CLICKHOUSE_INSERT_MAX_ROWS: '77',
        FEATURES_ALLOWED_LATENESS_MS: ANY_LATENESS,
      }),
    );
    // the new config has a different data dir; this instance must use the same engine:
    await third.onApplicationBootstrap();
    await waitFor(
      () => Promise.resolve(third.counters().skippedRedelivered >= N_CLICKS + N_ORDERS + 4),
      60_000,
      'all redelivered messages seen',
    );
    const c = await counts();
    assert.equal(c.clicks, N_CLICKS);
    assert.equal(c.lines, 2 * N_ORDERS);
    assert.equal(c.dlq, 4);
    assert.equal(third.counters().stored, 0);
    await third.beforeApplicationShutdown();
  });
});
