import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage, Message } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { prepareChunk } from '@storepulse/aggregator';
import { allRollupTables, verifyRollups, viewName } from '@storepulse/features';
import { Storefront } from '@storepulse/simulator';
import { PEER_TOPICS, installPeer, peerLag, rawCounts } from '../bench/kafka-engine-peer';
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { tempDir, testBrokers } from './support/env';

/**
 * The benchmark peer of `npm run bench -- ingest` (ClickHouse's Kafka engine feeding the raw tables
 * and their 13 rollup views), generated from the migrated raw tables, against a real topic: it must
 * store exactly the rows the aggregator's own row preparation makes of the same messages, and
 * rollups equal to the raw rows. Fails when a migration changes a raw table in a way the generator
 * does not follow.
 */
const N = 1500;

describe('Kafka engine peer (bench): generated DDL fills the same tables', () => {
  let ch: ClickHouseHandle;
  const kafka = testKafka();
  const byTopic = new Map<string, Message[]>();

  before(async () => {
    const sf = new Storefront({
      seed: 5,
      users: 200,
      skus: 50,
      invalidRate: 0,
      startMs: Date.now() - 86_400_000,
    });
    let n = 0;
    outer: for (const chunk of sf.history(Date.now(), 20_000))
      for (const m of chunk) {
        const l = byTopic.get(m.topic) ?? [];
        l.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, l);
        if (++n >= N) break outer;
      }
    await resetStorefrontTopics(kafka, 1);
    for (const [topic, msgs] of byTopic) await produce(kafka, topic, msgs);
    const config = loadConfig({
      NODE_ENV: 'test',
      CLICKHOUSE_DATA_DIR: tempDir('peer'),
      CLICKHOUSE_DATABASE: 'peer_int',
      LOG_LEVEL: 'warn',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
  });

  after(async () => {
    await ch?.close();
  });

  it('stores every message once, as the aggregator prepares it, and rollups equal raw', async () => {
    const groupPrefix = `peer-int-${Date.now()}`;
    const views = await installPeer(ch.client, {
      brokers: testBrokers(),
      groupPrefix,
      settings: {
        numConsumers: 1,
        maxBlockSize: 65536,
        threadPerConsumer: false,
        flushIntervalMs: 300,
      },
    });
    assert.deepEqual(
      views,
      allRollupTables()
        .map((r) => viewName(r.table))
        .sort(),
    );

    // what the aggregator would store: its own preparation of the same messages (one partition)
    const want = new Map<string, Record<string, unknown>[]>();
    for (const t of PEER_TOPICS) {
      const msgs = byTopic.get(t.topic) ?? [];
      assert.ok(msgs.length > 0, `the simulator produced ${t.topic} messages`);
      const chunk = prepareChunk(
        msgs.map((m, i): KafkaMessage => ({
          key: null,
          value: m.value as Buffer,
          offset: String(i),
          timestamp: '0',
          attributes: 0,
          headers: {},
        })),
        { topic: t.topic, partition: 0, consumerGroup: 'peer-int', now: new Date() },
      );
      assert.equal(chunk.deadLetters.length, 0, `${t.topic}: every message valid`);
      want.set(t.table, chunk.rows as unknown as Record<string, unknown>[]);
    }
    const total = [...want.values()].reduce((a, r) => a + r.length, 0);
    await waitFor(
      async () => {
        const c = await rawCounts(ch.client);
        return (
          c.clicks + c.lines + c.inventory >= total && (await peerLag(kafka, groupPrefix)) === 0n
        );
      },
      60_000,
      'the peer stored every message and committed',
      250,
    );

    for (const [table, rows] of want) {
      const cols = Object.keys(rows[0]).filter((k) => k !== '_partition');
      const got = await queryRows<Record<string, unknown>>(
        ch.client,
        `SELECT ${cols.join(', ')} FROM ${table} ORDER BY _offset${table === 'order_lines' ? ', line_no' : ''}`,
      );
      assert.equal(got.length, rows.length, `${table}: one row per prepared row`);
      const norm = (r: Record<string, unknown>) =>
        JSON.stringify(cols.map((c) => (c === '_offset' ? Number(r[c]) : r[c])));
      for (let i = 0; i < rows.length; i++)
        assert.equal(norm(got[i]), norm(rows[i]), `${table} row ${i}`);
    }
    const bad = (await verifyRollups(ch.client)).filter((c) => !c.ok).map((c) => c.table);
    assert.deepEqual(bad, [], 'every rollup equals the aggregation of the raw rows');
    const [s] = await queryRows<{ n: string }>(
      ch.client,
      'SELECT toString(sum(n_events)) AS n FROM fr_user_click_1h',
    );
    assert.equal(Number(s.n), want.get('clickstream_events')?.length);
  });
});
