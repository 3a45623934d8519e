// The reads behind the dashboard's Demand page: the port (DemandReads) and its ClickHouse adapter
// over demand_forecasts, replenishment_recommendations (migration 0009), the order rollup
// fr_sku_order_1h (0006) and the model registry (0008). ClickHouse errors propagate.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import {
  DEMAND_MODEL_NAME,
  ModelRegistry,
  type ModelEvent,
  type ModelVersion,
} from '@storepulse/ml';
import type {
  DailyUnits,
  DemandForecastRow,
  RecommendationRow,
  SkuVolume,
} from './dashboard/demand-page-model';

export interface DemandReads {
  /** The latest forecast (by generated_at) of a SKU, or null when it has none. */
  latestForecast(sku: string): Promise<DemandForecastRow | null>;
  /**
   * order_placed units per day of `timeZone` over [fromDate, toDate) (YYYY-MM-DD), from the hourly
   * rollup; days without sales are absent.
   */
  dailyUnits(
    sku: string,
    fromDate: string,
    toDate: string,
    timeZone: string,
  ): Promise<DailyUnits[]>;
  /** SKUs by the P50 volume of their latest forecast, largest first; `search` filters the id. */
  skuVolumes(opts: { search: string | null; limit: number }): Promise<SkuVolume[]>;
  /** The latest recommendation of every SKU with the given action. */
  recommendations(action: RecommendationRow['action'], limit: number): Promise<RecommendationRow[]>;
  /** The latest recommendation of one SKU, or null. */
  recommendation(sku: string): Promise<RecommendationRow | null>;
  /** Registry versions of the demand model (DEMAND_MODEL_NAME). */
  modelVersions(): Promise<ModelVersion[]>;
  /** Registry events of the demand model, newest first. */
  modelEvents(limit: number): Promise<ModelEvent[]>;
}

interface ForecastSqlRow {
  forecast_id: string;
  sku: string;
  category: string;
  origin: string;
  generated_at_ms: number;
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

interface RecommendationSqlRow {
  sku: string;
  category: string;
  generated_at_ms: number;
  action: RecommendationRow['action'];
  recommended_order_qty: number;
  on_hand: number;
  on_order: number;
  reorder_point: number;
  projected_stockout: string | null;
  model_version: number;
  safety_stock: number | null;
  lead_time_days: number | null;
}

// Int64/UInt64 come back quoted in JSON: cast what the page reads as numbers.
const RECOMMENDATION_SELECT = `sku, category, toFloat64(toUnixTimestamp64Milli(generated_at)) AS generated_at_ms,
  toString(action) AS action, recommended_order_qty, toFloat64(on_hand) AS on_hand,
  toFloat64(on_order) AS on_order, reorder_point, projected_stockout, model_version,
  if(JSONHas(message, 'safety_stock'), JSONExtractFloat(message, 'safety_stock'), NULL) AS safety_stock,
  if(JSONHas(message, 'stock', 'lead_time_days'), JSONExtractFloat(message, 'stock', 'lead_time_days'), NULL) AS lead_time_days`;

function toRecommendation(r: RecommendationSqlRow): RecommendationRow {
  return {
    sku: r.sku,
    category: r.category,
    generatedAt: new Date(r.generated_at_ms).toISOString(),
    action: r.action,
    recommendedOrderQty: r.recommended_order_qty,
    onHand: r.on_hand,
    onOrder: r.on_order,
    reorderPoint: r.reorder_point,
    projectedStockout: r.projected_stockout,
    modelVersion: r.model_version,
    safetyStock: r.safety_stock,
    leadTimeDays: r.lead_time_days,
  };
}

export class ClickHouseDemandReads implements DemandReads {
  private readonly registry: ModelRegistry;

  constructor(private readonly client: ClickHouseClient) {
    this.registry = new ModelRegistry(client);
  }

  async latestForecast(sku: string): Promise<DemandForecastRow | null> {
    const [r] = await queryRows<ForecastSqlRow>(
      this.client,
      `SELECT toString(forecast_id) AS forecast_id, sku, category, toString(origin) AS origin,
              toFloat64(toUnixTimestamp64Milli(generated_at)) AS generated_at_ms, model_name,
              model_version, method, cold_start, time_zone, arrayMap(d -> toString(d), dates) AS dates,
              p10, p50, p90
       FROM demand_forecasts FINAL WHERE sku = {sku:String}
       ORDER BY generated_at DESC, origin DESC, model_version DESC LIMIT 1`,
      { sku },
    );
    if (!r) return null;
    return {
      forecastId: r.forecast_id,
      sku: r.sku,
      category: r.category,
      origin: r.origin,
      generatedAt: new Date(r.generated_at_ms).toISOString(),
      modelName: r.model_name,
      modelVersion: r.model_version,
      method: r.method,
      coldStart: r.cold_start,
      timeZone: r.time_zone,
      dates: r.dates,
      p10: r.p10,
      p50: r.p50,
      p90: r.p90,
    };
  }

  async dailyUnits(
    sku: string,
    fromDate: string,
    toDate: string,
    timeZone: string,
  ): Promise<DailyUnits[]> {
    // The bucket bounds (a day wider than the range on each side) let the primary key prune; the
    // day of an hourly bucket in the shop zone decides.
    return queryRows<DailyUnits>(
      this.client,
      `SELECT toString(toDate(bucket, {tz:String})) AS date, toFloat64(sum(units)) AS units
       FROM fr_sku_order_1h
       WHERE sku = {sku:String}
         AND bucket >= toDateTime(toDate({from:String}) - 1, 'UTC')
         AND bucket < toDateTime(toDate({to:String}) + 1, 'UTC')
         AND toDate(bucket, {tz:String}) >= toDate({from:String})
         AND toDate(bucket, {tz:String}) < toDate({to:String})
       GROUP BY date ORDER BY date`,
      { sku, from: fromDate, to: toDate, tz: timeZone },
    );
  }

  async skuVolumes(opts: { search: string | null; limit: number }): Promise<SkuVolume[]> {
    return queryRows<SkuVolume>(
      this.client,
      `SELECT sku, argMax(category, generated_at) AS category,
              toString(argMax(origin, generated_at)) AS origin,
              argMax(arraySum(p50), generated_at) AS volume,
              toUInt32(argMax(length(dates), generated_at)) AS horizonDays
       FROM demand_forecasts FINAL
       ${opts.search !== null ? 'WHERE positionCaseInsensitiveUTF8(sku, {q:String}) > 0' : ''}
       GROUP BY sku ORDER BY volume DESC, sku ASC LIMIT {limit:UInt32}`,
      { limit: opts.limit, ...(opts.search !== null ? { q: opts.search } : {}) },
    );
  }

  async recommendations(
    action: RecommendationRow['action'],
    limit: number,
  ): Promise<RecommendationRow[]> {
    const rows = await queryRows<RecommendationSqlRow>(
      this.client,
      `SELECT ${RECOMMENDATION_SELECT} FROM replenishment_recommendations FINAL
       WHERE action = {action:String}
       ORDER BY projected_stockout ASC NULLS LAST, sku ASC LIMIT {limit:UInt32}`,
      { action, limit },
    );
    return rows.map(toRecommendation);
  }

  async recommendation(sku: string): Promise<RecommendationRow | null> {
    const [r] = await queryRows<RecommendationSqlRow>(
      this.client,
      `SELECT ${RECOMMENDATION_SELECT} FROM replenishment_recommendations FINAL
       WHERE sku = {sku:String} ORDER BY generated_at DESC LIMIT 1`,
      { sku },
    );
    return r ? toRecommendation(r) : null;
  }

  modelVersions(): Promise<ModelVersion[]> {
    return this.registry.list({ name: DEMAND_MODEL_NAME });
  }

  modelEvents(limit: number): Promise<ModelEvent[]> {
    return this.registry.events({ name: DEMAND_MODEL_NAME, limit });
  }
}
