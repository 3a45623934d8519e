// Rolling-origin backtest for global models: at every origin the model is fitted ONCE on all
// series truncated at that origin (covariates kept up to origin + horizon, as they are known in
// advance), then every series is forecast and scored with the shared metric sums of metrics.ts.
import { performance } from 'node:perf_hooks';
import type { BacktestForecast, BacktestOptions, BacktestResult, OriginResult } from '../backtest';
import { addSums, emptySums, metricsFromSums, seriesSums } from '../metrics';
import { ForecastInputError } from '../types';
import type { DemandSeries } from './features';
import type { GlobalForecaster } from './model';

/** Fits a global model on the training series of one origin (1 = latest). */
export type MakeGlobal = (train: DemandSeries[], origin: number) => Promise<GlobalForecaster>;

export interface GlobalBacktestResult extends BacktestResult {
  /** Number of global fits (one per origin). `fits` counts the scored (series, origin) pairs. */
  globalFits: number;
}

/** Series s cut at `cutoff` days of history, covariates up to cutoff + horizon. */
export function truncateSeries(s: DemandSeries, cutoff: number, horizon: number): DemandSeries {
  const out: DemandSeries = {
    id: s.id,
    category: s.category,
    startDay: s.startDay,
    y: s.y.slice(0, cutoff),
  };
  if (s.price) out.price = s.price.slice(0, cutoff + horizon);
  if (s.promo) out.promo = s.promo.slice(0, cutoff + horizon);
  return out;
}

/**
 * Same origins, skipping rule and result shape as rollingOriginBacktest (the options' level must be
 * 80, the p10/p90 of the global model). Series too short at an origin are neither trained on nor
 * scored. fitMs is the time of makeGlobal; forecasters are disposed after scoring.
 */
export async function rollingOriginBacktestGlobal(
  series: DemandSeries[],
  makeGlobal: MakeGlobal,
  opts: BacktestOptions,
): Promise<GlobalBacktestResult> {
  const { origins, horizon } = opts;
  const step = opts.step ?? horizon;
  const m = opts.seasonLength ?? 7;
  const minTrain = opts.minTrain ?? 2 * m;
  const where = 'rollingOriginBacktestGlobal';
  if (!Number.isInteger(origins) || origins < 3)
    throw new ForecastInputError(`${where}: origins must be an integer ≥ 3, got ${origins}`);
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new ForecastInputError(`${where}: horizon must be a positive integer, got ${horizon}`);
  if (!Number.isInteger(step) || step < 1)
    throw new ForecastInputError(`${where}: step must be a positive integer, got ${step}`);
  if (!Number.isInteger(minTrain) || minTrain <= m)
    throw new ForecastInputError(
      `${where}: minTrain must be an integer > seasonLength (${m}) for MASE, got ${minTrain}`,
    );
  if ((opts.level ?? 80) !== 80)
    throw new ForecastInputError(`${where}: level must be 80 (p10/p90), got ${opts.level}`);
  const total = emptySums();
  const out: OriginResult[] = [];
  let name = '';
  let fits = 0;
  let fitMsAll = 0;
  let predictMsAll = 0;
  for (let k = 1; k <= origins; k++) {
    const skippedIds: string[] = [];
    const kept: { s: DemandSeries; cutoff: number }[] = [];
    for (const s of series) {
      const cutoff = s.y.length - horizon - (k - 1) * step;
      if (cutoff < minTrain) skippedIds.push(s.id);
      else kept.push({ s, cutoff });
    }
    const sums = emptySums();
    const forecasts: BacktestForecast[] = [];
    let fitMs = 0;
    let predictMs = 0;
    if (kept.length > 0) {
      const train = kept.map(({ s, cutoff }) => truncateSeries(s, cutoff, horizon));
      const t0 = performance.now();
      const model = await makeGlobal(train, k);
      const t1 = performance.now();
      fitMs = t1 - t0;
      name = model.name;
      try {
        const fcs = model.forecast(train, horizon);
        predictMs = performance.now() - t1;
        if (fcs.length !== train.length)
          throw new ForecastInputError(
            `${where}: ${model.name} returned ${fcs.length} forecasts for ${train.length} series at origin ${k}`,
          );
        kept.forEach(({ s, cutoff }, i) => {
          const fc = fcs[i];
          addSums(
            sums,
            seriesSums(s.y.subarray(cutoff, cutoff + horizon), fc, train[i].y, m, s.id),
          );
          if (opts.keepForecasts) forecasts.push({ id: s.id, cutoff, forecast: fc });
        });
      } finally {
        model.dispose?.();
      }
    }
    addSums(total, sums);
    fits += kept.length;
    fitMsAll += fitMs;
    predictMsAll += predictMs;
    out.push({
      origin: k,
      metrics: metricsFromSums(sums),
      series: kept.length,
      skipped: skippedIds.length,
      skippedIds,
      fitMs,
      fitMsPerSeries: kept.length > 0 ? fitMs / kept.length : 0,
      predictMs,
      ...(opts.keepForecasts ? { forecasts } : {}),
    });
  }
  return {
    model: name,
    origins: out,
    total: metricsFromSums(total),
    fits,
    globalFits: out.filter((o) => o.series > 0).length,
    skipped: out.reduce((a, o) => a + o.skipped, 0),
    fitMs: fitMsAll,
    fitMsPerSeries: fits > 0 ? fitMsAll / fits : 0,
    predictMs: predictMsAll,
  };
}
