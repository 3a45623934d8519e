// The replenishment consumer's ClickHouse port: the warm-up reads (latest forecast and stock position
// per SKU) and the read model behind the API (replenishment_recommendations, migration 0009).
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import {
  DEMAND_UNIT,
  demandForecastSchema,
  replenishmentSchema,
  type DemandForecastMessage,
  type ReplenishmentAction,
  type ReplenishmentMessage,
} from '@storepulse/contracts';

export interface StockRow {
  sku: string;
  on_hand: number;
  on_order: number;
  lead_time_days: number;
  ts: string;
}

export interface RecommendationQuery {
  action?: ReplenishmentAction;
  limit: number;
}

export interface ReplenishmentStore {
  /** The latest forecast per SKU (by generated_at). */
  latestForecasts(): Promise<DemandForecastMessage[]>;
  /** The latest stock position per SKU (by ts). */
  latestStock(): Promise<StockRow[]>;
  /** Idempotent: a replayed recommendation replaces the same row. */
  upsert(recs: readonly ReplenishmentMessage[]): Promise<void>;
  get(sku: string): Promise<ReplenishmentMessage | null>;
  /** Ordered by projected stock-out date (soonest first, none last), then SKU. */
  list(q: RecommendationQuery): Promise<ReplenishmentMessage[]>;
}

/** A stored row that does not read back as its contract: the table holds something it must not. */
export class StoredRowError extends Error {
  constructor(table: string, sku: string, detail: string) {
    super(`${table}: the row of SKU '${sku}' is invalid: ${detail}`);
    this.name = 'StoredRowError';
  }
}

interface ForecastRow {
  forecast_id: string;
  sku: string;
  category: string;
  origin: string;
  generated_at_ms: string | number;
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

interface RawStockRow {
  sku: string;
  on_hand: string | number;
  on_order: string | number;
  lead_time_days: number;
  ts_ms: string | number;
}

/** ISO-8601 → the DateTime64(3, 'UTC') text ClickHouse parses by default. */
const chDateTime = (iso: string) => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

function num(table: string, sku: string, field: string, v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new StoredRowError(table, sku, `${field} is not a number: ${v}`);
  return n;
}

export class ClickHouseReplenishmentStore implements ReplenishmentStore {
  constructor(private readonly client: ClickHouseClient) {}

  async latestForecasts(): Promise<DemandForecastMessage[]> {
    const rows = await queryRows<ForecastRow>(
      this.client,
      `SELECT toString(forecast_id) AS forecast_id, sku, category, toString(origin) AS origin,
              toUnixTimestamp64Milli(generated_at) AS generated_at_ms, model_name, model_version,
              method, cold_start, time_zone, arrayMap(d -> toString(d), dates) AS dates, p10, p50, p90
       FROM demand_forecasts FINAL
       ORDER BY sku, generated_at DESC, origin DESC
       LIMIT 1 BY sku`,
    );
    return rows.map((r) => {
      const ms = num('demand_forecasts', r.sku, 'generated_at', r.generated_at_ms);
      if (
        r.p10.length !== r.dates.length ||
        r.p50.length !== r.dates.length ||
        r.p90.length !== r.dates.length
      )
        throw new StoredRowError(
          'demand_forecasts',
          r.sku,
          `dates/p10/p50/p90 lengths differ (${r.dates.length}/${r.p10.length}/${r.p50.length}/${r.p90.length})`,
        );
      const candidate = {
        forecast_id: r.forecast_id,
        sku: r.sku,
        category: r.category,
        origin: r.origin,
        generated_at: new Date(ms).toISOString(),
        model: { name: r.model_name, version: Number(r.model_version), method: r.method },
        cold_start: Boolean(r.cold_start),
        unit: DEMAND_UNIT,
        time_zone: r.time_zone,
        horizon: r.dates.map((date, i) => ({ date, p10: r.p10[i], p50: r.p50[i], p90: r.p90[i] })),
      };
      const parsed = demandForecastSchema.safeParse(candidate);
      if (!parsed.success)
        throw new StoredRowError(
          'demand_forecasts',
          r.sku,
          parsed.error.issues
            .map((i) => `${i.path.map(String).join('.')}: ${i.message}`)
            .join('; '),
        );
      return parsed.data;
    });
  }

  async latestStock(): Promise<StockRow[]> {
    const rows = await queryRows<RawStockRow>(
      this.client,
      `SELECT sku, on_hand, on_order, lead_time_days, toUnixTimestamp64Milli(ts) AS ts_ms
       FROM inventory_snapshots
       ORDER BY sku, ts DESC, _partition DESC, _offset DESC
       LIMIT 1 BY sku`,
    );
    return rows.map((r) => ({
      sku: r.sku,
      on_hand: num('inventory_snapshots', r.sku, 'on_hand', r.on_hand),
      on_order: num('inventory_snapshots', r.sku, 'on_order', r.on_order),
      lead_time_days: num('inventory_snapshots', r.sku, 'lead_time_days', r.lead_time_days),
      ts: new Date(num('inventory_snapshots', r.sku, 'ts', r.ts_ms)).toISOString(),
    }));
  }

  async upsert(recs: readonly ReplenishmentMessage[]): Promise<void> {
    if (recs.length === 0) return;
    await this.client.insert({
      table: 'replenishment_recommendations',
      format: 'JSONEachRow',
      values: recs.map((r) => ({
        sku: r.sku,
        category: r.category,
        generated_at: chDateTime(r.generated_at),
        recommendation_id: r.recommendation_id,
        action: r.action,
        recommended_order_qty: r.recommended_order_qty,
        on_hand: r.stock.on_hand,
        on_order: r.stock.on_order,
        reorder_point: r.reorder_point,
        projected_stockout: r.projected_stockout_date,
        model_version: r.model.version,
        message: JSON.stringify(r),
      })),
    });
  }

  private parse(sku: string, message: string): ReplenishmentMessage {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch (e) {
      throw new StoredRowError(
        'replenishment_recommendations',
        sku,
        `message is not JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const r = replenishmentSchema.safeParse(json);
    if (!r.success)
      throw new StoredRowError(
        'replenishment_recommendations',
        sku,
        r.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; '),
      );
    return r.data;
  }

  async get(sku: string): Promise<ReplenishmentMessage | null> {
    const rows = await queryRows<{ sku: string; message: string }>(
      this.client,
      `SELECT sku, message FROM replenishment_recommendations FINAL WHERE sku = {sku:String} LIMIT 1`,
      { sku },
    );
    return rows.length === 0 ? null : this.parse(rows[0].sku, rows[0].message);
  }

  async list(q: RecommendationQuery): Promise<ReplenishmentMessage[]> {
    const rows = await queryRows<{ sku: string; message: string }>(
      this.client,
      `SELECT sku, message FROM replenishment_recommendations FINAL
       WHERE {action:String} = '' OR toString(action) = {action:String}
       ORDER BY projected_stockout ASC NULLS LAST, sku
       LIMIT {limit:UInt32}`,
      { action: q.action ?? '', limit: q.limit },
    );
    return rows.map((r) => this.parse(r.sku, r.message));
  }
}
