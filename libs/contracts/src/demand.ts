// Wire formats of the demand topics StorePulse publishes: forecasts.demand.v1 (daily P10/P50/P90
// per SKU) and inventory.replenishment.v1 (what to order). Both are keyed by `sku` and compacted,
// so a new subscriber reads the latest message per SKU. See docs/models.md "Demand".
import { z } from 'zod';
import { deterministicUuid } from './predictions';

const isoTs = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp with a zone' });
const isoDate = z.iso.date({ error: 'must be a date YYYY-MM-DD' });
const nonNeg = z.number().finite().min(0);
const modelRef = z.object({ name: z.string().min(1), version: z.number().int().positive() });

export const DEMAND_UNIT = 'units/day' as const;

export const demandForecastDaySchema = z
  .object({ date: isoDate, p10: nonNeg, p50: nonNeg, p90: nonNeg })
  .refine((d) => d.p10 <= d.p50 && d.p50 <= d.p90, {
    message: 'quantiles must not cross (p10 <= p50 <= p90)',
  });

export const demandForecastSchema = z.object({
  forecast_id: z
    .uuid({ error: 'must be a UUID' })
    .describe('Deterministic from (sku, origin, generated hour, model name, model version)'),
  sku: z.string().min(1),
  category: z.string(),
  origin: isoDate.describe(
    'The first forecast day (today in the shop time zone); actuals up to the hour before generated_at are used',
  ),
  generated_at: isoTs,
  model: modelRef.extend({
    method: z
      .string()
      .min(1)
      .describe('The method that produced this SKU: the champion, or global for a cold start'),
  }),
  cold_start: z
    .boolean()
    .describe('true: the SKU had too little history; the global model forecast it'),
  unit: z.literal(DEMAND_UNIT),
  time_zone: z.string().min(1).describe('The shop time zone that defines the day boundary'),
  horizon: z
    .array(demandForecastDaySchema)
    .min(1)
    .describe('Consecutive days from origin (28 by default)'),
});
export type DemandForecastMessage = z.infer<typeof demandForecastSchema>;

export const REPLENISHMENT_ACTIONS = ['reorder', 'ok', 'overstock'] as const;
export type ReplenishmentAction = (typeof REPLENISHMENT_ACTIONS)[number];

export const replenishmentSchema = z.object({
  recommendation_id: z
    .uuid({ error: 'must be a UUID' })
    .describe('Deterministic from (sku, forecast_id, stock ts, on_hand, on_order)'),
  sku: z.string().min(1),
  category: z.string(),
  generated_at: isoTs,
  action: z.enum(REPLENISHMENT_ACTIONS),
  recommended_order_qty: z.number().int().min(0).describe('Units; place it when action = reorder'),
  reorder_point: nonNeg.describe('q_service(lead-time demand)'),
  safety_stock: z.number().finite().describe('q_service(LTD) - mean(LTD)'),
  order_up_to_level: nonNeg.describe('q_service(demand over lead time + review period)'),
  lead_time_demand: z.object({ mean: nonNeg, p50: nonNeg, p_service: nonNeg, std: nonNeg }),
  projected_stockout_date: isoDate
    .nullable()
    .describe('First day on which on_hand is expected (P50) to run out; null beyond the horizon'),
  service_level: z.number().gt(0).lt(1),
  review_period_days: z.number().min(0),
  stock: z.object({
    on_hand: z.number().int(),
    on_order: z.number().int().min(0),
    lead_time_days: z.number().min(0),
    ts: isoTs,
  }),
  forecast: z.object({ forecast_id: z.uuid(), origin: isoDate, generated_at: isoTs }),
  model: modelRef,
});
export type ReplenishmentMessage = z.infer<typeof replenishmentSchema>;

export function forecastId(
  sku: string,
  origin: string,
  generatedHourIso: string,
  model: { name: string; version: number },
): string {
  return deterministicUuid('demand', sku, origin, generatedHourIso, model.name, model.version);
}

export function recommendationId(
  sku: string,
  forecastIdValue: string,
  stock: { ts: string; on_hand: number; on_order: number },
): string {
  return deterministicUuid(
    'replenishment',
    sku,
    forecastIdValue,
    stock.ts,
    stock.on_hand,
    stock.on_order,
  );
}
