// Croston's classic method for intermittent demand (statsforecast's CrostonClassic): SES with
// alpha = 0.1 on the non-zero demand sizes and on the intervals between them; forecast = size/interval.
import { dispersionRatio, flatCountForecast, sesForecast } from './intermittent';
import {
  checkPredictArgs,
  toSeries,
  type BaselineOptions,
  type Forecast,
  type ForecastModel,
} from './types';

export interface CrostonOptions extends BaselineOptions {
  /** Smoothing of sizes and intervals; default 0.1 (CrostonClassic). */
  alpha?: number;
}

/**
 * Sizes z = the values y[t] > 0; intervals q = differences of their 1-based positions (the first
 * counted from 0). ẑ, q̂ = one-step SES forecasts (level initialised to the first value); the mean is
 * ẑ/q̂ for every step (ẑ when q̂ = 0; 0 when the history has no demand). Quantiles: count
 * distribution around the mean (see countQuantiles) with the history's variance-to-mean ratio.
 */
export class Croston implements ForecastModel {
  readonly name = 'Croston';
  private readonly alpha: number;
  private readonly nonNegative: boolean;
  private mean: number | null = null;
  private d = 1;

  constructor(opts: CrostonOptions = {}) {
    this.alpha = opts.alpha ?? 0.1;
    if (!(this.alpha > 0 && this.alpha <= 1)) {
      throw new RangeError(`Croston: alpha must be in (0, 1], got ${this.alpha}`);
    }
    this.nonNegative = opts.nonNegative ?? true;
  }

  fit(y: ArrayLike<number>): this {
    const x = toSeries(y, this.name, 1);
    const sizes: number[] = [];
    const intervals: number[] = [];
    let prev = 0;
    for (let t = 0; t < x.length; t++) {
      if (x[t] > 0) {
        sizes.push(x[t]);
        intervals.push(t + 1 - prev);
        prev = t + 1;
      }
    }
    if (sizes.length === 0) {
      this.mean = x[x.length - 1]!;
    } else {
      const z = sesForecast(sizes, this.alpha);
      const q = sesForecast(intervals, this.alpha);
      this.mean = q !== 0 ? z / q : z;
    }
    this.d = dispersionRatio(x);
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.mean !== null, h, level);
    return flatCountForecast(this.mean as number, this.d, h, level, this.nonNegative);
  }
}
