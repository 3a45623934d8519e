// The seam between the demand trainer (which registers a champion) and the forecast publisher
// (which loads it and forecasts every SKU hourly). The trainer writes the artifact; the publisher
// only needs this interface, so it can be tested with a fake.
import type { ModelVersion } from '../registry/registry';
import type { DemandSeries } from './global/features';
import type { PerSkuFitProgress, PerSkuFitter } from './per-sku-fit';

/** Registry name of the demand model (one name; its versions carry the champion method). */
export const DEMAND_MODEL_NAME = 'demand';

/** The methods a demand model version can forecast with (backtest names in metrics.backtest). */
export const DEMAND_METHODS = [
  'seasonal_naive',
  'auto_ets',
  'croston',
  'tsb',
  'global',
  'ensemble',
] as const;
export type DemandMethod = (typeof DEMAND_METHODS)[number];

/** One backtest row of a model, as stored in the registry's metrics (metrics.backtest[method]). */
export interface DemandBacktestRow {
  wape: number;
  mase: number;
  wql10: number;
  wql50: number;
  wql90: number;
  meanWql: number;
  /** Share of actuals in [p10, p90]. */
  coverage80: number;
  /** Σ(p50 − y) / Σy. */
  bias: number;
  /** Fitted (series, origin) pairs, and the fit time per pair. */
  fits: number;
  fitMsPerSeries: number;
}

/**
 * The registry metrics of a demand model version (ModelVersion.metrics for kind 'demand').
 * `backtest` has one row per evaluated method, `champion` names the method with the best mean wQL,
 * which is what the version forecasts with (the global model is always trained too: cold starts).
 */
export interface DemandModelMetrics {
  champion: DemandMethod;
  backtest: Partial<Record<DemandMethod, DemandBacktestRow>>;
  origins: number;
  horizonDays: number;
  skus: number;
  /** Per-origin rows: origins[k][method] (k = 0 latest). */
  perOrigin: Partial<Record<DemandMethod, DemandBacktestRow>>[];
  timeZone: string;
}

/** A forecast of one SKU: consecutive daily quantiles from the origin day. */
export interface SkuDemandForecast {
  sku: string;
  category: string;
  /** The method that produced it (the champion's, or 'global' for a cold start). */
  method: DemandMethod;
  coldStart: boolean;
  /** date = YYYY-MM-DD in the shop time zone; p10 ≤ p50 ≤ p90, all ≥ 0. */
  days: { date: string; p10: number; p50: number; p90: number }[];
}

export interface DemandForecastOptions {
  /** Day (days since epoch in the shop zone) of the first forecast day. */
  originDay: number;
  horizon: number;
  /** Series with fewer days since their first sale are cold starts (global model). */
  minHistoryDays: number;
  /**
   * Where the per-SKU statistical models are fitted (a PerSkuWorkerPool, or in this thread when
   * absent). The results are the same either way.
   */
  fitter?: PerSkuFitter;
  /** Per-SKU fits done / to do in this call (long AutoETS fits). */
  onProgress?: PerSkuFitProgress;
}

/** A loaded champion: forecasts `horizon` days from the day after each series' last value. */
export interface DemandForecaster {
  readonly name: string;
  readonly version: number;
  readonly method: DemandMethod;
  /**
   * @param series zero-filled daily histories ending the day before `originDay` (days since epoch
   *   in the shop zone); price/promo, when given, must also cover the horizon
   * Rejects with PerSkuFitError (the SKU named) when a per-SKU model fails.
   */
  forecast(series: DemandSeries[], opts: DemandForecastOptions): Promise<SkuDemandForecast[]>;
}

export type LoadDemandForecaster = (
  version: ModelVersion,
  artifact: Buffer,
) => Promise<DemandForecaster>;
