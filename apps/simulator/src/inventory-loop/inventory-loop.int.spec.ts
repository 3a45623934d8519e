import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '@storepulse/config';
import { recommendationId, TOPICS, type ReplenishmentMessage } from '@storepulse/contracts';
import { createKafka, KafkaModule } from '@storepulse/kafka';
import {
  HealthRegistry,
  ObservabilityModule,
  PinoNestLogger,
  PipelineMetrics,
} from '@storepulse/observability';
import { SimulatorModule } from '../simulator.module';
import { resetStorefrontTopics, waitFor } from '../../../../test/support/kafka';
import { testBrokers, testConfig, testLogger } from '../../../../test/support/env';
import type { MessageSink } from '../message-sink';
import { SimulatorService } from '../simulator.service';
import { Storefront, type SimulatedMessage } from '../storefront';
import { InventoryLoopService } from './inventory-loop.service';

class MemorySink implements MessageSink {
  readonly messages: SimulatedMessage[] = [];
  send(messages: SimulatedMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

const forecastId = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
function recommendation(sku: string, qty: number, ts: string): ReplenishmentMessage {
  const stock = { on_hand: 0, on_order: 0, lead_time_days: 3, ts };
  return {
    recommendation_id: recommendationId(sku, forecastId, stock),
    sku,
    category: 'books',
    generated_at: ts,
    action: 'reorder',
    recommended_order_qty: qty,
    reorder_point: 8,
    safety_stock: 3,
    order_up_to_level: qty,
    lead_time_demand: { mean: 5, p50: 5, p_service: 8, std: 1.8 },
    projected_stockout_date: null,
    service_level: 0.95,
    review_period_days: 1,
    stock,
    forecast: { forecast_id: forecastId, origin: ts.slice(0, 10), generated_at: ts },
    model: { name: 'demand', version: 1 },
  };
}

void describe('simulated inventory follows inventory.replenishment.v1 (real broker)', () => {
  let kafka: Kafka;
  let svc: SimulatorService;
  let loop: InventoryLoopService;
  let metrics: PipelineMetrics;
  const sink = new MemorySink();
  const config = testConfig({
    SIMULATOR_EVENTS_PER_SEC: '5',
    SIMULATOR_USERS: '100',
    SIMULATOR_SKUS: '20',
    SIMULATOR_SEED: '17',
    SIMULATOR_FOLLOW_REPLENISHMENT: 'true',
  });
  const skus = new Storefront({
    seed: 17,
    users: 100,
    skus: 20,
    invalidRate: 0,
    startMs: 0,
  }).catalogue.map((c) => c.sku);

  before(async () => {
    kafka = createKafka({
      brokers: testBrokers(),
      clientId: 'sim-loop-test',
      logger: testLogger(),
    });
    await resetStorefrontTopics(kafka, 1);
    svc = new SimulatorService(config, sink);
    metrics = new PipelineMetrics(false);
    loop = new InventoryLoopService(
      config,
      kafka,
      testLogger(),
      metrics,
      new HealthRegistry(),
      svc,
    );
    svc.start();
    await loop.onApplicationBootstrap();
  });

  after(async () => {
    await loop.beforeApplicationShutdown();
    await svc.stop();
  });

  void it('places the committed recommendations, skips an aborted transaction and a broken message', async () => {
    const ts = new Date(Date.now() + 1000).toISOString();
    const [a, b, c] = [skus[0] ?? '', skus[1] ?? '', skus[2] ?? ''];
    assert.ok(a && b && c);
    const tx = kafka.producer({
      transactionalId: `sim-loop-test-${Date.now()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    try {
      const aborted = await tx.transaction();
      await aborted.send({
        topic: TOPICS.replenishment,
        messages: [{ key: b, value: JSON.stringify(recommendation(b, 55, ts)) }],
      });
      await aborted.abort();
      const committed = await tx.transaction();
      await committed.send({
        topic: TOPICS.replenishment,
        messages: [
          { key: a, value: JSON.stringify(recommendation(a, 37, ts)) },
          { key: c, value: '{"sku": "broken"' },
          // The same recommendation again (a redelivery): placed once.
          { key: a, value: JSON.stringify(recommendation(a, 37, ts)) },
          { key: c, value: JSON.stringify(recommendation(c, 41, ts)) },
        ],
      });
      await committed.commit();
    } finally {
      await tx.disconnect();
    }
    await waitFor(
      () => Promise.resolve(svc.inventory().recommendations.placed === 2),
      30_000,
      'two purchase orders placed',
    );
    // Let the simulator publish the new positions (ticks every 200 ms).
    await waitFor(
      () =>
        Promise.resolve(
          [a, c].every((sku) =>
            sink.messages.some(
              (m) =>
                m.topic === TOPICS.inventory && m.key === sku && m.value.includes('"on_order":'),
            ),
          ),
        ),
      10_000,
      'positions published',
    );
    const view = svc.inventory();
    assert.equal(view.followsRecommendations, true);
    assert.equal(view.recommendations.placed, 2);
    assert.equal(view.recommendations.duplicate, 1);
    assert.equal(view.skusOnFixedPolicy, 18, 'b (aborted) and the 17 others keep the fixed policy');
    const k = view.kpis;
    assert.ok(k);
    assert.ok(k.unitsOrdered >= 37 + 41);
    // Side by side: following = the live inventory; the fixed policy = the shadow on the same demand,
    // which never saw the two recommended POs.
    assert.deepEqual(view.following, k);
    assert.equal(view.since, k.from);
    assert.equal(view.fixedPolicySource, 'shadow');
    assert.ok(view.fixedPolicy);
    assert.equal(view.fixedPolicy.from, k.from);
    assert.ok(
      view.fixedPolicy.unitsOrdered < k.unitsOrdered,
      `shadow ordered ${view.fixedPolicy.unitsOrdered}, live ${k.unitsOrdered}`,
    );
    const onOrder = (sku: string): number[] =>
      sink.messages
        .filter((m) => m.topic === TOPICS.inventory && m.key === sku)
        .map((m) => (JSON.parse(m.value.toString('utf8')) as { on_order: number }).on_order);
    assert.ok(
      onOrder(a).some((q) => q >= 37),
      `on_order of ${a}: ${onOrder(a).join(',')}`,
    );
    assert.ok(onOrder(c).some((q) => q >= 41));
    // Exactly three recommendations reached the inventory: not the aborted one, not the broken one.
    assert.equal(
      Object.values(view.recommendations).reduce((x, y) => x + y, 0),
      3,
      JSON.stringify(view.recommendations),
    );
    const text = await metrics.registry.metrics();
    assert.match(text, /storepulse_simulator_recommendations_total\{outcome="placed"\} 2/);
    assert.match(text, /storepulse_simulator_recommendations_total\{outcome="invalid"\} 1/);
    assert.match(text, /storepulse_simulator_follows_recommendations 1/);
    assert.match(text, /storepulse_simulator_purchase_orders_placed \d+/);
    assert.match(
      text,
      /storepulse_simulator_policy_purchase_orders_placed\{policy="following"\} \d+/,
    );
    assert.match(text, /storepulse_simulator_policy_purchase_orders_placed\{policy="fixed"\} \d+/);
  });
});

void describe('simulator app: GET /api/simulator/inventory and the storepulse_simulator_* metrics', () => {
  let app: INestApplication | undefined;
  after(async () => {
    await app?.close();
  });

  void it('serves the inventory view of the live storefront, following or not', async () => {
    const config = testConfig({
      SIMULATOR_EVENTS_PER_SEC: '20',
      SIMULATOR_USERS: '100',
      SIMULATOR_SKUS: '15',
      SIMULATOR_HISTORY_DAYS: '0',
      SIMULATOR_FOLLOW_REPLENISHMENT: 'false',
    });
    const logger = testLogger();
    const kafka = createKafka({ brokers: testBrokers(), clientId: 'sim-app-test', logger });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, new PipelineMetrics(false)),
        KafkaModule.forRoot(kafka, { brokers: testBrokers(), localBroker: false }),
        SimulatorModule,
      ],
    })
    class TestSimulatorApp {}
    app = await NestFactory.create(TestSimulatorApp, { logger: new PinoNestLogger(logger) });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    type Kpis = { unitsDemanded: number; fillRate: number | null; simulatedDays: number };
    type View = {
      followsRecommendations: boolean;
      skusOnFixedPolicy: number;
      skus: number;
      kpis: Kpis | null;
      following: Kpis | null;
      fixedPolicy: Kpis | null;
      fixedPolicySource: string | null;
    };
    let view: View | undefined;
    await waitFor(
      async () => {
        const r = await fetch(`${url}/api/simulator/inventory`);
        assert.equal(r.status, 200);
        view = (await r.json()) as View;
        return (view.kpis?.simulatedDays ?? 0) > 0;
      },
      15_000,
      'the live storefront runs',
    );
    assert.ok(view);
    assert.equal(view.followsRecommendations, false);
    assert.equal(view.skus, 15);
    assert.equal(view.skusOnFixedPolicy, 15);
    // Not following: the live inventory is the fixed policy; nothing to show "with StorePulse".
    assert.equal(view.following, null);
    assert.equal(view.fixedPolicySource, 'live');
    assert.deepEqual(view.fixedPolicy, view.kpis);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /storepulse_simulator_policy_units_demanded\{policy="fixed"\} /);
    assert.doesNotMatch(
      metrics,
      /storepulse_simulator_policy_units_demanded\{policy="following"\}/,
    );
    assert.match(metrics, /storepulse_simulator_follows_recommendations 0/);
    assert.match(metrics, /# TYPE storepulse_simulator_stockout_sku_days gauge/);
    assert.match(metrics, /storepulse_simulator_mean_on_hand_units \d/);
  });
});
