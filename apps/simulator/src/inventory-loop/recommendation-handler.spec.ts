import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { recommendationId, type ReplenishmentMessage } from '@storepulse/contracts';
import type { PartitionBatch } from '@storepulse/kafka';
import { createLogger } from '@storepulse/observability';
import type { RecommendationOutcome } from '../storefront';
import { parseRecommendation, RecommendationHandler } from './recommendation-handler';

const forecastId = '6f1c2a4e-8b7d-4c3e-9a1f-2b3c4d5e6f70';
function recommendation(sku: string, qty: number): ReplenishmentMessage {
  const stock = { on_hand: 3, on_order: 0, lead_time_days: 4, ts: '2026-12-01T10:00:00.000Z' };
  return {
    recommendation_id: recommendationId(sku, forecastId, stock),
    sku,
    category: 'books',
    generated_at: '2026-12-01T10:00:05.000Z',
    action: qty > 0 ? 'reorder' : 'ok',
    recommended_order_qty: qty,
    reorder_point: 8,
    safety_stock: 3,
    order_up_to_level: 12,
    lead_time_demand: { mean: 5, p50: 5, p_service: 8, std: 1.8 },
    projected_stockout_date: '2026-12-02',
    service_level: 0.95,
    review_period_days: 1,
    stock,
    forecast: {
      forecast_id: forecastId,
      origin: '2026-12-01',
      generated_at: '2026-12-01T10:00:00.000Z',
    },
    model: { name: 'demand', version: 3 },
  };
}

function batch(values: (Buffer | null)[]): PartitionBatch {
  const messages = values.map(
    (value, i) => ({ key: null, value, offset: String(10 + i) }) as unknown as KafkaMessage,
  );
  return {
    topic: 'inventory.replenishment.v1',
    partition: 0,
    messages,
    lastOffset: String(10 + values.length - 1),
    highWatermark: String(10 + values.length),
    heartbeat: () => Promise.resolve(),
  };
}

void describe('RecommendationHandler', () => {
  void it('applies valid recommendations in order, skips invalid ones and tombstones, commits last + 1', async () => {
    const applied: ReplenishmentMessage[] = [];
    const target = {
      applyRecommendation(rec: ReplenishmentMessage): RecommendationOutcome {
        applied.push(rec);
        return 'placed';
      },
    };
    const h = new RecommendationHandler(target, createLogger('silent'));
    const a = recommendation('SKU-1', 12);
    const b = recommendation('SKU-2', 0);
    const bad = { ...recommendation('SKU-3', 5), recommended_order_qty: -2 };
    const r = await h.handleBatch(
      batch([
        Buffer.from(JSON.stringify(a)),
        Buffer.from('{not json'),
        Buffer.from(JSON.stringify(bad)),
        null,
        Buffer.from(JSON.stringify(b)),
      ]),
    );
    assert.deepEqual(r, { commitOffset: '15' });
    assert.deepEqual(
      applied.map((x) => [x.sku, x.recommended_order_qty]),
      [
        ['SKU-1', 12],
        ['SKU-2', 0],
      ],
    );
    assert.deepEqual(h.counters, { received: 5, invalid: 2, tombstones: 1 });
  });

  void it('names the failing field and the reason', () => {
    const bad = { ...recommendation('SKU-3', 5), recommended_order_qty: -2 };
    const r = parseRecommendation(Buffer.from(JSON.stringify(bad)));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.field, 'recommended_order_qty');
      assert.match(r.error.reason, /0/);
    }
    const noTs = recommendation('SKU-4', 1) as unknown as { stock: Record<string, unknown> };
    delete noTs.stock['ts'];
    const r2 = parseRecommendation(Buffer.from(JSON.stringify(noTs)));
    assert.equal(r2.ok ? '' : r2.error.field, 'stock.ts');
    const r3 = parseRecommendation(Buffer.from('nope'));
    assert.equal(r3.ok ? '' : r3.error.field, '(value)');
  });
});
