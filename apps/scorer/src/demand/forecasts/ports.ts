// The ports of the forecast publisher: where forecasts go (one Kafka transaction per run), the read
// model (demand_forecasts), and the champion it forecasts with. Adapters: kafka-forecast-sink.ts,
// clickhouse-forecast-store.ts, demand-champion.ts; Nest tokens for the trainer's parts: tokens.ts.
import type { DemandForecastMessage } from '@storepulse/contracts';
import type { DemandForecaster } from '@storepulse/ml';

/** Publishes a run's messages atomically: all of them are committed, or none. */
export interface ForecastSink {
  /** Sends every message (keyed by sku) in ONE transaction and commits it; throws on failure (aborted). */
  publish(messages: readonly DemandForecastMessage[]): Promise<{ bytes: number; sends: number }>;
  close(): Promise<void>;
}

export interface ForecastListQuery {
  category?: string;
  limit: number;
}

/** The demand_forecasts read model. */
export interface ForecastStore {
  /** Idempotent for the same messages (ReplacingMergeTree + insert dedup tokens). */
  insert(messages: readonly DemandForecastMessage[], token: string): Promise<number>;
  /** The latest forecast of one SKU; null when none was ever stored. */
  latest(sku: string): Promise<DemandForecastMessage | null>;
  /** The latest forecast per SKU, ordered by sku. */
  list(q: ForecastListQuery): Promise<DemandForecastMessage[]>;
}

/** The demand champion in memory (registry poll + hot swap). */
export interface ChampionSource {
  /** Re-reads the registry's champion (loading a new version) and returns it; null: no champion. */
  refresh(): Promise<DemandForecaster | null>;
}
