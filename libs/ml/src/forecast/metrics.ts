// Forecast accuracy metrics over a set of series, aggregated by summing numerators and
// denominators over all series before dividing: WAPE, MASE, weighted quantile loss (Amazon
// Forecast's wQL), 80 % coverage and bias.
import { ForecastInputError, type Forecast } from './types';

export interface ForecastMetrics {
  /** Σ|y − p50| / Σ|y|. */
  wape: number;
  /** Σ|y − p50| / Σ_series (h_i · s_i), s_i = in-sample MAE of the seasonal naive with lag m. */
  mase: number;
  /** wQL[τ] = 2·Σ(τ·(y − q)⁺ + (1 − τ)·(q − y)⁺) / Σ|y| at τ = 0.1, 0.5, 0.9. */
  wql10: number;
  wql50: number;
  wql90: number;
  /** Mean of wql10, wql50, wql90. */
  meanWql: number;
  /** Share of actuals with p10 ≤ y ≤ p90. */
  coverage80: number;
  /** Σ(p50 − y) / Σy (positive = over-forecast). */
  bias: number;
  /** Number of (series, step) points scored. */
  n: number;
}

/** Sums from which the metrics are computed; add them to aggregate over more series. */
export interface MetricSums {
  absErr: number;
  absY: number;
  sumY: number;
  sumDiff: number;
  scale: number;
  ql10: number;
  ql50: number;
  ql90: number;
  covered: number;
  n: number;
}

export function emptySums(): MetricSums {
  return {
    absErr: 0,
    absY: 0,
    sumY: 0,
    sumDiff: 0,
    scale: 0,
    ql10: 0,
    ql50: 0,
    ql90: 0,
    covered: 0,
    n: 0,
  };
}

export function addSums(into: MetricSums, s: MetricSums): MetricSums {
  into.absErr += s.absErr;
  into.absY += s.absY;
  into.sumY += s.sumY;
  into.sumDiff += s.sumDiff;
  into.scale += s.scale;
  into.ql10 += s.ql10;
  into.ql50 += s.ql50;
  into.ql90 += s.ql90;
  into.covered += s.covered;
  into.n += s.n;
  return into;
}

/** In-sample mean absolute error of the seasonal naive with lag m: mean over t ≥ m of |y[t] − y[t−m]|. */
export function seasonalNaiveScale(insample: ArrayLike<number>, m: number): number {
  let s = 0;
  for (let t = m; t < insample.length; t++) s += Math.abs(insample[t] - insample[t - m]);
  return s / (insample.length - m);
}

function pinball(y: number, q: number, tau: number): number {
  return y >= q ? tau * (y - q) : (1 - tau) * (q - y);
}

/** The sums of one series (`label` only names it in errors). */
export function seriesSums(
  actual: ArrayLike<number>,
  fc: Forecast,
  insample: ArrayLike<number>,
  m: number,
  label: string | number = 0,
): MetricSums {
  const h = actual.length;
  for (const k of ['mean', 'p10', 'p50', 'p90'] as const) {
    if (fc[k].length !== h) {
      throw new ForecastInputError(
        `forecastMetrics: series ${label}: forecast ${k} has ${fc[k].length} values, actual has ${h}`,
      );
    }
  }
  if (insample.length <= m) {
    throw new ForecastInputError(
      `forecastMetrics: series ${label}: insample has ${insample.length} values, MASE with m = ${m} needs more than ${m}`,
    );
  }
  const s = emptySums();
  for (let i = 0; i < h; i++) {
    const y = actual[i];
    if (!Number.isFinite(y))
      throw new ForecastInputError(
        `forecastMetrics: series ${label}: actual[${i}] is ${String(y)}`,
      );
    const q10 = fc.p10[i];
    const q50 = fc.p50[i];
    const q90 = fc.p90[i];
    s.absErr += Math.abs(y - q50);
    s.absY += Math.abs(y);
    s.sumY += y;
    s.sumDiff += q50 - y;
    s.ql10 += pinball(y, q10, 0.1);
    s.ql50 += pinball(y, q50, 0.5);
    s.ql90 += pinball(y, q90, 0.9);
    if (y >= q10 && y <= q90) s.covered++;
  }
  s.n = h;
  s.scale = h * seasonalNaiveScale(insample, m);
  return s;
}

/** Metrics from sums. A ratio whose denominator is 0 (e.g. all actuals 0) is NaN, undefined. */
export function metricsFromSums(s: MetricSums): ForecastMetrics {
  const div = (a: number, b: number): number => (b === 0 ? Number.NaN : a / b);
  const wql10 = div(2 * s.ql10, s.absY);
  const wql50 = div(2 * s.ql50, s.absY);
  const wql90 = div(2 * s.ql90, s.absY);
  return {
    wape: div(s.absErr, s.absY),
    mase: div(s.absErr, s.scale),
    wql10,
    wql50,
    wql90,
    meanWql: (wql10 + wql50 + wql90) / 3,
    coverage80: div(s.covered, s.n),
    bias: div(s.sumDiff, s.sumY),
    n: s.n,
  };
}

/**
 * Metrics over all series: actual[i] are the horizon values of series i, fc[i] its forecast,
 * insample[i] its training history (for the MASE scale, seasonal naive lag m, default 7).
 */
export function forecastMetrics(
  actual: ArrayLike<number>[],
  fc: Forecast[],
  insample: ArrayLike<number>[],
  m = 7,
): ForecastMetrics {
  if (fc.length !== actual.length || insample.length !== actual.length) {
    throw new ForecastInputError(
      `forecastMetrics: ${actual.length} actual series, ${fc.length} forecasts, ${insample.length} insample series; they must match`,
    );
  }
  const total = emptySums();
  for (let i = 0; i < actual.length; i++)
    addSums(total, seriesSums(actual[i], fc[i], insample[i], m, i));
  return metricsFromSums(total);
}
