// Helpers shared by the intermittent-demand models (Croston, TSB): simple exponential smoothing as
// statsforecast computes it, and count-distribution quantiles (Poisson / negative binomial).
import { finaliseForecast, normalQuantile, type Forecast } from './types';

/** One-step-ahead SES forecast with the level initialised to x[0] (statsforecast's ses_forecast). */
export function sesForecast(x: ArrayLike<number>, alpha: number): number {
  let f = x[0];
  for (let i = 0; i < x.length; i++) f = alpha * x[i] + (1 - alpha) * f;
  return f;
}

/** Variance-to-mean ratio of y (population variance); 1 when the mean is 0. */
export function dispersionRatio(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  const mu = s / y.length;
  if (!(mu > 0)) return 1;
  let v = 0;
  for (let i = 0; i < y.length; i++) v += (y[i] - mu) * (y[i] - mu);
  return v / y.length / mu;
}

/**
 * Quantiles of a count distribution with mean mu and variance mu·d: Poisson(mu) when d ≤ 1,
 * otherwise negative binomial (size r = mu/(d−1), success probability 1/d). The quantile at τ is the
 * smallest integer k with CDF(k) ≥ τ. When P(0) underflows (mean in the hundreds or more) it uses
 * the normal approximation mu ± z·√(mu·max(d, 1)).
 */
export function countQuantiles(mu: number, d: number, taus: readonly number[]): number[] {
  if (!(mu > 0)) return taus.map(() => 0);
  const nb = d > 1 + 1e-9;
  const p = nb ? 1 / d : 0;
  const r = nb ? mu / (d - 1) : 0;
  const logP0 = nb ? r * Math.log(p) : -mu;
  if (logP0 < -600) {
    const sd = Math.sqrt(mu * Math.max(d, 1));
    return taus.map((t) => mu + normalQuantile(t) * sd);
  }
  const out = new Array<number>(taus.length);
  const order = taus.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
  let pk = Math.exp(logP0);
  let cdf = pk;
  let k = 0;
  const kMax = Math.ceil(mu + 60 * Math.sqrt(mu * Math.max(d, 1)) + 60);
  for (const [t, i] of order) {
    while (cdf < t && k < kMax) {
      pk = nb ? (pk * (k + r) * (1 - p)) / (k + 1) : (pk * mu) / (k + 1);
      k++;
      cdf += pk;
    }
    out[i] = k;
  }
  return out;
}

/** A flat forecast at `mean` with count quantiles (see countQuantiles) for the central `level` %. */
export function flatCountForecast(
  mean: number,
  d: number,
  h: number,
  level: number,
  nonNegative: boolean,
): Forecast {
  const lo = 0.5 - level / 200;
  const [q10, q50, q90] = countQuantiles(mean, d, [lo, 0.5, 1 - lo]) as [number, number, number];
  return finaliseForecast(
    {
      mean: new Float64Array(h).fill(mean),
      p10: new Float64Array(h).fill(q10),
      p50: new Float64Array(h).fill(q50),
      p90: new Float64Array(h).fill(q90),
    },
    nonNegative,
  );
}
