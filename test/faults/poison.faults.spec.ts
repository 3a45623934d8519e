import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { DLQ_HEADERS, TOPICS } from '@storepulse/contracts';
import { AggregatorService } from '@storepulse/aggregator';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { produce, readAll, resetStorefrontTopics, testKafka, waitFor } from '../support/kafka';
import { testConfig, testLogger } from '../support/env';
import { interleave, namesField, poisonCorpus, validCorpus } from './poison-corpus';

/**
 * Fault suite, case 6: poison messages. FAULTS_POISON (default 10,000) generated malformed messages
 * across the three input topics, mixed with FAULTS_VALID (3,000) valid ones, through the real broker
 * into the aggregator on the embedded engine. Expected: every malformed one dead-lettered once with a
 * reason naming its field and its original bytes on the DLQ topic; the valid ones stored exactly; the
 * consumer never fails.
 */
const N_POISON = Number(process.env.FAULTS_POISON ?? 10_000);
const N_VALID = Number(process.env.FAULTS_VALID ?? 3_000);

describe('fault suite: poison messages through Kafka into the aggregator', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let agg: AggregatorService | undefined;
  const poison = poisonCorpus(N_POISON);
  const valid = validCorpus(N_VALID, Date.now() - 3_600_000);
  const t0 = Date.now();

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const config = testConfig({ AGGREGATOR_GROUP_ID: `poison-${Date.now()}` });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory]) {
      const msgs = interleave(
        poison.filter((p) => p.topic === topic),
        valid.filter((v) => v.topic === topic),
      ).map((m) => ({ key: m.key, value: m.value }));
      await produce(kafka, topic, msgs);
    }
    const logger = testLogger();
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'poison', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
  });

  after(async () => {
    await agg?.beforeApplicationShutdown();
    await ch?.close();
  });

  async function stored() {
    const [r] = await queryRows<{ clicks: string; lines: string; stock: string; dlq: string }>(
      ch.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events) AS clicks,
         (SELECT toString(count()) FROM order_lines) AS lines,
         (SELECT toString(count()) FROM inventory_snapshots) AS stock,
         (SELECT toString(count()) FROM dead_letters) AS dlq`,
    );
    return {
      clicks: Number(r.clicks),
      lines: Number(r.lines),
      stock: Number(r.stock),
      dlq: Number(r.dlq),
    };
  }

  it('dead-letters every malformed message once, naming its field, and stores the valid ones exactly', async () => {
    const want = {
      clicks: valid.filter((v) => v.topic === TOPICS.clickstream).length,
      lines: valid.filter((v) => v.topic === TOPICS.orders).reduce((n, v) => n + v.rows, 0),
      stock: valid.filter((v) => v.topic === TOPICS.inventory).length,
      dlq: poison.length,
    };
    await waitFor(
      async () => {
        const s = await stored();
        return (
          s.dlq >= want.dlq &&
          s.clicks >= want.clicks &&
          s.lines >= want.lines &&
          s.stock >= want.stock
        );
      },
      240_000,
      'all messages processed',
    );
    await new Promise((r) => setTimeout(r, 1000));
    const s = await stored();
    const seconds = (Date.now() - t0) / 1000;
    assert.deepEqual(s, want, 'exact counts: nothing lost, nothing doubled');

    // the valid rows are the ones produced
    const ids = await queryRows<{ id: string }>(
      ch.client,
      'SELECT toString(event_id) AS id FROM clickstream_events ORDER BY id',
    );
    assert.deepEqual(
      ids.map((r) => r.id),
      valid
        .filter((v) => v.topic === TOPICS.clickstream)
        .map((v) => v.eventId!)
        .sort(),
    );

    // one dead letter per malformed message, its reason naming the field
    const rows = await queryRows<{ k: string; n: string; fields: string[]; reason: string }>(
      ch.client,
      `SELECT message_key AS k, toString(count()) AS n, any(fields) AS fields, any(reason) AS reason
       FROM dead_letters GROUP BY message_key`,
    );
    const byKey = new Map(rows.map((r) => [r.k, r]));
    const wrong: string[] = [];
    const byKind = new Map<string, number>();
    for (const p of poison) {
      const r = byKey.get(p.key);
      byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
      if (!r) wrong.push(`${p.key} (${p.kind}) not dead-lettered`);
      else if (r.n !== '1') wrong.push(`${p.key} dead-lettered ${r.n} times`);
      else if (!namesField(r.fields, p.field))
        wrong.push(`${p.key} (${p.kind}): expected ${p.field}, got ${r.reason.slice(0, 120)}`);
      if (wrong.length > 20) break;
    }
    assert.deepEqual(wrong, []);
    const h = agg!.consumerHealth();
    assert.equal(h.running, true, 'the consumer is still running');
    assert.equal(h.consecutiveFailures, 0, `no failing batch: ${h.lastError ?? ''}`);
    console.log(
      `[faults] poison: ${poison.length} malformed (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}) + ${valid.length} valid; dead-lettered ${s.dlq}, stored ${s.clicks} clicks, ${s.lines} order lines, ${s.stock} stock rows; lost 0, doubled 0; ${seconds.toFixed(1)} s`,
    );
  });

  it('the DLQ topic carries each malformed message with its original bytes and reason', async () => {
    const dlq = await readAll(kafka, TOPICS.storefrontDlq, 120_000);
    const byKey = new Map(dlq.map((m) => [m.key?.toString() ?? '', m]));
    const wrong: string[] = [];
    for (const p of poison) {
      const m = byKey.get(p.key);
      if (!m) wrong.push(`${p.key} missing on the DLQ topic`);
      else if (!(m.value ?? Buffer.alloc(0)).equals(p.value))
        wrong.push(`${p.key} (${p.kind}): payload differs from the original bytes`);
      else if (!m.headers[DLQ_HEADERS.reason]) wrong.push(`${p.key}: no reason header`);
      if (wrong.length > 20) break;
    }
    assert.deepEqual(wrong, []);
    assert.equal(dlq.length, poison.length, 'nothing else on the DLQ topic');
  });
});
