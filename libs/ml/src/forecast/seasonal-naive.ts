// Seasonal naive baseline: the forecast repeats the last observed season (statsforecast's
// SeasonalNaive); normal prediction intervals from the in-sample seasonal-naive residuals.
import {
  checkPredictArgs,
  checkSeasonLength,
  normalForecast,
  toSeries,
  type BaselineOptions,
  type FitOptions,
  type Forecast,
  type ForecastModel,
} from './types';

export interface SeasonalNaiveOptions extends BaselineOptions {
  /** Season length; default 7 (daily data, weekly season). */
  seasonLength?: number;
}

/**
 * ŷ[n+h] = y[n − m + ((h − 1) mod m)]. With fewer than m values, the whole history is repeated
 * cyclically from its start. Intervals: σ² = Σ r² / count over the in-sample residuals
 * r[t] = y[t] − y[t−m] (t ≥ m), and sd[h] = σ·√(⌊(h−1)/m⌋ + 1) — each full season ahead adds one
 * residual variance, as in statsforecast. Quantiles are mean ± z·sd; p50 = mean.
 */
export class SeasonalNaive implements ForecastModel {
  readonly name = 'SeasonalNaive';
  private m: number;
  private readonly nonNegative: boolean;
  private last: Float64Array | null = null;
  private sigma = 0;

  constructor(seasonLength: number | SeasonalNaiveOptions = 7) {
    const o = typeof seasonLength === 'number' ? { seasonLength } : seasonLength;
    this.m = checkSeasonLength(this.name, o.seasonLength ?? 7);
    this.nonNegative = o.nonNegative ?? true;
  }

  fit(y: ArrayLike<number>, opts?: FitOptions): this {
    if (opts?.seasonLength !== undefined) this.m = checkSeasonLength(this.name, opts.seasonLength);
    const x = toSeries(y, this.name, 1);
    const n = x.length;
    const m = this.m;
    this.last = n >= m ? x.slice(n - m) : x.slice();
    let ss = 0;
    let count = 0;
    for (let t = m; t < n; t++) {
      const r = x[t] - x[t - m];
      ss += r * r;
      count++;
    }
    this.sigma = count > 0 ? Math.sqrt(ss / count) : 0;
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.last !== null, h, level);
    const last = this.last as Float64Array;
    const k = last.length;
    const mean = new Float64Array(h);
    const sd = new Float64Array(h);
    for (let i = 0; i < h; i++) {
      mean[i] = last[i % k]!;
      sd[i] = this.sigma * Math.sqrt(Math.floor(i / this.m) + 1);
    }
    return normalForecast(mean, sd, level, this.nonNegative);
  }
}
