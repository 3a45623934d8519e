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
import { TOPICS } from '@storepulse/contracts';
import { FeatureStore, verifyRollups } from '@storepulse/features';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics } from '@storepulse/observability';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../../../test/support/kafka';
import { testConfig, testLogger } from '../../../test/support/env';
import { AggregatorService } from './aggregator.service';

/**
 * event_id deduplication end to end: the real broker, the embedded engine, the aggregator service.
 * Every event of the `d-` users is produced twice at different offsets (the resend under another
 * key, so usually on another partition) and a few a third time right after the first (same chunk);
 * the `c-` users get the same events once, with their own ids: the control. Raw rows, rollups and
 * user features of the `d-` users must equal the control's.
 */
const USERS = 12;
const N_CLICKS = 600;
const N_ORDERS = 90;
const N_STOCK = 20;
const T0 = Date.now() - 3 * 3_600_000;

interface Fixture {
  clicks: Record<string, unknown>[];
  orders: Record<string, unknown>[];
}
function fixture(prefix: string): Fixture {
  const clicks = Array.from({ length: N_CLICKS }, (_, i) => ({
    event_id: randomUUID(),
    type: i % 4 === 0 ? 'add_to_cart' : 'product_view',
    user_id: `${prefix}-u-${i % USERS}`,
    session_id: `${prefix}-s-${i % 29}`,
    ts: new Date(T0 + i * 7_000).toISOString(),
    sku: `SKU-${i % 17}`,
    price: 5 + (i % 9),
  }));
  const orders = Array.from({ length: N_ORDERS }, (_, i) => ({
    event_id: randomUUID(),
    type: 'order_placed',
    order_id: `${prefix}-o-${i}`,
    user_id: `${prefix}-u-${i % USERS}`,
    ts: new Date(T0 + i * 41_000).toISOString(),
    currency: 'EUR',
    items: Array.from({ length: 1 + (i % 3) }, (_, l) => ({
      sku: `SKU-${(i + l) % 17}`,
      qty: 1 + ((i + l) % 4),
      unit_price: 3.25 + l,
    })),
  }));
  return { clicks, orders };
}
const msg = (key: string, v: Record<string, unknown>): Message => ({
  key,
  value: JSON.stringify(v),
});
const lines = (f: Fixture) => f.orders.reduce((s, o) => s + (o.items as unknown[]).length, 0);

describe('event_id deduplication in the aggregator (real broker, embedded engine)', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  const groupId = `dedup-int-${Date.now()}`;
  const d = fixture('d');
  const c = fixture('c');
  const started: AggregatorService[] = [];

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({ AGGREGATOR_GROUP_ID: groupId, CLICKHOUSE_INSERT_MAX_ROWS: '200' });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
  });
  after(async () => {
    for (const s of started) await s.beforeApplicationShutdown().catch(() => undefined);
    await ch?.close();
  });

  function service(cfg: AppConfig): AggregatorService {
    const logger = testLogger();
    const s = new AggregatorService(
      cfg,
      createKafka({ brokers: cfg.kafka.brokers!, clientId: 'dedup-int', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    started.push(s);
    return s;
  }

  async function counts(prefix: string) {
    const [r] = await queryRows<{ clicks: string; ids: string; lines: string; units: string }>(
      ch.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events WHERE startsWith(user_id, {p:String})) AS clicks,
         (SELECT toString(uniqExact(event_id)) FROM clickstream_events WHERE startsWith(user_id, {p:String})) AS ids,
         (SELECT toString(count()) FROM order_lines WHERE startsWith(user_id, {p:String})) AS lines,
         (SELECT toString(sum(qty)) FROM order_lines WHERE startsWith(user_id, {p:String})) AS units`,
      { p: `${prefix}-` },
    );
    return {
      clicks: Number(r.clicks),
      ids: Number(r.ids),
      lines: Number(r.lines),
      units: Number(r.units),
    };
  }

  async function assertLikeControl(): Promise<void> {
    const dc = await counts('d');
    const cc = await counts('c');
    assert.deepEqual(dc, { ...cc }, 'raw rows of the duplicated events equal the control');
    assert.equal(dc.clicks, N_CLICKS);
    assert.equal(dc.ids, N_CLICKS);
    assert.equal(dc.lines, lines(d));
    const bad = (await verifyRollups(ch.client)).filter((v) => !v.ok).map((v) => v.table);
    assert.deepEqual(bad, [], 'every rollup equals the aggregation of the raw rows');
    const store = new FeatureStore(ch.client);
    const at = Date.now();
    const ids = Array.from({ length: USERS }, (_, i) => `u-${i}`);
    const dv = await store.lookup(
      'user',
      ids.map((u) => `d-${u}`),
      at,
    );
    const cv = await store.lookup(
      'user',
      ids.map((u) => `c-${u}`),
      at,
    );
    for (let i = 0; i < USERS; i++) {
      assert.ok(dv[i].found, `d-u-${i} has features`);
      assert.deepEqual(dv[i].features, cv[i].features, `features of d-u-${i} equal the control's`);
    }
  }

  it('stores and counts an event produced twice (another offset, another partition, the same chunk) once', async () => {
    const clicks: Message[] = [];
    d.clicks.forEach((e, i) => {
      clicks.push(msg(e.user_id as string, e));
      if (i % 50 === 0) clicks.push(msg(e.user_id as string, e)); // next offset: same chunk
    });
    for (const e of d.clicks) clicks.push(msg(`resend-${String(e.event_id)}`, e));
    for (const e of c.clicks) clicks.push(msg(e.user_id as string, e));
    const orders: Message[] = [];
    for (const e of d.orders) orders.push(msg(e.order_id as string, e));
    for (const e of d.orders) orders.push(msg(`resend-${String(e.event_id)}`, e));
    for (const e of c.orders) orders.push(msg(e.order_id as string, e));
    await produce(kafka, TOPICS.clickstream, clicks);
    await produce(kafka, TOPICS.orders, orders);
    // stock positions have no event_id: (sku, ts) is their identity
    const stock = Array.from({ length: N_STOCK }, (_, i) => ({
      sku: `d-SKU-${i}`,
      on_hand: 10 + i,
      on_order: 0,
      lead_time_days: 3,
      ts: new Date(T0 + i * 60_000).toISOString(),
    }));
    await produce(kafka, TOPICS.inventory, [
      ...stock.map((e) => msg(e.sku, e)),
      ...stock.map((e) => msg(`resend-${e.sku}`, e)),
      // another position of the same SKU (another ts) is not a duplicate
      msg('d-SKU-0', { ...stock[0], on_hand: 1, ts: new Date(T0 + 3_600_000).toISOString() }),
    ]);
    const extra = N_CLICKS / 50 + N_STOCK;

    const s = service(config);
    await s.onApplicationBootstrap();
    await waitFor(
      () =>
        Promise.resolve(s.counters().consumed >= clicks.length + orders.length + 2 * N_STOCK + 1),
      90_000,
      'every message consumed',
    );
    await waitFor(async () => (await counts('c')).lines >= lines(c), 60_000, 'the control stored');
    await s.beforeApplicationShutdown();
    assert.equal(s.counters().duplicates, N_CLICKS + extra + N_ORDERS);
    assert.equal(s.counters().deadLettered, 0, 'duplicates are not dead letters');
    const [l] = await queryRows<{ dups: string }>(
      ch.client,
      "SELECT toString(sum(duplicates)) AS dups FROM ingest_ledger FINAL WHERE state = 'done'",
    );
    assert.equal(Number(l.dups), N_CLICKS + extra + N_ORDERS, 'the ledger counts them per chunk');
    const [inv] = await queryRows<{ n: string }>(
      ch.client,
      "SELECT toString(count()) AS n FROM inventory_snapshots WHERE startsWith(sku, 'd-')",
    );
    assert.equal(Number(inv.n), N_STOCK + 1, 'each stock position once');
    await assertLikeControl();
  });

  it('drops a duplicate that arrives after a restart of the aggregator', async () => {
    const resend = [...d.clicks.slice(0, 100), ...c.clicks.slice(0, 100)].map((e) =>
      msg(`late-${String(e.event_id)}`, e),
    );
    await produce(kafka, TOPICS.clickstream, resend);
    await produce(
      kafka,
      TOPICS.orders,
      d.orders.slice(0, 30).map((e) => msg(e.order_id as string, e)),
    );
    const s = service(config);
    await s.onApplicationBootstrap();
    await waitFor(
      () => Promise.resolve(s.counters().duplicates >= 230),
      90_000,
      'the resent events seen as duplicates',
    );
    await s.beforeApplicationShutdown();
    assert.equal(s.counters().duplicates, 230);
    assert.equal(s.counters().stored, 0);
    await assertLikeControl();
  });

  it('stores an event again once its first copy is older than the dedup window', async () => {
    const cfg = testConfig({
      AGGREGATOR_GROUP_ID: groupId,
      CLICKHOUSE_INSERT_MAX_ROWS: '200',
      DEDUP_WINDOW_MS: '1500',
    });
    const e = { ...c.clicks[0], event_id: randomUUID(), user_id: 'w-u-0' };
    const inWindow = { ...c.clicks[1], event_id: randomUUID(), user_id: 'w-u-1' };
    const s = service(cfg);
    await s.onApplicationBootstrap();
    await produce(kafka, TOPICS.clickstream, [msg('w-u-0', e), msg('w-u-1', inWindow)]);
    const rowsOf = async (id: unknown) =>
      Number(
        (
          await queryRows<{ n: string }>(
            ch.client,
            'SELECT toString(count()) AS n FROM clickstream_events WHERE event_id = {id:UUID}',
            { id },
          )
        )[0].n,
      );
    await waitFor(async () => (await rowsOf(e.event_id)) === 1, 60_000, 'first copy stored');
    // the second copy of `inWindow` at once (within 1.5 s, dropped), of `e` after the window
    await produce(kafka, TOPICS.clickstream, [msg('w-again', inWindow)]);
    await waitFor(() => Promise.resolve(s.counters().duplicates >= 1), 30_000, 'dup in window');
    await new Promise((r) => setTimeout(r, 2000));
    await produce(kafka, TOPICS.clickstream, [msg('w-again', e)]);
    await waitFor(async () => (await rowsOf(e.event_id)) === 2, 60_000, 'stored again');
    await s.beforeApplicationShutdown();
    assert.equal(await rowsOf(inWindow.event_id), 1);
    assert.equal(s.counters().duplicates, 1);
  });
});
