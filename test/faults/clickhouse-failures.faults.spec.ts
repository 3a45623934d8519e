import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { AggregatorService } from '@storepulse/aggregator';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { testConfig, testLogger } from '../support/env';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../support/kafka';
import { FaultyClickHouse } from './faulty-clickhouse';
import { validCorpus } from './poison-corpus';

/**
 * Fault suite, case 3: ClickHouse write failures. A fault-injecting wrapper makes FAULTS_CH_RATE
 * (35 %) of the aggregator's writes fail for FAULTS_CH_SECONDS (40 s): refused, failed after the data
 * was written, or timed out with the write still running (the two ambiguous cases). Expected: backoff,
 * readiness degraded meanwhile, no offset committed for unwritten data, and once the engine heals every
 * raw row and rollup exact — nothing lost, nothing doubled.
 */
const N = Number(process.env.FAULTS_CH_MESSAGES ?? 9_000);
const RATE = Number(process.env.FAULTS_CH_RATE ?? 0.35);
const FAULT_MS = Number(process.env.FAULTS_CH_SECONDS ?? 40) * 1000;

describe('fault suite: ClickHouse write failures under the aggregator', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let faulty: FaultyClickHouse;
  let agg: AggregatorService | undefined;
  const health = new HealthRegistry();
  const msgs = validCorpus(N, Date.now() - 3_600_000, 200); // within the last hour
  const want = {
    clicks: msgs.filter((m) => m.topic === TOPICS.clickstream).length,
    lines: msgs.filter((m) => m.topic === TOPICS.orders).reduce((n, m) => n + m.rows, 0),
    stock: msgs.filter((m) => m.topic === TOPICS.inventory).length,
  };
  const views = msgs
    .filter((m) => m.topic === TOPICS.clickstream)
    .filter(
      (m) => (JSON.parse(m.value.toString()) as { type: string }).type === 'product_view',
    ).length;
  const units = msgs
    .filter((m) => m.topic === TOPICS.orders)
    .flatMap((m) => (JSON.parse(m.value.toString()) as { items: { qty: number }[] }).items)
    .reduce((n, it) => n + it.qty, 0);

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const config = testConfig({
      AGGREGATOR_GROUP_ID: `ch-faults-${Date.now()}`,
      CLICKHOUSE_INSERT_MAX_ROWS: '300',
      AGGREGATOR_MAX_BYTES_PER_PARTITION: '65536',
      AGGREGATOR_RETRY_MAX_MS: '2000',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    faulty = new FaultyClickHouse(ch, { rate: RATE, seed: 42, timeoutMs: 1500 });
    for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory])
      await produce(
        kafka,
        topic,
        msgs.filter((m) => m.topic === topic).map((m) => ({ key: m.key, value: m.value })),
      );
    const logger = testLogger();
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'ch-faults', logger }),
      faulty.handle,
      logger,
      new PipelineMetrics(false),
      health,
    );
  });

  after(async () => {
    await agg?.beforeApplicationShutdown();
    await ch?.close();
  });

  async function counts() {
    const [r] = await queryRows<Record<string, string>>(
      ch.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events) AS clicks,
         (SELECT toString(uniqExact(event_id)) FROM clickstream_events) AS distinct_clicks,
         (SELECT toString(count()) FROM order_lines) AS lines,
         (SELECT toString(count()) FROM inventory_snapshots) AS stock,
         (SELECT toString(count()) FROM dead_letters) AS dlq,
         (SELECT toString(sum(n_events)) FROM fr_user_click_1m) AS r_user_clicks_1m,
         (SELECT toString(sum(n_views)) FROM fr_sku_click_1h) AS r_sku_views_1h,
         (SELECT toString(sum(units)) FROM fr_sku_order_1h) AS r_sku_units_1h,
         (SELECT toString(sum(n_snapshots)) FROM fr_sku_inventory_1h) AS r_stock_1h`,
    );
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  }

  it('backs off while writes fail, reports not ready, and stores everything exactly once after', async () => {
    faulty.active = true;
    const t0 = Date.now();
    let notReady = 0;
    let samples = 0;
    let reasons = '';
    const sampler = setInterval(() => {
      void health.run().then((h) => {
        samples++;
        if (!h.ok) {
          notReady++;
          reasons ||= JSON.stringify(h.checks).slice(0, 300);
        }
      });
    }, 250);
    await agg!.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, FAULT_MS));
    faulty.active = false;
    const healedAt = Date.now();
    const during = await counts();
    try {
      await waitFor(
        async () => {
          const c = await counts();
          return c.clicks >= want.clicks && c.lines >= want.lines && c.stock >= want.stock;
        },
        180_000,
        'everything stored after the engine healed',
      );
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      clearInterval(sampler);
    }
    const recoveredS = (Date.now() - healedAt) / 1000;
    const c = await counts();
    const injected = Object.values(faulty.injected).reduce((a, b) => a + b, 0);
    console.log(
      `[faults] clickhouse: ${faulty.calls} write calls, ${injected} failed (${Object.entries(
        faulty.injected,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}) over ${FAULT_MS / 1000} s; stored while failing: ${during.clicks + during.lines + during.stock} rows; not ready in ${notReady}/${samples} samples; everything stored ${recoveredS.toFixed(1)} s after healing (${((Date.now() - t0) / 1000).toFixed(0)} s in all); lost ${want.clicks + want.lines + want.stock - c.clicks - c.lines - c.stock}, doubled ${c.clicks - c.distinct_clicks}`,
    );
    for (const k of ['refused', 'after-write', 'timeout'] as const)
      assert.ok(faulty.injected[k] > 0, `some ${k} faults were injected`);
    assert.deepEqual(
      {
        clicks: c.clicks,
        distinct: c.distinct_clicks,
        lines: c.lines,
        stock: c.stock,
        dlq: c.dlq,
      },
      { clicks: want.clicks, distinct: want.clicks, lines: want.lines, stock: want.stock, dlq: 0 },
      'raw rows exact',
    );
    assert.deepEqual(
      {
        userClicks1m: c.r_user_clicks_1m,
        skuViews1h: c.r_sku_views_1h,
        units1h: c.r_sku_units_1h,
        stock1h: c.r_stock_1h,
      },
      { userClicks1m: want.clicks, skuViews1h: views, units1h: units, stock1h: want.stock },
      'rollups exact',
    );
    assert.ok(notReady > 0, `readiness was degraded while writes failed: ${reasons}`);
    const end = await health.run();
    assert.equal(end.ok, true, `ready again: ${JSON.stringify(end.checks).slice(0, 300)}`);
  });
});
