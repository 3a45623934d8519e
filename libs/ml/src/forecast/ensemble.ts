// Median ensemble: fits several models on the same history and takes, step by step, the median of
// their means and of each quantile.
import {
  checkPredictArgs,
  finaliseForecast,
  ForecastInputError,
  type BaselineOptions,
  type FitOptions,
  type Forecast,
  type ForecastModel,
} from './types';

function median(v: Float64Array): number {
  v.sort();
  const k = v.length >> 1;
  return v.length % 2 ? v[k] : (v[k - 1] + v[k]) / 2;
}

/**
 * mean, p10, p50, p90 = the per-step medians over the members' forecasts (average of the two middle
 * values for an even count), then made non-crossing (and clipped at 0 when nonNegative, default true).
 */
export class MedianEnsemble implements ForecastModel {
  readonly name: string;
  private fittedOnce = false;
  private readonly nonNegative: boolean;

  constructor(
    private readonly models: ForecastModel[],
    opts: BaselineOptions = {},
  ) {
    if (models.length === 0)
      throw new ForecastInputError('MedianEnsemble: needs at least one model');
    this.name = `MedianEnsemble(${models.map((m) => m.name).join(', ')})`;
    this.nonNegative = opts.nonNegative ?? true;
  }

  fit(y: ArrayLike<number>, opts?: FitOptions): this {
    for (const m of this.models) m.fit(y, opts);
    this.fittedOnce = true;
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.fittedOnce, h, level);
    const fcs = this.models.map((m) => m.predict(h, level));
    const out: Forecast = {
      mean: new Float64Array(h),
      p10: new Float64Array(h),
      p50: new Float64Array(h),
      p90: new Float64Array(h),
    };
    const col = new Float64Array(fcs.length);
    for (const k of ['mean', 'p10', 'p50', 'p90'] as const) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < fcs.length; j++) col[j] = fcs[j][k][i]!;
        out[k][i] = median(col);
      }
    }
    return finaliseForecast(out, this.nonNegative);
  }
}
