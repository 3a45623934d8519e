import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import { AggregatorService } from '@storepulse/aggregator';
import { processEnvironment, type AppConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { allRollupTables, FeatureStore, mergeExpr, verifyRollups } from '@storepulse/features';
import { createKafka, KafkaGroupProgress, createReplaySink } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../../../test/support/kafka';
import { tempDir, testBrokers, testConfig, testLogger } from '../../../test/support/env';
import { ClickHouseImportCounter } from './counters';
import { checkImport, IMPORT_PRODUCE, runImport, type Progress } from './importer';
import { parseImport } from './parse';

/**
 * History import against the real broker and the embedded engine, with the aggregator running.
 * The same history (60 days back, past the 7-day allowed lateness) exists twice: the `L-` copy is
 * ingested live (an aggregator whose lateness covers it, no replay header), the `I-` copy is imported
 * (NDJSON clicks, CSV orders) into an aggregator with the default lateness. Entities carry the prefix
 * (users, sessions, SKUs, categories): with it removed, rollups and features must be identical.
 */
const DAY = 86_400_000;
const T0 = Date.now() - 60 * DAY;
const N_CLICKS = 1500;
const N_ORDERS = 240;
const USERS = 20;

function clicks(p: string) {
  return Array.from({ length: N_CLICKS }, (_, i) => ({
    event_id: randomUUID(),
    type: ['page_view', 'product_view', 'add_to_cart', 'search'][i % 4],
    user_id: `${p}u-${i % USERS}`,
    session_id: `${p}s-${Math.floor(i / 7)}`,
    ts: new Date(T0 + i * 2_000_000).toISOString(),
    ...(i % 4 === 3 ? { query: 'shoes' } : { sku: `${p}SKU-${i % 23}` }),
    price: 4 + (i % 5),
    category: `${p}cat-${i % 3}`,
  }));
}
function orders(p: string) {
  return Array.from({ length: N_ORDERS }, (_, i) => ({
    event_id: randomUUID(),
    type: 'order_placed',
    order_id: `${p}o-${i}`,
    user_id: `${p}u-${i % USERS}`,
    ts: new Date(T0 + i * 20_000_000 + 1000).toISOString(),
    currency: 'EUR',
    items: Array.from({ length: 1 + (i % 3) }, (_, l) => ({
      sku: `${p}SKU-${(i + l) % 23}`,
      qty: 1 + ((i + l) % 3),
      unit_price: 2.5 + l,
      category: `${p}cat-${(i + l) % 3}`,
    })),
  }));
}
const relabel = <T extends Record<string, unknown>>(e: T, from: string, to: string): T =>
  JSON.parse(JSON.stringify(e).replaceAll(`"${from}`, `"${to}`)) as T;

const quiet: Progress = { update: () => undefined, done: () => undefined };

describe('history import (real broker, embedded engine, running aggregator)', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  const groupId = `import-int-${Date.now()}`;
  const liveClicks = clicks('L-');
  const liveOrders = orders('L-');
  // the same events, another prefix and their own ids
  const impClicks = liveClicks.map((e) => ({ ...relabel(e, 'L-', 'I-'), event_id: randomUUID() }));
  const impOrders = liveOrders.map((e) => ({ ...relabel(e, 'L-', 'I-'), event_id: randomUUID() }));
  const badOrder = { ...impOrders[0], event_id: randomUUID(), order_id: 'I-o-bad', items: [] };
  const ndjson = impClicks
    .map((e, i) => (i % 2 === 0 ? JSON.stringify(e) : `${e.user_id}|${JSON.stringify(e)}`))
    .concat([JSON.stringify(badOrder)])
    .join('\n');
  const csv = [
    'event_id,type,order_id,user_id,ts,currency,sku,qty,unit_price,category',
    ...impOrders.flatMap((o) =>
      o.items.map(
        (it) =>
          `${o.event_id},${o.type},${o.order_id},${o.user_id},${o.ts},${o.currency},${it.sku},${it.qty},${it.unit_price},${it.category}`,
      ),
    ),
  ].join('\n');
  const lines = impOrders.reduce((s, o) => s + o.items.length, 0);
  const started: AggregatorService[] = [];

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({ AGGREGATOR_GROUP_ID: groupId, CLICKHOUSE_INSERT_MAX_ROWS: '300' });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
  });
  after(async () => {
    for (const s of started) await s.beforeApplicationShutdown().catch(() => undefined);
    await ch?.close();
  });

  function aggregator(cfg: AppConfig): AggregatorService {
    const logger = testLogger();
    const s = new AggregatorService(
      cfg,
      createKafka({ brokers: cfg.kafka.brokers!, clientId: 'import-int', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    started.push(s);
    return s;
  }

  async function count(prefix: string) {
    const [r] = await queryRows<{ clicks: string; lines: string; units: string }>(
      ch.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events WHERE startsWith(user_id, {p:String})) AS clicks,
         (SELECT toString(count()) FROM order_lines WHERE startsWith(user_id, {p:String})) AS lines,
         (SELECT toString(sum(qty)) FROM order_lines WHERE startsWith(user_id, {p:String})) AS units`,
      { p: prefix },
    );
    return { clicks: Number(r.clicks), lines: Number(r.lines), units: Number(r.units) };
  }

  async function importText(text: string, format: 'ndjson' | 'csv'): ReturnType<typeof runImport> {
    const { messages, errors } = parseImport(text, format);
    checkImport(messages, errors, {
      rawTtlDays: config.clickhouse.rawTtlDays,
      importMaxAgeDays: config.aggregator.importMaxAgeDays,
    });
    const logger = testLogger();
    const k = createKafka({ brokers: testBrokers(), clientId: 'import-int-cli', logger });
    // the import's producer (IMPORT_KAFKA_CLIENT's default: librdkafka where provisioned, as in CI)
    // and sends in flight, in smaller sends: several overlap
    const { sink } = createReplaySink(
      k,
      testBrokers(),
      config.kafka.importClient,
      IMPORT_PRODUCE.producers,
    );
    const progress = new KafkaGroupProgress(k, groupId, 100);
    try {
      return await runImport(
        messages,
        sink,
        progress,
        new ClickHouseImportCounter(ch.client),
        quiet,
        { batch: 500, inFlight: IMPORT_PRODUCE.inFlight, groupId, waitTimeoutMs: 120_000 },
        logger,
      );
    } finally {
      await sink.close();
      await progress.close();
    }
  }

  it('ingests the live copy (lateness covering the history, no replay header)', async () => {
    const live = aggregator(
      testConfig({
        AGGREGATOR_GROUP_ID: groupId,
        CLICKHOUSE_INSERT_MAX_ROWS: '300',
        FEATURES_ALLOWED_LATENESS_MS: String(90 * DAY),
      }),
    );
    await produce(
      kafka,
      TOPICS.clickstream,
      liveClicks.map((e): Message => ({ key: e.user_id, value: JSON.stringify(e) })),
    );
    await produce(
      kafka,
      TOPICS.orders,
      liveOrders.map((e): Message => ({ key: e.order_id, value: JSON.stringify(e) })),
    );
    await live.onApplicationBootstrap();
    await waitFor(
      async () => (await count('L-')).lines === lines && (await count('L-')).clicks === N_CLICKS,
      90_000,
      'the live copy stored',
    );
    await live.beforeApplicationShutdown();
  });

  it('imports NDJSON and CSV with the replay header: exact counts, the bad message dead-lettered', async () => {
    const s = aggregator(config); // default lateness (7 days): only the replay header admits the history
    await s.onApplicationBootstrap();
    const c = await importText(ndjson, 'ndjson');
    assert.equal(c.sent, N_CLICKS + 1);
    assert.deepEqual(
      { stored: c.stored, dead: c.deadLettered, dup: c.duplicates },
      { stored: N_CLICKS, dead: 1, dup: 0 },
    );
    const o = await importText(csv, 'csv');
    assert.deepEqual(
      { sent: o.sent, stored: o.stored, dead: o.deadLettered, dup: o.duplicates },
      { sent: N_ORDERS, stored: N_ORDERS, dead: 0, dup: 0 },
    );
    assert.deepEqual(await count('I-'), await count('L-'));
    // the same history without the header is too late for this aggregator
    const late = { ...impClicks[5], event_id: randomUUID(), user_id: 'X-u' };
    await produce(kafka, TOPICS.clickstream, [{ key: 'X-u', value: JSON.stringify(late) }]);
    await waitFor(
      () => Promise.resolve(s.counters().deadLettered >= 2),
      30_000,
      'the headerless old event dead-lettered',
    );
    const [r] = await queryRows<{ reason: string }>(
      ch.client,
      "SELECT reason FROM dead_letters WHERE message_key = 'X-u'",
    );
    assert.match(r.reason, /older than the allowed lateness/);
    await s.beforeApplicationShutdown();
  });

  it('gives the same rollups and features as live ingestion of the same events', async () => {
    const bad = (await verifyRollups(ch.client)).filter((v) => !v.ok).map((v) => v.table);
    assert.deepEqual(bad, []);
    // stock positions are not part of this history
    for (const { table, spec } of allRollupTables().filter(
      (t) => t.spec.rawTable !== 'inventory_snapshots',
    )) {
      const digest = async (p: string) => {
        const norm = (x: string) => `replaceAll(toString(${x}), '${p}', '')`;
        const merged = spec.measures.map(
          (m) => `${norm(mergeExpr(m.kind, m.name, undefined))} AS m_${m.name}`,
        );
        const [r] = await queryRows<{ groups: string; hash: string }>(
          ch.client,
          `SELECT toString(count()) AS groups,
                  toString(sum(cityHash64(k, bucket, ${spec.measures.map((m) => `m_${m.name}`).join(', ')}))) AS hash
           FROM (SELECT ${norm(spec.keyColumn)} AS k, bucket, ${merged.join(', ')}
                 FROM ${table} WHERE startsWith(${spec.keyColumn}, '${p}') GROUP BY ${spec.keyColumn}, bucket)`,
        );
        return r;
      };
      const live = await digest('L-');
      assert.ok(Number(live.groups) > 0, `${table} has live groups`);
      assert.deepEqual(await digest('I-'), live, `${table}: imported = live`);
    }
    const store = new FeatureStore(ch.client);
    const at = Date.now();
    const users = Array.from({ length: USERS }, (_, i) => `u-${i}`);
    const l = await store.lookup(
      'user',
      users.map((u) => `L-${u}`),
      at,
    );
    const i = await store.lookup(
      'user',
      users.map((u) => `I-${u}`),
      at,
    );
    for (let k = 0; k < USERS; k++)
      assert.deepEqual(
        relabel(i[k].features, 'I-', ''),
        relabel(l[k].features, 'L-', ''),
        `features of u-${k}`,
      );
  });

  it('a rerun of the same files stores nothing twice', async () => {
    const before = await count('I-');
    const s = aggregator(config);
    await s.onApplicationBootstrap();
    const c = await importText(ndjson, 'ndjson');
    const o = await importText(csv, 'csv');
    await s.beforeApplicationShutdown();
    assert.deepEqual(
      {
        stored: c.stored + o.stored,
        dead: c.deadLettered,
        dup: (c.duplicates ?? 0) + (o.duplicates ?? 0),
      },
      { stored: 0, dead: 1, dup: N_CLICKS + N_ORDERS },
    );
    assert.deepEqual(await count('I-'), before);
    assert.equal(s.counters().duplicates, N_CLICKS + N_ORDERS);
  });

  it('the CLI refuses a file reaching past RAW_TTL_DAYS before producing anything', async () => {
    const file = join(tempDir('import'), 'old.ndjson');
    writeFileSync(
      file,
      JSON.stringify({ ...impClicks[0], ts: new Date(Date.now() - 100 * DAY).toISOString() }) +
        '\n',
    );
    const admin = kafka.admin();
    await admin.connect();
    const ends = async () => (await admin.fetchTopicOffsets(TOPICS.clickstream)).map((p) => p.high);
    const before = await ends();
    const r = spawnSync(process.execPath, [join(__dirname, 'main.js'), file], {
      env: {
        PATH: processEnvironment().PATH,
        KAFKA_BROKERS: testBrokers().join(','),
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /import refused: .*past RAW_TTL_DAYS \(90\)/);
    assert.deepEqual(await ends(), before, 'nothing produced');
    await admin.disconnect();
  });
});
