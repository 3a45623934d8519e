// Teunter–Syntetos–Babai (TSB) method for intermittent demand (statsforecast's TSB): SES of the
// demand probability over all periods and of the non-zero sizes; forecast = probability × size.
import { dispersionRatio, flatCountForecast, sesForecast } from './intermittent';
import {
  checkPredictArgs,
  toSeries,
  type BaselineOptions,
  type Forecast,
  type ForecastModel,
} from './types';

/**
 * p̂ = one-step SES (alphaP) of the indicator y[t] ≠ 0 over every period; ẑ = one-step SES (alphaD)
 * of the sizes y[t] > 0; mean = p̂·ẑ for every step (0 for an all-zero history). Quantiles: count
 * distribution around the mean with the history's variance-to-mean ratio (see countQuantiles).
 */
export class Tsb implements ForecastModel {
  readonly name = 'TSB';
  private readonly nonNegative: boolean;
  private mean: number | null = null;
  private d = 1;

  constructor(
    private readonly alphaD = 0.2,
    private readonly alphaP = 0.2,
    opts: BaselineOptions = {},
  ) {
    for (const [k, v] of [
      ['alphaD', alphaD],
      ['alphaP', alphaP],
    ] as const) {
      if (!(v > 0 && v <= 1)) throw new RangeError(`TSB: ${k} must be in (0, 1], got ${v}`);
    }
    this.nonNegative = opts.nonNegative ?? true;
  }

  fit(y: ArrayLike<number>): this {
    const x = toSeries(y, this.name, 1);
    const sizes: number[] = [];
    const occurs = new Float64Array(x.length);
    for (let t = 0; t < x.length; t++) {
      if (x[t] !== 0) occurs[t] = 1;
      if (x[t] > 0) sizes.push(x[t]);
    }
    this.mean =
      sizes.length === 0 ? 0 : sesForecast(occurs, this.alphaP) * sesForecast(sizes, this.alphaD);
    this.d = dispersionRatio(x);
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.mean !== null, h, level);
    return flatCountForecast(this.mean as number, this.d, h, level, this.nonNegative);
  }
}
