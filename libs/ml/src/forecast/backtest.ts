// Rolling-origin backtest: refits a fresh model at several forecast origins counted back from the
// end of every series and scores the next `horizon` values with forecastMetrics, per origin and in total.
import { performance } from 'node:perf_hooks';
import { addSums, emptySums, metricsFromSums, seriesSums, type ForecastMetrics } from './metrics';
import { ForecastInputError, type Forecast, type ForecastModel } from './types';

export interface BacktestSeries {
  id: string;
  y: Float64Array;
}

export interface BacktestOptions {
  /** Number of origins, ≥ 3. Origin 1 is the latest: its test window ends with the series. */
  origins: number;
  /** Forecast horizon, e.g. 28. */
  horizon: number;
  /** Distance between consecutive origins; default = horizon (non-overlapping test windows). */
  step?: number;
  /** Season length passed to fit() and used as the MASE lag; default 7. */
  seasonLength?: number;
  /** Shortest training history scored; shorter ones are skipped and counted. Default 2·seasonLength. */
  minTrain?: number;
  /** Central interval level for predict(); default 80 (p10/p90). */
  level?: number;
  /** Keep every forecast in the result (memory: 4·horizon doubles per series and origin). Default false. */
  keepForecasts?: boolean;
}

export interface BacktestForecast {
  id: string;
  /** Training length: the model saw y[0 … cutoff − 1] and forecast y[cutoff … cutoff + horizon − 1]. */
  cutoff: number;
  forecast: Forecast;
}

export interface OriginResult {
  /** 1 = latest origin. */
  origin: number;
  metrics: ForecastMetrics;
  /** Series scored at this origin. */
  series: number;
  /** Series whose training history at this origin was shorter than minTrain. */
  skipped: number;
  skippedIds: string[];
  /** Wall time in fit() over this origin's series, and per series. */
  fitMs: number;
  fitMsPerSeries: number;
  predictMs: number;
  forecasts?: BacktestForecast[];
}

export interface BacktestResult {
  model: string;
  origins: OriginResult[];
  /** Metrics over every scored (series, origin) pair. */
  total: ForecastMetrics;
  fits: number;
  skipped: number;
  fitMs: number;
  /** Mean fit time per fitted (series, origin). */
  fitMsPerSeries: number;
  predictMs: number;
}

/**
 * For origin k (1-based) a series of length n is trained on its first n − horizon − (k − 1)·step
 * values and scored on the horizon values that follow. The model factory is called once per
 * (series, origin), so nothing fitted leaks between origins; the model only ever receives the
 * training prefix (a copy), never later values. Errors from fit/predict propagate.
 */
export function rollingOriginBacktest(
  series: BacktestSeries[],
  makeModel: () => ForecastModel,
  opts: BacktestOptions,
): BacktestResult {
  const { origins, horizon } = opts;
  const step = opts.step ?? horizon;
  const m = opts.seasonLength ?? 7;
  const minTrain = opts.minTrain ?? 2 * m;
  const level = opts.level ?? 80;
  if (!Number.isInteger(origins) || origins < 3) {
    throw new ForecastInputError(
      `rollingOriginBacktest: origins must be an integer ≥ 3, got ${origins}`,
    );
  }
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new ForecastInputError(
      `rollingOriginBacktest: horizon must be a positive integer, got ${horizon}`,
    );
  }
  if (!Number.isInteger(step) || step < 1) {
    throw new ForecastInputError(
      `rollingOriginBacktest: step must be a positive integer, got ${step}`,
    );
  }
  if (!Number.isInteger(minTrain) || minTrain <= m) {
    throw new ForecastInputError(
      `rollingOriginBacktest: minTrain must be an integer > seasonLength (${m}) for MASE, got ${minTrain}`,
    );
  }
  const total = emptySums();
  const out: OriginResult[] = [];
  let modelName = '';
  let fits = 0;
  let fitMsAll = 0;
  let predictMsAll = 0;
  for (let k = 1; k <= origins; k++) {
    const sums = emptySums();
    const skippedIds: string[] = [];
    const kept: BacktestForecast[] = [];
    let fitMs = 0;
    let predictMs = 0;
    let scored = 0;
    for (const s of series) {
      const cutoff = s.y.length - horizon - (k - 1) * step;
      if (cutoff < minTrain) {
        skippedIds.push(s.id);
        continue;
      }
      const train = s.y.slice(0, cutoff);
      const model = makeModel();
      modelName = model.name;
      const t0 = performance.now();
      model.fit(train, { seasonLength: m });
      const t1 = performance.now();
      const fc = model.predict(horizon, level);
      predictMs += performance.now() - t1;
      fitMs += t1 - t0;
      addSums(sums, seriesSums(s.y.subarray(cutoff, cutoff + horizon), fc, train, m, s.id));
      if (opts.keepForecasts) kept.push({ id: s.id, cutoff, forecast: fc });
      scored++;
    }
    addSums(total, sums);
    fits += scored;
    fitMsAll += fitMs;
    predictMsAll += predictMs;
    out.push({
      origin: k,
      metrics: metricsFromSums(sums),
      series: scored,
      skipped: skippedIds.length,
      skippedIds,
      fitMs,
      fitMsPerSeries: scored > 0 ? fitMs / scored : 0,
      predictMs,
      ...(opts.keepForecasts ? { forecasts: kept } : {}),
    });
  }
  return {
    model: modelName,
    origins: out,
    total: metricsFromSums(total),
    fits,
    skipped: out.reduce((a, o) => a + o.skipped, 0),
    fitMs: fitMsAll,
    fitMsPerSeries: fits > 0 ? fitMsAll / fits : 0,
    predictMs: predictMsAll,
  };
}
