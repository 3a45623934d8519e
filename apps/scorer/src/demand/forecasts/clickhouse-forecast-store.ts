// The demand_forecasts read model (migration 0009) on ClickHouse: rows are inserted after the Kafka
// transaction of their run committed, in chunks with deterministic dedup tokens; reads use FINAL
// and take the latest generated_at per SKU.
import { insertIdempotent, queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import type { DemandForecastMessage } from '@storepulse/contracts';
import { messageToRow, rowToMessage, type DemandForecastRow } from './forecast-messages';
import type { ForecastListQuery, ForecastStore } from './ports';

const TABLE = 'demand_forecasts';
const COLUMNS =
  'toString(forecast_id) AS forecast_id, sku, category, toString(origin) AS origin, ' +
  'toString(generated_at) AS generated_at, model_name, model_version, method, ' +
  'cold_start, time_zone, arrayMap(d -> toString(d), dates) AS dates, p10, p50, p90';

/** 1,000 rows (28 days each ≈ 2 KB) or 8 MiB per insert. */
const LIMITS = { maxRows: 1_000, maxBytes: 8 * 1024 * 1024 };

export class ClickHouseForecastStore implements ForecastStore {
  constructor(private readonly ch: ClickHouseHandle) {}

  insert(messages: readonly DemandForecastMessage[], token: string): Promise<number> {
    return insertIdempotent(
      this.ch.client,
      TABLE,
      messages.map(messageToRow),
      `demand_forecasts/${token}`,
      LIMITS,
      this.ch.insertJsonLines,
    );
  }

  async latest(sku: string): Promise<DemandForecastMessage | null> {
    const rows = await queryRows<DemandForecastRow>(
      this.ch.client,
      `SELECT ${COLUMNS} FROM ${TABLE} FINAL WHERE sku = {sku:String}
       ORDER BY generated_at DESC, model_version DESC LIMIT 1`,
      { sku },
    );
    return rows.length > 0 ? rowToMessage(rows[0]) : null;
  }

  async list(q: ForecastListQuery): Promise<DemandForecastMessage[]> {
    const where = q.category !== undefined ? 'WHERE category = {category:String}' : '';
    const rows = await queryRows<DemandForecastRow>(
      this.ch.client,
      `SELECT ${COLUMNS} FROM ${TABLE} FINAL ${where}
       ORDER BY sku, generated_at DESC, model_version DESC LIMIT 1 BY sku LIMIT {limit:UInt32}`,
      { limit: q.limit, ...(q.category !== undefined ? { category: q.category } : {}) },
    );
    return rows.map(rowToMessage);
  }
}
