import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DLQ_HEADERS, TOPICS, recommendationId, replenishmentSchema } from '@storepulse/contracts';
import type { InboundBatch, InboundMessage, OutboundRecord } from '@storepulse/kafka';
import { replenish } from '@storepulse/ml';
import { createLogger } from '@storepulse/observability';
import { ReplenishBatch } from './replenish-batch';
import { ReplenishmentState, heldForecast, heldStock } from './state';
import { forecastMessage, stockMessage } from './testing';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const POLICY = { serviceLevel: 0.95, reviewPeriodDays: 1 };
const log = createLogger('warn', 'test');

function batch(topic: string, values: (object | string)[], firstOffset = 10): InboundBatch {
  const messages: InboundMessage[] = values.map((v, i) => ({
    topic,
    partition: 1,
    offset: String(firstOffset + i),
    key: Buffer.from('k'),
    value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
    headers: { trace: `t-${i}` },
    timestampMs: NOW.getTime(),
  }));
  return { topic, partition: 1, messages, heartbeat: () => Promise.resolve() };
}

const outputs = (records: OutboundRecord[]) =>
  records
    .filter((r) => r.topic === TOPICS.replenishment)
    .map((r) => replenishmentSchema.parse(JSON.parse(String(r.value))));

function setup() {
  const state = new ReplenishmentState();
  const uc = new ReplenishBatch(
    state,
    { groupId: 'g-replen', dlqTopic: TOPICS.storefrontDlq, policy: POLICY },
    log,
    () => NOW,
  );
  return { state, uc };
}

describe('ReplenishBatch', () => {
  it('a stock position for a SKU with a forecast publishes replenish() of both, keyed by SKU, with its recommendation_id', () => {
    const { state, uc } = setup();
    const f = forecastMessage('sku-1', '2026-12-01', 10, '2026-12-01T11:00:00.000Z');
    state.applyForecast(heldForecast(f));
    const s = stockMessage('sku-1', 30, '2026-12-01T11:30:00.000Z', { onOrder: 5 });
    const { records, summary } = uc.handle(batch(TOPICS.inventory, [s]));
    assert.equal(records.length, 1);
    assert.equal(records[0].key, 'sku-1');
    const [rec] = outputs(records);
    const expected = replenish(
      f.horizon,
      { onHand: 30, onOrder: 5, leadTimeDays: 5 },
      { serviceLevel: 0.95, reviewPeriodDays: 1 },
    );
    assert.equal(rec.reorder_point, expected.reorderPoint);
    assert.equal(rec.order_up_to_level, expected.orderUpToLevel);
    assert.equal(rec.safety_stock, expected.safetyStock);
    assert.equal(rec.recommended_order_qty, expected.recommendedOrderQty);
    assert.equal(rec.action, expected.action);
    assert.equal(rec.projected_stockout_date, expected.projectedStockoutDate);
    assert.equal(rec.lead_time_demand.p_service, expected.leadTimeDemand.pService);
    assert.equal(
      rec.recommendation_id,
      recommendationId('sku-1', f.forecast_id, { ts: s.ts, on_hand: 30, on_order: 5 }),
    );
    assert.deepEqual(rec.forecast, {
      forecast_id: f.forecast_id,
      origin: f.origin,
      generated_at: f.generated_at,
    });
    assert.deepEqual(rec.model, { name: 'demand', version: 1 });
    assert.equal(rec.generated_at, NOW.toISOString());
    assert.equal(rec.service_level, 0.95);
    assert.equal(rec.review_period_days, 1);
    assert.equal(summary.recommendations.length, 1);
    // 30 + 5 units against ~10/day over 5 days of lead time: below the reorder point
    assert.equal(rec.action, 'reorder');
    assert.ok(rec.recommended_order_qty > 0);
  });

  it('several changes of one SKU in a batch give one recommendation, from the last state', () => {
    const { state, uc } = setup();
    state.applyForecast(
      heldForecast(forecastMessage('a', '2026-12-01', 10, '2026-12-01T11:00:00Z')),
    );
    state.applyForecast(
      heldForecast(forecastMessage('b', '2026-12-01', 10, '2026-12-01T11:00:00Z')),
    );
    const { records } = uc.handle(
      batch(TOPICS.inventory, [
        stockMessage('a', 500, '2026-12-01T10:00:00Z'),
        stockMessage('b', 500, '2026-12-01T10:00:00Z'),
        stockMessage('a', 20, '2026-12-01T10:05:00Z'),
      ]),
    );
    const recs = outputs(records);
    assert.deepEqual(
      recs.map((r) => [r.sku, r.stock.on_hand]),
      [
        ['b', 500],
        ['a', 20],
      ],
    );
  });

  it('an older stock position or forecast does not replace the held one and publishes nothing', () => {
    const { state, uc } = setup();
    const f2 = forecastMessage('a', '2026-12-01', 10, '2026-12-01T11:00:00Z', { version: 2 });
    state.applyForecast(heldForecast(f2));
    state.applyStock(heldStock(stockMessage('a', 40, '2026-12-01T11:00:00Z')));
    const old = uc.handle(batch(TOPICS.inventory, [stockMessage('a', 1, '2026-12-01T10:00:00Z')]));
    assert.equal(old.records.length, 0);
    assert.equal(old.summary.skipped.stale, 1);
    assert.equal(state.get('a')?.stock?.onHand, 40);
    const oldF = uc.handle(
      batch(TOPICS.demandForecasts, [
        forecastMessage('a', '2026-12-01', 99, '2026-12-01T10:00:00Z', { version: 1 }),
      ]),
    );
    assert.equal(oldF.records.length, 0);
    assert.equal(oldF.summary.skipped.stale, 1);
    assert.equal(state.get('a')?.forecast?.message.model.version, 2);
  });

  it('a new forecast republishes for a SKU with stock; stock without forecast and forecast without stock publish nothing', () => {
    const { state, uc } = setup();
    state.applyStock(heldStock(stockMessage('a', 40, '2026-12-01T11:00:00Z')));
    const r1 = uc.handle(
      batch(TOPICS.demandForecasts, [
        forecastMessage('a', '2026-12-01', 3, '2026-12-01T11:00:00Z'),
        forecastMessage('lonely-forecast', '2026-12-01', 3, '2026-12-01T11:00:00Z'),
      ]),
    );
    assert.deepEqual(
      outputs(r1.records).map((r) => r.sku),
      ['a'],
    );
    assert.equal(r1.summary.skipped.no_stock, 1);
    const r2 = uc.handle(
      batch(TOPICS.inventory, [stockMessage('lonely-stock', 4, '2026-12-01T11:00:00Z')]),
    );
    assert.equal(r2.records.length, 0);
    assert.equal(r2.summary.skipped.no_forecast, 1);
  });

  it('invalid JSON and schema violations go to the DLQ with the original bytes and a precise reason; valid neighbours still publish', () => {
    const { state, uc } = setup();
    state.applyForecast(
      heldForecast(forecastMessage('a', '2026-12-01', 10, '2026-12-01T11:00:00Z')),
    );
    const bad = { ...stockMessage('a', 10, '2026-12-01T11:00:00Z'), on_order: -3 };
    const b = batch(TOPICS.inventory, [
      'not json {',
      bad,
      stockMessage('a', 10, '2026-12-01T11:00:00Z'),
    ]);
    const { records, summary } = uc.handle(b);
    const dlq = records.filter((r) => r.topic === TOPICS.storefrontDlq);
    assert.equal(dlq.length, 2);
    assert.equal(summary.deadLetters, 2);
    assert.deepEqual(dlq[0].value, b.messages[0].value);
    assert.match(dlq[0].headers?.[DLQ_HEADERS.reason] ?? '', /^\$: invalid JSON/);
    assert.deepEqual(dlq[1].value, b.messages[1].value);
    assert.equal(dlq[1].headers?.[DLQ_HEADERS.reason], 'on_order: must be >= 0');
    assert.equal(dlq[1].headers?.[DLQ_HEADERS.fields], '["on_order"]');
    assert.equal(dlq[1].headers?.[DLQ_HEADERS.sourceOffset], '11');
    assert.equal(dlq[1].headers?.[DLQ_HEADERS.consumerGroup], 'g-replen');
    assert.equal(dlq[1].headers?.trace, 't-1');
    assert.deepEqual(
      outputs(records).map((r) => r.stock.on_hand),
      [10],
    );
    const badForecast = forecastMessage('a', '2026-12-01', 10, '2026-12-01T12:00:00Z');
    badForecast.horizon[3] = { ...badForecast.horizon[3], p10: 50 };
    const fr = uc.handle(batch(TOPICS.demandForecasts, [badForecast]));
    assert.equal(fr.records.length, 1);
    assert.equal(
      fr.records[0].headers?.[DLQ_HEADERS.reason],
      'horizon.3: quantiles must not cross (p10 <= p50 <= p90)',
    );
  });

  it('day 0 is the stock position day: past forecast days are dropped; a forecast that ended before it is skipped', () => {
    const { state, uc } = setup();
    const f = forecastMessage('a', '2026-11-28', 10, '2026-11-28T01:00:00Z');
    state.applyForecast(heldForecast(f));
    const { records } = uc.handle(
      batch(TOPICS.inventory, [stockMessage('a', 60, '2026-12-01T09:00:00Z')]),
    );
    const [rec] = outputs(records);
    const expected = replenish(
      f.horizon.slice(3),
      { onHand: 60, onOrder: 0, leadTimeDays: 5 },
      POLICY,
    );
    assert.equal(f.horizon[3].date, '2026-12-01');
    assert.equal(rec.projected_stockout_date, expected.projectedStockoutDate);
    // 60 units at 10/day from Dec 1 (day 0) last through the end of Dec 6; below 0 on Dec 7. From
    // the forecast's origin (Nov 28) it would have been Dec 4.
    assert.equal(rec.projected_stockout_date, '2026-12-07');
    const late = uc.handle(
      batch(TOPICS.inventory, [stockMessage('a', 60, '2026-12-27T09:00:00Z')]),
    );
    assert.equal(late.records.length, 0);
    assert.equal(late.summary.skipped.forecast_expired, 1);
  });
});
