import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { AggregatorService } from '@storepulse/aggregator';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { newWriteKey } from '@storepulse/collector';
import { createKafka } from '@storepulse/kafka';
import { FeatureStore } from '@storepulse/features';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { post, startCollector, type RunningCollector } from './support/collector';
import { testConfig, testLogger } from './support/env';
import { resetStorefrontTopics, testKafka, waitFor } from './support/kafka';

/**
 * Issue #13: "retries never double-count". A storefront resends after a timeout, so every event
 * arrives twice through HTTP (in another request, another batch shape, one of them as a beacon). The
 * collector produces both copies; the aggregator stores each event id once: raw rows, rollups and the
 * user's features count every event exactly once.
 */
const USERS = 5;
const CLICKS_PER_USER = 40;
const ORDERS_PER_USER = 3;

describe('HTTP retries: every event sent twice through the collector is stored once', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let collector: RunningCollector;
  let agg: AggregatorService;
  const run = randomUUID().slice(0, 8);
  const key = newWriteKey('retry-shop');
  const user = (u: number) => `retry-${run}-${u}`;
  const t0 = Date.now() - 30 * 60_000;
  const clicks = Array.from({ length: USERS * CLICKS_PER_USER }, (_, i) => ({
    event_id: randomUUID(),
    type: i % 4 === 0 ? 'add_to_cart' : 'product_view',
    user_id: user(i % USERS),
    session_id: `s-${run}-${i % USERS}`,
    ts: new Date(t0 + i * 1000).toISOString(),
    sku: `RETRY-SKU-${i % 7}`,
    price: 10,
  }));
  const orders = Array.from({ length: USERS * ORDERS_PER_USER }, (_, i) => ({
    event_id: randomUUID(),
    type: 'order_placed',
    order_id: `retry-order-${run}-${i}`,
    user_id: user(i % USERS),
    ts: new Date(t0 + i * 60_000).toISOString(),
    currency: 'EUR',
    items: [
      { sku: `RETRY-SKU-${i % 7}`, qty: 1 + (i % 3), unit_price: 5 },
      { sku: `RETRY-SKU-${(i + 1) % 7}`, qty: 1, unit_price: 2.5 },
    ],
  }));
  const events: Record<string, unknown>[] = [...clicks, ...orders];

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const config = testConfig({
      AGGREGATOR_GROUP_ID: `http-retry-${run}`,
      CLICKHOUSE_INSERT_MAX_ROWS: '50',
      COLLECTOR_WRITE_KEYS: key.configEntry,
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const logger = testLogger();
    collector = await startCollector(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'http-retry', logger }),
    );
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'http-retry-agg', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
  });

  after(async () => {
    await collector?.close();
    await agg?.beforeApplicationShutdown();
    await ch?.close();
  });

  it('raw rows, rollups and features count each event once', async () => {
    const headers = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
    // first delivery: batches of 25; the retry: the same events in other batches (of 7), and the
    // orders' retry as sendBeacon bodies (text/plain, key in the query)
    for (let i = 0; i < events.length; i += 25) {
      const r = await post(
        `${collector.url}/v1/events`,
        JSON.stringify(events.slice(i, i + 25)),
        headers,
      );
      assert.equal(r.status, 200, r.text);
      assert.equal((r.json as { accepted: number }).accepted, Math.min(25, events.length - i));
    }
    for (let i = 0; i < clicks.length; i += 7) {
      const r = await post(
        `${collector.url}/v1/events`,
        JSON.stringify(clicks.slice(i, i + 7)),
        headers,
      );
      assert.equal(r.status, 200, r.text);
    }
    const beacon = await post(
      `${collector.url}/v1/events?key=${encodeURIComponent(key.key)}`,
      JSON.stringify(orders),
      { 'content-type': 'text/plain;charset=UTF-8' },
    );
    assert.equal(beacon.status, 200, beacon.text);
    assert.equal((beacon.json as { accepted: number }).accepted, orders.length);

    const want = {
      clicks: clicks.length,
      lines: orders.length * 2,
      units: orders.reduce((n, o) => n + o.items.reduce((m, it) => m + it.qty, 0), 0),
    };
    const counts = async () => {
      const [r] = await queryRows<Record<string, string>>(
        ch.client,
        `SELECT
           (SELECT toString(count()) FROM clickstream_events WHERE startsWith(user_id, {p:String})) AS clicks,
           (SELECT toString(count()) FROM order_lines WHERE startsWith(user_id, {p:String})) AS lines,
           (SELECT toString(sum(qty)) FROM order_lines WHERE startsWith(user_id, {p:String})) AS units,
           (SELECT toString(sum(n_events)) FROM fr_user_click_1m WHERE startsWith(user_id, {p:String})) AS r_clicks,
           (SELECT toString(sum(units)) FROM fr_sku_order_1h WHERE startsWith(sku, 'RETRY-SKU-')) AS r_units`,
        { p: `retry-${run}-` },
      );
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
    };
    // both copies are on the topics; wait until the aggregator has seen them all (duplicates counted)
    await waitFor(
      () => Promise.resolve(agg.counters().duplicates >= clicks.length + orders.length),
      90_000,
      'every second copy seen and dropped as a duplicate',
    );
    await new Promise((r) => setTimeout(r, 1000));
    const c = await counts();
    assert.deepEqual(
      { clicks: c.clicks, lines: c.lines, units: c.units },
      want,
      'raw rows: each event once',
    );
    assert.equal(c.r_clicks, want.clicks, 'rollup clicks per user-minute: each event once');
    assert.equal(c.r_units, want.units, 'rollup units per SKU-hour: each order once');
    assert.equal(agg.counters().duplicates, clicks.length + orders.length);

    const store = new FeatureStore(ch.client);
    const ids = Array.from({ length: USERS }, (_, u) => user(u));
    for (const f of await store.lookup('user', ids)) {
      assert.equal(f.features.user_events_24h, CLICKS_PER_USER, `${f.id} events`);
      assert.equal(f.features.user_orders_24h, ORDERS_PER_USER, `${f.id} orders`);
    }
  });
});
