// Integration: the replenishment consumer as a real Nest app over the real BatchTransport on the
// local broker, with the embedded ClickHouse engine. Inputs are produced to forecasts.demand.v1 and
// inventory.stock.v1; outputs are read back by a plain kafkajs consumer with read_committed.
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Kafka } from 'kafkajs';
import {
  ClickHouseModule,
  createClickHouse,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import {
  DLQ_HEADERS,
  TOPICS,
  replenishmentSchema,
  type DemandForecastMessage,
  type InventoryEvent,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { KafkaModule, createKafka } from '@storepulse/kafka';
import { replenish } from '@storepulse/ml';
import { ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import { testBrokers, testConfig, testLogger } from '../../../../../test/support/env';
import {
  produce,
  readExpected,
  resetStorefrontTopics,
  waitFor,
  type ReadRecord,
} from '../../../../../test/support/kafka';
import { ReplenishmentModule } from './replenishment.module';
import { ReplenishmentService } from './replenishment.service';
import { ClickHouseReplenishmentStore } from './store';
import { forecastMessage, stockMessage } from './testing';

const logger = testLogger();
const chTs = (iso: string) => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

const forecastRow = (f: DemandForecastMessage) => ({
  forecast_id: f.forecast_id,
  sku: f.sku,
  category: f.category,
  origin: f.origin,
  generated_at: chTs(f.generated_at),
  model_name: f.model.name,
  model_version: f.model.version,
  method: f.model.method,
  cold_start: f.cold_start,
  time_zone: f.time_zone,
  dates: f.horizon.map((d) => d.date),
  p10: f.horizon.map((d) => d.p10),
  p50: f.horizon.map((d) => d.p50),
  p90: f.horizon.map((d) => d.p90),
});

const stockRow = (s: InventoryEvent, offset: number) => ({
  sku: s.sku,
  on_hand: s.on_hand,
  on_order: s.on_order,
  lead_time_days: s.lead_time_days,
  ts: chTs(s.ts),
  _topic: TOPICS.inventory,
  _partition: 0,
  _offset: offset,
});

interface Running {
  app: INestApplication;
  service: ReplenishmentService;
  url: string;
}

async function start(config: AppConfig, kafka: Kafka, ch: ClickHouseHandle): Promise<Running> {
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, new PipelineMetrics(false)),
      KafkaModule.forRoot(kafka, { brokers: testBrokers(), localBroker: false }),
      ClickHouseModule.forRoot(ch),
      ReplenishmentModule,
    ],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  const service = app.get(ReplenishmentService);
  app.connectMicroservice({ strategy: service.transport() }, { inheritAppConfig: true });
  await app.listen(0, '127.0.0.1');
  await app.startAllMicroservices();
  await waitFor(
    () => Promise.resolve(service.transport().health().assignments.length > 0),
    30_000,
    'the replenishment group has partitions',
  );
  return { app, service, url: await app.getUrl() };
}

const recs = (rs: ReadRecord[]) =>
  rs.map((r) => {
    const m = replenishmentSchema.parse(JSON.parse(r.value?.toString('utf8') ?? ''));
    assert.equal(r.key, m.sku, 'keyed by sku');
    return m;
  });

function expectedFor(f: DemandForecastMessage, s: InventoryEvent, config: AppConfig) {
  return replenish(
    f.horizon,
    { onHand: s.on_hand, onOrder: s.on_order, leadTimeDays: s.lead_time_days },
    {
      serviceLevel: config.replenishment.serviceLevel,
      reviewPeriodDays: config.replenishment.reviewPeriodDays,
      dayCorrelation: config.replenishment.dayCorrelation,
    },
  );
}

function assertMatches(
  m: ReplenishmentMessage,
  f: DemandForecastMessage,
  s: InventoryEvent,
  config: AppConfig,
) {
  const e = expectedFor(f, s, config);
  assert.equal(m.forecast.forecast_id, f.forecast_id);
  assert.equal(m.stock.on_hand, s.on_hand);
  assert.equal(m.stock.on_order, s.on_order);
  assert.equal(m.stock.ts, new Date(s.ts).toISOString());
  assert.equal(m.reorder_point, e.reorderPoint, `${m.sku} reorder point`);
  assert.equal(m.order_up_to_level, e.orderUpToLevel, `${m.sku} order-up-to level`);
  assert.equal(m.safety_stock, e.safetyStock);
  assert.equal(m.lead_time_demand.mean, e.leadTimeDemand.mean);
  assert.equal(m.recommended_order_qty, e.recommendedOrderQty);
  assert.equal(m.projected_stockout_date, e.projectedStockoutDate);
  assert.equal(m.action, e.action);
  assert.equal(m.service_level, config.replenishment.serviceLevel);
}

describe('replenishment consumer (real broker, embedded ClickHouse, exactly-once transport)', () => {
  let config: AppConfig;
  let kafka: Kafka;
  let ch: ClickHouseHandle;
  let running: Running | undefined;
  const today = new Date().toISOString().slice(0, 10);
  const genAt = new Date(Date.now() - 60_000).toISOString();
  const forecasts = new Map<string, DemandForecastMessage>();
  const stock = new Map<string, InventoryEvent>();

  before(async () => {
    config = testConfig({
      REPLENISHMENT_GROUP_ID: `replen-int-${Date.now()}`,
      AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
      SHUTDOWN_DRAIN_TIMEOUT_MS: '10000',
    });
    kafka = createKafka({ brokers: testBrokers(), clientId: 'replen-int', logger });
    await resetStorefrontTopics(kafka, 2);
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    for (const [sku, p50] of [
      ['sku-a', 10],
      ['sku-b', 4],
      ['sku-c', 25],
    ] as const)
      forecasts.set(sku, forecastMessage(sku, today, p50, genAt));
    running = await start(config, kafka, ch);
  });

  after(async () => {
    await running?.app.close();
    await ch?.close();
  });

  it('a forecast and a stock position per SKU → one recommendation per SKU equal to replenish(); an invalid stock message goes to the DLQ beside them', async () => {
    await produce(
      kafka,
      TOPICS.demandForecasts,
      [...forecasts.values()].map((f) => ({ key: f.sku, value: JSON.stringify(f) })),
    );
    // forecasts without a stock position: no output, counted (and the stock below then finds them)
    const svc = running!.service;
    await waitFor(
      () => Promise.resolve(svc.counts.skipped.no_stock === 3),
      20_000,
      `3 forecasts without stock counted (${JSON.stringify(svc.counts)})`,
    );
    const ts = new Date().toISOString();
    stock.set('sku-a', stockMessage('sku-a', 150, ts, { leadTimeDays: 5 }));
    stock.set('sku-b', stockMessage('sku-b', 3, ts, { onOrder: 2, leadTimeDays: 7 }));
    stock.set('sku-c', stockMessage('sku-c', 900, ts, { leadTimeDays: 3 }));
    const badStock = JSON.stringify({ ...stock.get('sku-b'), on_hand: 2.5 });
    // one partition, one send: the invalid message is in the same batch as the valid ones
    await produce(kafka, TOPICS.inventory, [
      { key: 'sku-a', value: JSON.stringify(stock.get('sku-a')), partition: 0 },
      { key: 'sku-b', value: badStock, partition: 0 },
      { key: 'sku-b', value: JSON.stringify(stock.get('sku-b')), partition: 0 },
      { key: 'sku-c', value: JSON.stringify(stock.get('sku-c')), partition: 0 },
      {
        key: 'sku-no-forecast',
        value: JSON.stringify(stockMessage('sku-no-forecast', 5, ts)),
        partition: 0,
      },
    ]);
    const out = recs(await readExpected(kafka, TOPICS.replenishment, 3, { settleMs: 2500 }));
    assert.deepEqual(out.map((m) => m.sku).sort(), ['sku-a', 'sku-b', 'sku-c']);
    for (const m of out) assertMatches(m, forecasts.get(m.sku)!, stock.get(m.sku)!, config);
    const byAction = new Map(out.map((m) => [m.sku, m.action]));
    assert.equal(byAction.get('sku-b'), 'reorder');
    assert.equal(byAction.get('sku-a'), 'ok');
    assert.equal(byAction.get('sku-c'), 'overstock');

    const dlq = (await readExpected(kafka, TOPICS.storefrontDlq, 1)).filter(
      (r) => r.headers[DLQ_HEADERS.consumerGroup] === config.replenishment.groupId,
    );
    assert.equal(dlq.length, 1);
    assert.equal(dlq[0].headers[DLQ_HEADERS.reason], 'on_hand: must be an integer');
    assert.equal(dlq[0].headers[DLQ_HEADERS.sourceTopic], TOPICS.inventory);
    assert.equal(dlq[0].value?.toString('utf8'), badStock, 'the original payload');
    assert.equal(dlq[0].key, 'sku-b');

    // committed outcomes: counted once the transactions committed
    await waitFor(
      () => Promise.resolve(svc.counts.skipped.no_forecast === 1 && svc.counts.deadLetters === 1),
      15_000,
      `committed counters (${JSON.stringify(svc.counts)})`,
    );
    assert.deepEqual(svc.counts.recommendations, { reorder: 1, ok: 1, overstock: 1 });
    const metrics = await running!.app.get(PipelineMetrics).registry.metrics();
    assert.match(metrics, /storepulse_replenishment_skipped_total\{reason="no_forecast"\} 1/);
    assert.match(metrics, /storepulse_replenishment_skipped_total\{reason="no_stock"\} 3/);
    assert.match(metrics, /storepulse_replenishment_dead_letters_total 1/);
    assert.match(metrics, /storepulse_replenishment_recommendations_total\{action="reorder"\} 1/);
  });

  it('the API serves the read model: one SKU, 404 for an unknown one, filtered by action, 400 on a bad action', async () => {
    const url = running!.url;
    await waitFor(
      async () => (await fetch(`${url}/api/inventory/replenishment/sku-c`)).status === 200,
      15_000,
      'the read model has sku-c',
    );
    const c = replenishmentSchema.parse(
      await (await fetch(`${url}/api/inventory/replenishment/sku-c`)).json(),
    );
    assertMatches(c, forecasts.get('sku-c')!, stock.get('sku-c')!, config);
    const missing = await fetch(`${url}/api/inventory/replenishment/nope`);
    assert.equal(missing.status, 404);
    assert.match(
      ((await missing.json()) as { message: string }).message,
      /no replenishment recommendation for SKU 'nope'/,
    );
    await waitFor(
      async () =>
        ((await (await fetch(`${url}/api/inventory/replenishment`)).json()) as { count: number })
          .count === 3,
      15_000,
      'three SKUs in the read model',
    );
    const reorder = (await (
      await fetch(`${url}/api/inventory/replenishment?action=reorder`)
    ).json()) as {
      recommendations: ReplenishmentMessage[];
    };
    assert.deepEqual(
      reorder.recommendations.map((r) => r.sku),
      ['sku-b'],
    );
    const bad = await fetch(`${url}/api/inventory/replenishment?action=buy`);
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { message: string }).message,
      /action: must be one of reorder, ok, overstock/,
    );
  });

  it('a stock change (on_hand drops) republishes that SKU with the new position and action reorder', async () => {
    const drop = stockMessage('sku-a', 2, new Date().toISOString(), { leadTimeDays: 5 });
    stock.set('sku-a', drop);
    await produce(kafka, TOPICS.inventory, [{ key: 'sku-a', value: JSON.stringify(drop) }]);
    const out = recs(await readExpected(kafka, TOPICS.replenishment, 4, { settleMs: 2500 }));
    assert.equal(out.length, 4);
    const a = out.filter((m) => m.sku === 'sku-a');
    assert.equal(a.length, 2);
    assert.equal(a[1].stock.on_hand, 2);
    assert.equal(a[1].action, 'reorder');
    assert.ok(a[1].recommended_order_qty > 0);
    assertMatches(a[1], forecasts.get('sku-a')!, drop, config);
    const url = running!.url;
    await waitFor(
      async () => {
        const r = await fetch(`${url}/api/inventory/replenishment/sku-a`);
        return r.status === 200 && ((await r.json()) as ReplenishmentMessage).stock.on_hand === 2;
      },
      15_000,
      'the read model has the new position of sku-a',
    );
  });

  it('a restart on the same group publishes nothing again for committed inputs; the warmed state serves the next change', async () => {
    // What the forecast publisher and the aggregator store upstream, read by the warm-up.
    await ch.client.insert({
      table: 'demand_forecasts',
      format: 'JSONEachRow',
      values: [...forecasts.values()].map(forecastRow),
    });
    await ch.client.insert({
      table: 'inventory_snapshots',
      format: 'JSONEachRow',
      values: [...stock.values()].map((st, i) => stockRow(st, i)),
    });
    await running!.app.close();
    running = await start(config, kafka, ch);
    assert.deepEqual(running.service.state.sizes(), { forecasts: 3, stock: 3, skus: 3 });
    // the restarted member owns the partitions: anything it re-published would show up now
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(running.service.transport().health().transactions.committed, 0);
    const change = stockMessage('sku-b', 40, new Date().toISOString(), {
      onOrder: 0,
      leadTimeDays: 7,
    });
    await produce(kafka, TOPICS.inventory, [{ key: 'sku-b', value: JSON.stringify(change) }]);
    const out = recs(await readExpected(kafka, TOPICS.replenishment, 5, { settleMs: 3000 }));
    assert.equal(out.length, 5, 'four from before the restart and one for the new input');
    assert.equal(
      new Set(out.map((m) => m.recommendation_id)).size,
      5,
      'no duplicate recommendation',
    );
    const last = out.filter((m) => m.sku === 'sku-b').at(-1)!;
    assert.equal(last.stock.on_hand, 40);
    assertMatches(last, forecasts.get('sku-b')!, change, config);
  });

  it('the warm-up reads the latest forecast (FINAL, by generated_at) and the latest stock position (by ts) per SKU', async () => {
    const store = new ClickHouseReplenishmentStore(ch.client);
    const a = forecasts.get('sku-a')!;
    const older = forecastMessage(
      'sku-a',
      a.origin,
      77,
      new Date(Date.parse(a.generated_at) - 7_200_000).toISOString(),
      { version: 2 },
    );
    await ch.client.insert({
      table: 'demand_forecasts',
      format: 'JSONEachRow',
      values: [forecastRow(older)],
    });
    const oldStock = stockMessage('sku-a', 999, new Date(Date.now() - 86_400_000).toISOString());
    await ch.client.insert({
      table: 'inventory_snapshots',
      format: 'JSONEachRow',
      values: [stockRow(oldStock, 99)],
    });
    const fs = await store.latestForecasts();
    assert.deepEqual(
      fs.map((f) => f.sku),
      ['sku-a', 'sku-b', 'sku-c'],
    );
    assert.deepEqual(fs[0], a, 'the newer forecast of sku-a, read back as its contract');
    const ss = await store.latestStock();
    assert.deepEqual(
      ss.map((x) => [x.sku, x.on_hand, x.ts]),
      [...stock.values()].map((x) => [x.sku, x.on_hand, new Date(x.ts).toISOString()]).sort(),
    );
  });
});
