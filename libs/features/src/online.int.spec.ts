import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, Message } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { AggregatorService, connectOnlineFeed } from '@storepulse/aggregator';
import { Storefront } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../../../test/support/kafka';
import { testConfig, testLogger } from '../../../test/support/env';
import { OnlineFeatureStore } from './online';
import { FeatureStore } from './store';

const START = Date.UTC(2026, 9, 10, 0, 0, 0);
const DAY = 86_400_000;
const END = START + 4 * DAY;
const NOW = END + 3_600_000;

describe('online feature tier (user): warm-up + live chunks == ClickHouse lookups', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  let agg: AggregatorService | undefined;
  const users = new Set<string>();
  /** A: stored before the tier exists; B: stored after the feed is connected but before the warm-up
   * (queued chunks that the warm-up snapshot already holds); C: stored after the warm-up (live). */
  const parts = [
    new Map<string, Message[]>(),
    new Map<string, Message[]>(),
    new Map<string, Message[]>(),
  ];
  const partRows = [0, 0, 0];
  /** Rows the online tier reads (clickstream events and order lines; not inventory). */
  const partUserRows = [0, 0, 0];

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({
      AGGREGATOR_GROUP_ID: `online-int-${Date.now()}`,
      FEATURES_ALLOWED_LATENESS_MS: String(3650 * DAY),
      CLICKHOUSE_INSERT_MAX_ROWS: '700',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const sf = new Storefront({
      seed: 11,
      users: 250,
      skus: 80,
      invalidRate: 0.01,
      startMs: START,
    });
    let i = 0;
    for (const chunk of sf.history(END, 5_000))
      for (const m of chunk) {
        // by event time, with every 5th message held back to a later part: late events for old buckets
        const byTime =
          m.timestampMs < START + 2 * DAY ? 0 : m.timestampMs < START + 3 * DAY ? 1 : 2;
        const p = i++ % 5 === 0 ? Math.min(2, byTime + 1) : byTime;
        const list = parts[p].get(m.topic) ?? [];
        list.push({ key: m.key, value: m.value });
        parts[p].set(m.topic, list);
        if (!m.valid) continue;
        const rows =
          m.topic === TOPICS.orders
            ? (JSON.parse(m.value.toString('utf8')) as { items: unknown[] }).items.length
            : 1;
        partRows[p] += rows;
        if (m.topic !== TOPICS.inventory) partUserRows[p] += rows;
        if (m.topic === TOPICS.clickstream) users.add(m.key);
      }
  });

  after(async () => {
    await agg?.beforeApplicationShutdown().catch(() => undefined);
    await ch?.close();
  });

  async function storedRows(): Promise<number> {
    const [r] = await queryRows<{ n: string }>(
      ch.client,
      `SELECT toString((SELECT count() FROM clickstream_events) + (SELECT count() FROM order_lines)
        + (SELECT count() FROM inventory_snapshots)) AS n`,
    );
    return Number(r.n);
  }

  it('counts chunks queued before the warm-up once, and follows every later durable chunk', async () => {
    const produceAll = async (m: Map<string, Message[]>) => {
      for (const [topic, msgs] of m) await produce(kafka, topic, msgs);
    };
    const stored = async (n: number, what: string) => {
      await waitFor(async () => (await storedRows()) >= n, 120_000, what, 300);
      // the ingest counter moves after the ledger says done (and after the feed saw the chunk)
      await waitFor(
        () => Promise.resolve(agg!.counters().stored >= n),
        30_000,
        `${what}: chunks done`,
        100,
      );
    };
    await produceAll(parts[0]);
    const logger = testLogger();
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'online-int', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
    await stored(partRows[0], 'part A');

    const progress: string[] = [];
    const online = new OnlineFeatureStore(ch.client, {
      pipeline: 'aggregator',
      now: () => NOW,
      onProgress: (l) => progress.push(l),
    });
    connectOnlineFeed(agg, online);
    await produceAll(parts[1]);
    await stored(partRows[0] + partRows[1], 'part B');
    await online.warmUp();
    assert.equal(online.status().appliedRows, 0, 'part B was already in the warm-up snapshot');
    assert.equal(online.status().skippedRows, partUserRows[1]);
    await produceAll(parts[2]);
    await stored(partRows[0] + partRows[1] + partRows[2], 'part C');
    await agg.beforeApplicationShutdown();
    agg = undefined;

    const st = online.status();
    assert.equal(st.state, 'ready');
    assert.ok(
      progress.some((l) => l.includes('warm-up 100%')),
      progress.join('\n'),
    );
    assert.equal(st.appliedRows, partUserRows[2], 'part C applied live');
    assert.ok(st.users >= users.size * 0.9, `${st.users} users`);

    const store = new FeatureStore(ch.client);
    const ids = [...users].sort();
    let compared = 0;
    let nonZero = 0;
    // lookups in the last 24 h before "now" (bucket edges, mid-minute, the last day of sessions)
    for (const t of [NOW, END, END - 7 * 60_000 - 1, START + 3 * DAY + 13 * 3_600_000 + 30_000]) {
      assert.ok(online.covers(t));
      const got = online.lookup(ids, t);
      const want = await store.lookup('user', ids, t, 'if');
      for (let i = 0; i < ids.length; i++) {
        assert.equal(got[i].found, want[i].found, `found ${ids[i]} at ${t}`);
        assert.deepEqual(
          got[i].features,
          want[i].features,
          `${ids[i]} at ${new Date(t).toISOString()}`,
        );
        compared++;
        if ((want[i].features.user_events_28d ?? 0) > 0) nonZero++;
      }
    }
    assert.ok(nonZero > compared / 2, `${nonZero}/${compared} users with events`);
    // outside the horizon the tier does not answer
    assert.equal(online.covers(NOW - 40 * DAY), false);
  });

  it('FeatureStore serves user lookups from the online tier and asks ClickHouse about unknown users', async () => {
    const online = new OnlineFeatureStore(ch.client, { now: () => NOW });
    await online.warmUp();
    const tiered = new FeatureStore(ch.client, online);
    const plain = new FeatureStore(ch.client);
    const ids = [...users].sort().slice(0, 50);
    const a = await tiered.lookup('user', [...ids, 'nobody-here'], NOW);
    const b = await plain.lookup('user', [...ids, 'nobody-here'], NOW);
    assert.deepEqual(a, b);
    assert.equal(a[a.length - 1].found, false);
    assert.equal(tiered.served.online, 1);
    assert.equal(tiered.served.clickhouse, 1, 'one ClickHouse query, for the unknown user only');
    assert.equal(tiered.served.clickhouseLifetime, 0, 'lifetime columns from the tier');
    // training sets stay on ClickHouse
    await tiered.asOf('user', [{ id: ids[0], atMs: NOW }]);
    assert.equal(tiered.served.online, 1);
  });
});
