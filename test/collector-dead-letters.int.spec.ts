import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { AggregatorService, DeadLetterArchiveService } from '@storepulse/aggregator';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import type { AppConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { newWriteKey, type IngestResult } from '@storepulse/collector';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { post, startCollector, type RunningCollector } from './support/collector';
import { testConfig, testLogger } from './support/env';
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';

/**
 * Issue #13: the collector's HTTP rejects are dead letters like the aggregator's. Bad events POSTed
 * to the collector go to dlq.storefront.v1 and, through the dead-letter archive, into ClickHouse's
 * `dead_letters` with the field error and the original bytes, once each; the aggregator's own rejects
 * (stored with their chunk, then sent to the same topic) are still stored once. A second archive
 * with a fresh consumer group (it re-reads the topic from its beginning) writes nothing again: the
 * ledger, not the committed offsets, keeps every record once.
 */
interface DeadRow {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  message_key: string;
  payload: string;
  reason: string;
  fields: string[];
  consumer_group: string;
  /** partition:offset in the DLQ topic (-1:-1 for the aggregator's own rows) */
  dlq_offset: string;
  storefront: string;
  request_id: string;
  event_index: string;
}

describe('dead letters of every producer land in ClickHouse dead_letters once', () => {
  let kafka: Kafka;
  let config: AppConfig;
  let ch: ClickHouseHandle;
  let collector: RunningCollector;
  let agg: AggregatorService;
  const archives: DeadLetterArchiveService[] = [];
  const run = randomUUID().slice(0, 8);
  const key = newWriteKey('dlq-shop');
  const user = `dlq-${run}`;
  const logger = testLogger();

  function archive(overrides: Record<string, string> = {}): DeadLetterArchiveService {
    const cfg = { ...config, aggregator: { ...config.aggregator, ...overrides } };
    const a = new DeadLetterArchiveService(
      cfg,
      createKafka({ brokers: config.kafka.brokers!, clientId: `dlq-archive-${run}`, logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    archives.push(a);
    return a;
  }

  const rows = () =>
    queryRows<DeadRow>(
      ch.client,
      `SELECT source_topic, toInt32(source_partition) AS source_partition,
              toString(toInt64(source_offset)) AS source_offset, message_key, payload, reason, fields,
              consumer_group, concat(toString(dlq_partition), ':', toString(dlq_offset)) AS dlq_offset,
              headers['x-storefront'] AS storefront, headers['x-dlq-request-id'] AS request_id,
              headers['x-dlq-index'] AS event_index
       FROM dead_letters ORDER BY consumer_group, payload`,
    );

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({
      AGGREGATOR_GROUP_ID: `dlq-archive-${run}`,
      COLLECTOR_WRITE_KEYS: key.configEntry,
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    collector = await startCollector(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'dlq-collector', logger }),
    );
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'dlq-agg', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
    await archive().onApplicationBootstrap();
  });

  after(async () => {
    await collector?.close();
    for (const a of archives) await a.beforeApplicationShutdown();
    await agg?.beforeApplicationShutdown();
    await ch?.close();
  });

  const badTs = `{"event_id":"${randomUUID()}","type":"add_to_cart","user_id":"${user}","session_id":"s","ts":"yesterday","sku":"SKU-1"}`;
  const badType = `{"type":"warp","user_id":"${user}"}`;
  const badQty = `{"event_id":"${randomUUID()}","type":"order_placed","order_id":"o-${run}","user_id":"${user}","ts":"${new Date().toISOString()}","currency":"EUR","items":[{"sku":"S","qty":0,"unit_price":1}]}`;
  // straight to Kafka: the aggregator rejects it
  const kafkaBad = `{"event_id":"${randomUUID()}","type":"product_view","user_id":"${user}-k","session_id":"s","ts":"${new Date().toISOString()}","sku":"SKU-1","price":-5}`;

  it('HTTP rejects are stored with the field error and the original bytes; the aggregator’s once', async () => {
    const valid = JSON.stringify({
      event_id: randomUUID(),
      type: 'product_view',
      user_id: user,
      session_id: 's',
      ts: new Date().toISOString(),
      sku: 'SKU-1',
    });
    const r = await post(`${collector.url}/v1/events`, `[${valid},${badTs},${badType},${badQty}]`, {
      authorization: `Bearer ${key.key}`,
      'content-type': 'application/json',
    });
    assert.equal(r.status, 200, r.text);
    const res = r.json as IngestResult;
    assert.equal(res.accepted, 1);
    assert.deepEqual(
      res.rejected.map((x) => x.index),
      [1, 2, 3],
    );
    await produce(kafka, TOPICS.clickstream, [{ key: `${user}-k`, value: kafkaBad }]);

    await waitFor(
      async () => (await rows()).length >= 4 && agg.counters().deadLettered >= 1,
      60_000,
      'the 3 HTTP rejects and the aggregator reject in dead_letters',
    );
    // let a double write (if any) land before counting
    await new Promise((res) => setTimeout(res, 1500));
    const all = await rows();
    assert.equal(all.length, 4, JSON.stringify(all, null, 1));

    const http = all.filter((x) => x.consumer_group === 'storepulse-collector');
    assert.equal(http.length, 3);
    const byPayload = new Map(http.map((x) => [x.payload, x]));
    const ts = byPayload.get(badTs);
    assert.ok(ts, 'the bad-ts event with its original bytes');
    assert.deepEqual([...ts.fields].sort(), ['ts']);
    assert.match(ts.reason, /^ts: /);
    assert.equal(ts.source_topic, TOPICS.clickstream);
    assert.equal(ts.source_partition, -1);
    assert.equal(ts.source_offset, '-1');
    assert.equal(ts.message_key, user);
    assert.equal(ts.storefront, 'dlq-shop');
    assert.equal(ts.request_id, r.headers.get('x-request-id'));
    assert.equal(ts.event_index, '1');
    const type = byPayload.get(badType);
    assert.ok(type, 'the unroutable event with its original bytes');
    assert.deepEqual(type.fields, ['type']);
    assert.equal(type.source_topic, 'http:/v1/events');
    const qty = byPayload.get(badQty);
    assert.ok(qty, 'the bad-qty order with its original bytes');
    assert.deepEqual(qty.fields, ['items.0.qty']);
    assert.equal(qty.source_topic, TOPICS.orders);
    assert.equal(qty.message_key, `o-${run}`);
    assert.equal(new Set(http.map((x) => x.dlq_offset)).size, 3, 'one row per DLQ record');

    const own = all.filter((x) => x.consumer_group === config.aggregator.groupId);
    assert.equal(own.length, 1, 'the aggregator’s reject once (not copied by the archive)');
    assert.equal(own[0].payload, kafkaBad);
    assert.deepEqual(own[0].fields, ['price']);
    assert.equal(own[0].dlq_offset, '-1:-1');
    assert.equal(own[0].source_topic, TOPICS.clickstream);
    assert.ok(Number(own[0].source_offset) >= 0);
    const c = archives[0].counters();
    assert.equal(c.archived.get('storepulse-collector'), 3);
    assert.equal(c.storedByProducer, 1);
  });

  it('a second archive re-reading the topic from its beginning writes nothing twice', async () => {
    await archives[0].beforeApplicationShutdown();
    // a fresh consumer group: no committed offsets, the whole topic is delivered again
    const second = archive({ groupId: `dlq-archive-${run}-2` });
    await second.onApplicationBootstrap();
    await waitFor(
      () => Promise.resolve(second.counters().consumed >= 4),
      60_000,
      'the second archive read the topic',
    );
    assert.equal(second.counters().skippedRedelivered, 4, 'every record is below the ledger mark');
    const all = await rows();
    assert.equal(all.length, 4);
    assert.equal(all.filter((x) => x.consumer_group === 'storepulse-collector').length, 3);
  });
});
