import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Kafka, Message } from 'kafkajs';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import {
  ClickHouseModule,
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import { AggregatorService } from '@storepulse/aggregator';
import { Storefront } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../../../test/support/kafka';
import { testConfig, testLogger } from '../../../test/support/env';
import { FEATURES, featuresOf, type FeatureDef } from './catalog';
import { FeatureStore } from './store';
import { FeaturesModule } from './features.module';
import { ReferenceFeatures, refFromPayloads, type RefData } from './reference';
import type { EntityKind } from './rollups';

const START = Date.UTC(2026, 9, 1, 0, 0, 0);
const DAY = 86_400_000;
const END = START + 9 * DAY;
/** Cut-offs: bucket edges, mid-minute, mid-hour, days apart (all after ≥ 1 day of history). */
const CUTOFFS = [
  START + 1 * DAY + 37 * 60_000 + 12_345,
  START + 2 * DAY,
  START + 3 * DAY + 13 * 3_600_000 + 59 * 60_000 + 59_999,
  START + 5 * DAY + 7 * 3_600_000 + 30 * 60_000,
  START + 8 * DAY + 20 * 3_600_000 + 1,
  END + 2 * 3_600_000,
];

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

describe('features over simulated history (Kafka → aggregator → rollups)', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  let store: FeatureStore;
  let ref: RefData;
  let agg: AggregatorService | undefined;
  let app: INestApplication | undefined;
  let base = '';
  const ids: Record<EntityKind, string[]> = { user: [], sku: [], category: [] };

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({
      AGGREGATOR_GROUP_ID: `features-int-${Date.now()}`,
      FEATURES_ALLOWED_LATENESS_MS: String(3650 * DAY),
      CLICKHOUSE_INSERT_MAX_ROWS: '5000',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const sf = new Storefront({
      seed: 3,
      users: 400,
      skus: 120,
      invalidRate: 0.01,
      startMs: START,
    });
    const byTopic = new Map<string, Message[]>();
    const valid: Record<string, unknown[]> = { click: [], order: [], inv: [] };
    for (const chunk of sf.history(END, 6_000))
      for (const m of chunk) {
        const list = byTopic.get(m.topic) ?? [];
        // no Kafka timestamp: the event times are older than the topics' 7-day retention
        list.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, list);
        if (!m.valid) continue;
        const o: unknown = JSON.parse(m.value.toString('utf8'));
        if (m.topic === TOPICS.clickstream) valid.click.push(o);
        else if (m.topic === TOPICS.orders) valid.order.push(o);
        else valid.inv.push(o);
      }
    ref = refFromPayloads(valid.click, valid.order, valid.inv);
    for (const [topic, msgs] of byTopic) await produce(kafka, topic, msgs);
    const logger = testLogger();
    agg = new AggregatorService(
      config,
      createKafka({ brokers: config.kafka.brokers!, clientId: 'features-int', logger }),
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
    const expected = ref.clicks.length + ref.orders.length + ref.inventory.length;
    await waitFor(
      async () => {
        const [r] = await queryRows<{ n: string }>(
          ch.client,
          `SELECT toString((SELECT count() FROM clickstream_events) + (SELECT count() FROM order_lines)
            + (SELECT count() FROM inventory_snapshots)) AS n`,
        );
        return Number(r.n) >= expected;
      },
      120_000,
      `${expected} raw rows stored`,
      500,
    );
    await agg.beforeApplicationShutdown();
    agg = undefined;
    store = new FeatureStore(ch.client);
    const users = [...new Set(ref.clicks.map((c) => c.userId))].sort();
    ids.user = users.filter((_, i) => i % 9 === 0).slice(0, 40);
    ids.sku = [...new Set(ref.clicks.map((c) => c.sku).filter((s) => s !== ''))]
      .sort()
      .slice(0, 40);
    ids.category = [...new Set(ref.clicks.map((c) => c.category).filter((s) => s !== ''))].sort();
  });

  after(async () => {
    await agg?.beforeApplicationShutdown().catch(() => undefined);
    await app?.close();
    await ch?.close();
  });

  function compare(
    entity: EntityKind,
    got: { id: string; atMs: number; features: Record<string, number | null> }[],
  ) {
    const oracle = new ReferenceFeatures(entity, ref);
    const defs = new Map<string, FeatureDef>(featuresOf(entity).map((f) => [f.name, f]));
    let checked = 0;
    let nonZero = 0;
    for (const row of got)
      for (const [name, v] of Object.entries(row.features)) {
        const want = oracle.value(defs.get(name)!, row.id, row.atMs);
        assert.ok(
          close(v, want),
          `${name} of ${entity} ${row.id} at ${new Date(row.atMs).toISOString()}: got ${v}, reference ${want}`,
        );
        checked++;
        if (want !== null && want !== 0) nonZero++;
      }
    return { checked, nonZero };
  }

  it('training set (point-in-time) at several cut-offs equals features computed in TypeScript from the produced events', async () => {
    for (const entity of ['user', 'sku', 'category'] as const) {
      const spine = CUTOFFS.flatMap((atMs) => ids[entity].map((id) => ({ id, atMs })));
      const rows = await store.asOf(entity, spine);
      assert.equal(rows.length, spine.length);
      const { checked, nonZero } = compare(entity, rows);
      assert.ok(
        nonZero > checked / 10,
        `${entity}: enough non-trivial values (${nonZero}/${checked})`,
      );
      if (entity === 'user') {
        // the session features were compared on real cases, not only on empty ones
        const vals = (name: string) => rows.map((r) => r.features[name]);
        assert.ok(
          vals('user_sessions_24h').some((v) => (v ?? 0) >= 2),
          'multi-session days',
        );
        assert.ok(
          vals('user_abandoned_carts_7d').some((v) => (v ?? 0) > 0),
          'abandoned carts',
        );
        assert.ok(
          vals('user_cart_abandonment_28d').some((v) => v !== null && v < 1),
          'converted carts',
        );
        assert.ok(
          vals('user_mean_session_seconds_28d').some((v) => (v ?? 0) > 60),
          'lengths',
        );
      }
    }
  });

  it('online lookup equals the training-set builder for a sample of (entity, t)', async () => {
    for (const entity of ['user', 'sku', 'category'] as const) {
      for (const atMs of [CUTOFFS[0], CUTOFFS[3], CUTOFFS[5]]) {
        const online = await store.lookup(entity, ids[entity], atMs);
        const offline = await store.asOf(
          entity,
          ids[entity].map((id) => ({ id, atMs })),
        );
        const batchVariant = await store.lookup(entity, ids[entity], atMs, 'if');
        const smallVariant = await store.lookup(entity, ids[entity], atMs, 'forEach');
        for (let i = 0; i < online.length; i++) {
          assert.deepEqual(online[i].features, offline[i].features, `${entity} ${online[i].id}`);
          assert.deepEqual(batchVariant[i].features, offline[i].features, `${entity} 'if' variant`);
          assert.deepEqual(smallVariant[i].features, offline[i].features, `${entity} 'forEach'`);
        }
        compare(
          entity,
          online.map((o) => ({ id: o.id, atMs, features: o.features })),
        );
      }
    }
  });

  it('uses only events before t: features at the first event time are empty', async () => {
    const first = ref.clicks.reduce((a, c) => Math.min(a, c.tsMs), Infinity);
    const [r] = await store.lookup('user', [ref.clicks[0].userId], first);
    assert.equal(r.found, false);
    for (const [n, v] of Object.entries(r.features)) assert.ok(v === 0 || v === null, n);
  });

  it('serves features over HTTP: single, batch, catalog, 404 for unknown, 400 naming the parameter', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(testLogger(), new PipelineMetrics(false), new HealthRegistry()),
        ClickHouseModule.forRoot(ch),
        FeaturesModule,
      ],
    })
    class TestApp {}
    app = await NestFactory.create(TestApp, { logger: false });
    await app.listen(0);
    const server = app.getHttpServer() as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/features`;
    const at = new Date(CUTOFFS[4]).toISOString();
    const user = ids.user[1];

    const one = await fetch(`${base}/users/${user}?at=${at}`);
    assert.equal(one.status, 200);
    const body = (await one.json()) as {
      id: string;
      found: boolean;
      features: Record<string, number>;
    };
    assert.equal(body.id, user);
    const [expected] = await store.lookup('user', [user], CUTOFFS[4]);
    assert.deepEqual(body.features, expected.features);

    const sku = await fetch(`${base}/skus/${ids.sku[0]}?at=${at}`);
    assert.equal(sku.status, 200);

    const missing = await fetch(`${base}/users/nobody-here?at=${at}`);
    assert.equal(missing.status, 404);
    const mb = (await missing.json()) as { entity: string; id: string; message: string };
    assert.equal(mb.entity, 'user');
    assert.equal(mb.id, 'nobody-here');
    assert.match(mb.message, /unknown user nobody-here/);

    const badAt = await fetch(`${base}/users/${user}?at=yesterday`);
    assert.equal(badAt.status, 400);
    assert.equal(((await badAt.json()) as { parameter: string }).parameter, 'at');

    const batch = await fetch(`${base}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entity: 'user', ids: [...ids.user, 'nobody-here'], at }),
    });
    assert.equal(batch.status, 200);
    const bb = (await batch.json()) as { results: { id: string }[]; missing: string[] };
    assert.equal(bb.results.length, ids.user.length + 1);
    assert.deepEqual(bb.missing, ['nobody-here']);

    // the same batch as a matrix: names once, one row per id, the same values (null stays null)
    const asMatrix = await fetch(`${base}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        entity: 'user',
        ids: [...ids.user, 'nobody-here'],
        at,
        format: 'matrix',
      }),
    });
    assert.equal(asMatrix.status, 200);
    const mx = (await asMatrix.json()) as {
      features: string[];
      ids: string[];
      found: boolean[];
      values: (number | null)[][];
      missing: string[];
    };
    const objects = bb.results as unknown as {
      id: string;
      found: boolean;
      features: Record<string, number | null>;
    }[];
    assert.deepEqual(
      mx.features,
      featuresOf('user').map((f) => f.name),
    );
    assert.deepEqual(
      mx.ids,
      objects.map((r) => r.id),
    );
    assert.deepEqual(
      mx.found,
      objects.map((r) => r.found),
    );
    assert.deepEqual(mx.missing, ['nobody-here']);
    assert.deepEqual(
      mx.values,
      objects.map((r) => mx.features.map((n) => r.features[n])),
    );
    assert.ok(
      mx.values.some((row) => row.includes(null)) &&
        mx.values.some((row) => row.some((x) => x !== null && x > 0)),
    );

    for (const [payload, parameter] of [
      [{ entity: 'shop', ids: ['a'] }, 'entity'],
      [{ entity: 'user', ids: [] }, 'ids'],
      [{ entity: 'user', ids: ['a', 7] }, 'ids[1]'],
      [{ entity: 'user', ids: ['a'], at: '2026-13-01' }, 'at'],
      [{ entity: 'user', ids: ['a'], format: 'csv' }, 'format'],
    ] as const) {
      const r = await fetch(`${base}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      assert.equal(r.status, 400, JSON.stringify(payload));
      assert.equal(((await r.json()) as { parameter: string }).parameter, parameter);
    }

    const tier = await fetch(`${base}/online`);
    assert.equal(tier.status, 200);
    const tb = (await tier.json()) as { online: { state: string }; served: { clickhouse: number } };
    assert.ok(['warming', 'ready'].includes(tb.online.state), tb.online.state);
    assert.ok(tb.served.clickhouse > 0, 'historical lookups are served by ClickHouse');

    const cat = await fetch(`${base}/catalog`);
    const cb = (await cat.json()) as {
      windows: string[];
      windowDescriptions: Record<string, string>;
      features: { name: string; window: string; windowSeconds: number; description: string }[];
    };
    assert.equal(cb.features.length, FEATURES.length);
    // the lifetime window: listed, described as "within the rollup retention", spanning the TTL
    assert.deepEqual(cb.windows, ['15m', '1h', '24h', '7d', '28d', 'lifetime']);
    assert.match(cb.windowDescriptions.lifetime, /within the rollup retention/);
    const life = cb.features.find((f) => f.name === 'user_orders_lifetime');
    assert.equal(life?.window, 'lifetime');
    assert.equal(life?.windowSeconds, config.features.rollupTtlDays * 86_400);
    assert.match(life?.description ?? '', /rollup retention/);
  });
});
