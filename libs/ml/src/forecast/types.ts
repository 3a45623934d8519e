// Shared shapes of the demand-forecast baselines: the Forecast a model returns, the ForecastModel
// fit/predict interface (statsforecast style), input validation and quantile assembly helpers.

/** A probabilistic forecast over h steps. p10/p90 bound the central `level` % interval (80 by default). */
export interface Forecast {
  mean: Float64Array;
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
}

export interface FitOptions {
  /** Season length (7 for daily data with a weekly season, 12 for monthly); overrides the model's own. */
  seasonLength?: number;
}

export interface ForecastModel {
  readonly name: string;
  /** Fits the model on the history `y` (oldest first); returns the model for chaining. */
  fit(y: ArrayLike<number>, opts?: FitOptions): this;
  /**
   * Forecasts h steps after the end of the fitted history. `level` is the coverage in percent of the
   * central interval [p10, p90] (default 80, i.e. the 10th and 90th percentiles).
   */
  predict(h: number, level?: number): Forecast;
}

/** Options every baseline accepts. */
export interface BaselineOptions {
  /** Clip all four outputs at 0 (demand cannot be negative). Default true. */
  nonNegative?: boolean;
}

export class ForecastInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForecastInputError';
  }
}

/** Copies y into a Float64Array, rejecting non-finite values (with the index) and short series. */
export function toSeries(y: ArrayLike<number>, model: string, minLength = 1): Float64Array {
  if (y.length < minLength) {
    throw new ForecastInputError(
      `${model}.fit: y has ${y.length} values, needs at least ${minLength}`,
    );
  }
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) {
      throw new ForecastInputError(
        `${model}.fit: y[${i}] is ${String(v)}, expected a finite number`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Validates the horizon and level arguments of predict(). */
export function checkPredictArgs(model: string, fitted: boolean, h: number, level: number): void {
  if (!fitted) throw new ForecastInputError(`${model}.predict: call fit() first`);
  if (!Number.isInteger(h) || h < 1) {
    throw new ForecastInputError(`${model}.predict: h must be a positive integer, got ${h}`);
  }
  if (!(level > 0 && level < 100)) {
    throw new ForecastInputError(`${model}.predict: level must be in (0, 100), got ${level}`);
  }
}

export function checkSeasonLength(model: string, m: number): number {
  if (!Number.isInteger(m) || m < 1) {
    throw new ForecastInputError(`${model}: seasonLength must be a positive integer, got ${m}`);
  }
  return m;
}

/**
 * Makes the quantiles consistent: optional clipping at 0 (mean and quantiles), then
 * p10 ≤ p50 ≤ p90 by taking p10 = min(p10, p50) and p90 = max(p90, p50). Mutates and returns fc.
 */
export function finaliseForecast(fc: Forecast, nonNegative: boolean): Forecast {
  const { mean, p10, p50, p90 } = fc;
  for (let i = 0; i < mean.length; i++) {
    if (nonNegative) {
      if (mean[i] < 0) mean[i] = 0;
      if (p10[i] < 0) p10[i] = 0;
      if (p50[i] < 0) p50[i] = 0;
      if (p90[i] < 0) p90[i] = 0;
    }
    if (p10[i] > p50[i]) p10[i] = p50[i]!;
    if (p90[i] < p50[i]) p90[i] = p50[i]!;
  }
  return fc;
}

/** Normal quantiles mean ± z·sd (sd per step), then finaliseForecast. */
export function normalForecast(
  mean: Float64Array,
  sd: Float64Array,
  level: number,
  nonNegative: boolean,
): Forecast {
  const z = normalQuantile(0.5 + level / 200);
  const h = mean.length;
  const p10 = new Float64Array(h);
  const p50 = new Float64Array(h);
  const p90 = new Float64Array(h);
  for (let i = 0; i < h; i++) {
    p10[i] = mean[i] - z * sd[i];
    p50[i] = mean[i]!;
    p90[i] = mean[i] + z * sd[i];
  }
  return finaliseForecast({ mean: Float64Array.from(mean), p10, p50, p90 }, nonNegative);
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1))
    throw new ForecastInputError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}
