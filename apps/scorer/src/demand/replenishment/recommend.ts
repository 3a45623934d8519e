// One SKU's recommendation: replenish() of libs/ml on the held forecast and stock position, shaped
// and validated as an inventory.replenishment.v1 message.
import {
  recommendationId,
  replenishmentSchema,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { replenish, type DailyQuantiles, type ReplenishmentPolicy } from '@storepulse/ml';
import type { HeldForecast, HeldStock } from './state';

export interface RecommendPolicy {
  serviceLevel: number;
  reviewPeriodDays: number;
  /** AR(1) correlation of consecutive days' demand errors in the lead-time Monte Carlo (default 0). */
  dayCorrelation?: number;
}

/** The recommendation could not be built from these inputs (a permanent failure of the inputs). */
export class RecommendationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RecommendationError';
  }
}

/** The forecast ends before the stock position's day: nothing to recommend until a newer forecast. */
export class ForecastExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForecastExpiredError';
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of an instant in an IANA time zone. */
export function dayIn(ms: number, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
    } catch {
      throw new RecommendationError('time_zone', `time_zone: unknown IANA time zone '${timeZone}'`);
    }
    dayFormats.set(timeZone, f);
  }
  return f.format(new Date(ms));
}

/**
 * The forecast days replenish() reads: from the stock position's day (in the forecast's time zone) to
 * the end of the horizon, so that day 0 is the day the position was taken. A stock position before
 * the origin uses the whole horizon. Throws when the position is after the horizon's last day.
 */
export function forecastFrom(f: HeldForecast, stock: HeldStock): DailyQuantiles[] {
  const day = dayIn(stock.tsMs, f.message.time_zone);
  const h = f.message.horizon;
  const i = h.findIndex((d) => d.date >= day);
  if (i < 0)
    throw new ForecastExpiredError(
      `forecast ${f.message.forecast_id} ends on ${h[h.length - 1].date}, before the stock position's day ${day} (${f.message.time_zone})`,
    );
  return h.slice(i).map((d) => ({ date: d.date, p10: d.p10, p50: d.p50, p90: d.p90 }));
}

export function recommend(
  f: HeldForecast,
  stock: HeldStock,
  policy: RecommendPolicy,
  generatedAt: Date,
): ReplenishmentMessage {
  const p: Partial<ReplenishmentPolicy> = {
    serviceLevel: policy.serviceLevel,
    reviewPeriodDays: policy.reviewPeriodDays,
    dayCorrelation: policy.dayCorrelation ?? 0,
  };
  const r = replenish(
    forecastFrom(f, stock),
    { onHand: stock.onHand, onOrder: stock.onOrder, leadTimeDays: stock.leadTimeDays },
    p,
  );
  const m = f.message;
  const msg: ReplenishmentMessage = {
    recommendation_id: recommendationId(m.sku, m.forecast_id, {
      ts: stock.ts,
      on_hand: stock.onHand,
      on_order: stock.onOrder,
    }),
    sku: m.sku,
    category: m.category,
    generated_at: generatedAt.toISOString(),
    action: r.action,
    recommended_order_qty: r.recommendedOrderQty,
    reorder_point: r.reorderPoint,
    safety_stock: r.safetyStock,
    order_up_to_level: r.orderUpToLevel,
    lead_time_demand: {
      mean: r.leadTimeDemand.mean,
      p50: r.leadTimeDemand.p50,
      p_service: r.leadTimeDemand.pService,
      std: r.leadTimeDemand.std,
    },
    projected_stockout_date: r.projectedStockoutDate,
    service_level: r.serviceLevel,
    review_period_days: policy.reviewPeriodDays,
    stock: {
      on_hand: stock.onHand,
      on_order: stock.onOrder,
      lead_time_days: stock.leadTimeDays,
      ts: stock.ts,
    },
    forecast: { forecast_id: m.forecast_id, origin: m.origin, generated_at: m.generated_at },
    model: { name: m.model.name, version: m.model.version },
  };
  const checked = replenishmentSchema.safeParse(msg);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = issue.path.map(String).join('.') || '$';
    throw new RecommendationError(
      field,
      `the recommendation breaks the inventory.replenishment.v1 contract: ${checked.error.issues
        .map((i) => `${i.path.map(String).join('.') || '$'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return checked.data;
}
