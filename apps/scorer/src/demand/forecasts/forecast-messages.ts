// forecasts.demand.v1 messages from the champion's per-SKU forecasts, validated against the contract
// (libs/contracts/src/demand.ts), and their demand_forecasts rows (migration 0009) both ways.
import {
  DEMAND_UNIT,
  demandForecastSchema,
  forecastId,
  type DemandForecastMessage,
} from '@storepulse/contracts';
import type { SkuDemandForecast } from '@storepulse/ml';
import { dayToIso } from './zone-day';

export interface MessageContext {
  model: { name: string; version: number };
  /** First forecast day (days since epoch, shop zone). */
  originDay: number;
  horizon: number;
  /** ISO-8601 of the run. */
  generatedAt: string;
  /** ISO-8601 start of the UTC hour of the run (part of forecast_id). */
  generatedHour: string;
  timeZone: string;
}

/** A forecast the publisher refused: which SKU and why (field path and rule). */
export interface RejectedForecast {
  sku: string;
  reason: string;
}

/**
 * One validated message for a SKU forecast, or the precise reason it breaks the contract (a zod
 * issue with its path, a wrong number of days, or days that are not consecutive from the origin).
 */
export function buildForecastMessage(
  f: SkuDemandForecast,
  ctx: MessageContext,
): { ok: true; message: DemandForecastMessage } | { ok: false; rejected: RejectedForecast } {
  const origin = dayToIso(ctx.originDay);
  const reject = (reason: string) => ({ ok: false as const, rejected: { sku: f.sku, reason } });
  if (f.days.length !== ctx.horizon)
    return reject(`horizon: has ${f.days.length} days, expected ${ctx.horizon}`);
  for (let i = 0; i < f.days.length; i++) {
    const want = dayToIso(ctx.originDay + i);
    if (f.days[i].date !== want)
      return reject(`horizon.${i}.date: is ${f.days[i].date}, expected ${want} (origin + ${i})`);
  }
  const candidate = {
    forecast_id: forecastId(f.sku, origin, ctx.generatedHour, ctx.model),
    sku: f.sku,
    category: f.category,
    origin,
    generated_at: ctx.generatedAt,
    model: { name: ctx.model.name, version: ctx.model.version, method: f.method },
    cold_start: f.coldStart,
    unit: DEMAND_UNIT,
    time_zone: ctx.timeZone,
    horizon: f.days.map((d) => ({ date: d.date, p10: d.p10, p50: d.p50, p90: d.p90 })),
  };
  const parsed = demandForecastSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.') || '(message)';
    return reject(`${path}: ${issue.message}`);
  }
  return { ok: true, message: parsed.data };
}

/** A demand_forecasts row (JSONEachRow). */
export interface DemandForecastRow {
  forecast_id: string;
  sku: string;
  category: string;
  origin: string;
  /** 'YYYY-MM-DD hh:mm:ss.sss' (UTC) */
  generated_at: string;
  model_name: string;
  model_version: number;
  method: string;
  cold_start: boolean;
  time_zone: string;
  dates: string[];
  p10: number[];
  p50: number[];
  p90: number[];
}

const toChTs = (iso: string) => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

export function messageToRow(m: DemandForecastMessage): DemandForecastRow {
  return {
    forecast_id: m.forecast_id,
    sku: m.sku,
    category: m.category,
    origin: m.origin,
    generated_at: toChTs(m.generated_at),
    model_name: m.model.name,
    model_version: m.model.version,
    method: m.model.method,
    cold_start: m.cold_start,
    time_zone: m.time_zone,
    dates: m.horizon.map((d) => d.date),
    p10: m.horizon.map((d) => d.p10),
    p50: m.horizon.map((d) => d.p50),
    p90: m.horizon.map((d) => d.p90),
  };
}

/** The topic message a stored row was written from (the API answers in the topic's shape). */
export function rowToMessage(r: DemandForecastRow): DemandForecastMessage {
  return {
    forecast_id: r.forecast_id,
    sku: r.sku,
    category: r.category,
    origin: r.origin,
    generated_at: new Date(`${r.generated_at.replace(' ', 'T')}Z`).toISOString(),
    model: { name: r.model_name, version: Number(r.model_version), method: r.method },
    cold_start: r.cold_start,
    unit: DEMAND_UNIT,
    time_zone: r.time_zone,
    horizon: r.dates.map((date, i) => ({
      date,
      p10: r.p10[i],
      p50: r.p50[i],
      p90: r.p90[i],
    })),
  };
}
