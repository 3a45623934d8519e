// The reads behind the dashboard's Demand page: the port (DemandReads) and its ClickHouse adapter
// over demand_forecasts, replenishment_recommendations (migration 0009), the order rollup
// fr_sku_order_1h (0006), the model registry (0008) and the simulator's inventory KPI snapshots
// simulator_inventory_kpis (0010). ClickHouse errors propagate.
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
import {
  loopBucketMs,
  type LoopFillPoint,
  type LoopKpiRow,
  type LoopRunRead,
} from './dashboard/loop-comparison';

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
  /**
   * The simulator's latest run (newest run_started_at) in simulator_inventory_kpis: the last
   * snapshot per policy and the cumulative fill rate per policy at the end of each time bucket;
   * null when no snapshot is stored.
   */
  loopRun(): Promise<LoopRunRead | null>;
}

interface LoopKpiSqlRow {
  policy: LoopKpiRow['policy'];
  source: LoopKpiRow['source'];
  ts_ms: number;
  follows_recommendations: boolean;
  skus: number;
  skus_on_fixed_policy: number;
  simulated_days: number;
  units_demanded: number;
  units_sold: number;
  units_lost: number;
  fill_rate: number | null;
  stockout_sku_days: number;
  mean_on_hand_units: number;
  purchase_orders_placed: number;
  units_ordered: number;
  units_received: number;
  open_purchase_orders: number;
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

  async loopRun(): Promise<LoopRunRead | null> {
    const [run] = await queryRows<{ run_ms: number; first_ms: number; last_ms: number }>(
      this.client,
      `SELECT toFloat64(toUnixTimestamp64Milli(run_started_at)) AS run_ms,
              toFloat64(toUnixTimestamp64Milli(min(ts))) AS first_ms,
              toFloat64(toUnixTimestamp64Milli(max(ts))) AS last_ms
       FROM simulator_inventory_kpis GROUP BY run_started_at ORDER BY run_started_at DESC LIMIT 1`,
    );
    if (!run) return null;
    const bucketMs = loopBucketMs(run.last_ms - run.run_ms);
    const where = 'run_started_at = fromUnixTimestamp64Milli(toInt64({run:Float64}))';
    // Int64/UInt64 come back quoted in JSON: cast what is read as numbers.
    const [latest, series] = await Promise.all([
      queryRows<LoopKpiSqlRow>(
        this.client,
        `SELECT policy, source, toFloat64(toUnixTimestamp64Milli(ts)) AS ts_ms,
                follows_recommendations, skus, skus_on_fixed_policy, simulated_days,
                units_demanded, units_sold, units_lost, fill_rate, stockout_sku_days,
                mean_on_hand_units, toFloat64(purchase_orders_placed) AS purchase_orders_placed,
                units_ordered, units_received, toFloat64(open_purchase_orders) AS open_purchase_orders
         FROM simulator_inventory_kpis WHERE ${where}
         ORDER BY ts DESC LIMIT 1 BY policy`,
        { run: run.run_ms },
      ),
      queryRows<{ policy: LoopFillPoint['policy']; bucket_ms: number; fill: number }>(
        this.client,
        `SELECT policy,
                toFloat64(intDiv(toUnixTimestamp64Milli(ts), {bucket:UInt64}) * {bucket:UInt64}) AS bucket_ms,
                argMax(assumeNotNull(fill_rate), ts) AS fill
         FROM simulator_inventory_kpis WHERE ${where} AND isNotNull(fill_rate)
         GROUP BY policy, bucket_ms ORDER BY bucket_ms, policy`,
        { run: run.run_ms, bucket: bucketMs },
      ),
    ]);
    return {
      runStartedAt: new Date(run.run_ms).toISOString(),
      bucketMs,
      latest: latest.map((r) => ({
        policy: r.policy,
        source: r.source,
        ts: new Date(r.ts_ms).toISOString(),
        followsRecommendations: r.follows_recommendations,
        skus: r.skus,
        skusOnFixedPolicy: r.skus_on_fixed_policy,
        simulatedDays: r.simulated_days,
        unitsDemanded: r.units_demanded,
        unitsSold: r.units_sold,
        unitsLost: r.units_lost,
        fillRate: r.fill_rate,
        stockoutSkuDays: r.stockout_sku_days,
        meanOnHandUnits: r.mean_on_hand_units,
        purchaseOrdersPlaced: r.purchase_orders_placed,
        unitsOrdered: r.units_ordered,
        unitsReceived: r.units_received,
        openPurchaseOrders: r.open_purchase_orders,
      })),
      series: series.map((p) => ({
        policy: p.policy,
        bucketMs: p.bucket_ms,
        fillRate: p.fill,
      })),
    };
  }
}
