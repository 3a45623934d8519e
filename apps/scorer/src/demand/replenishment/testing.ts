// Test fixtures shared by the replenishment unit and integration tests (not used by the app).
import { forecastId, type DemandForecastMessage, type InventoryEvent } from '@storepulse/contracts';

const DAY_MS = 86_400_000;

/** A 28-day forecast from `origin` (YYYY-MM-DD) with a constant daily median `p50` (±40 %). */
export function forecastMessage(
  sku: string,
  origin: string,
  p50: number,
  generatedAt: string,
  opts: { category?: string; version?: number; days?: number } = {},
): DemandForecastMessage {
  const model = { name: 'demand', version: opts.version ?? 1 };
  const start = Date.parse(`${origin}T00:00:00Z`);
  return {
    forecast_id: forecastId(sku, origin, generatedAt.slice(0, 13), model),
    sku,
    category: opts.category ?? 'toys',
    origin,
    generated_at: generatedAt,
    model: { ...model, method: 'ets' },
    cold_start: false,
    unit: 'units/day',
    time_zone: 'UTC',
    horizon: Array.from({ length: opts.days ?? 28 }, (_, i) => ({
      date: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
      p10: p50 * 0.6,
      p50,
      p90: p50 * 1.4,
    })),
  };
}

export function stockMessage(
  sku: string,
  onHand: number,
  ts: string,
  opts: { onOrder?: number; leadTimeDays?: number } = {},
): InventoryEvent {
  return {
    sku,
    on_hand: onHand,
    on_order: opts.onOrder ?? 0,
    lead_time_days: opts.leadTimeDays ?? 5,
    ts,
  };
}
