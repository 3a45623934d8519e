// The per-day demand distribution fitted to a (p10, p50, p90) forecast: a quantile-matched two-piece
// (split) normal around the median, censored at 0. It reproduces the three quantiles exactly.
import { normalQuantile } from '../forecast/types';
import { ReplenishmentInputError } from './types';

/** Φ⁻¹(0.9): the 90 % standard normal quantile. */
export const Z90 = normalQuantile(0.9);

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Standard normal density. */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Standard normal CDF Φ(z), through erfc (Numerical Recipes' Chebyshev fit, fractional error
 * < 1.2e-7 everywhere).
 */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const y =
    t *
    Math.exp(
      -ax * ax -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = x >= 0 ? y : 2 - y;
  return 0.5 * erfc;
}

/**
 * Demand of one day: X = max(0, p50 + σ(Z)·Z) with Z ~ N(0, 1), σ(Z) = sigmaLow for Z < 0 and
 * sigmaHigh for Z ≥ 0, sigmaLow = (p50 − p10)/Φ⁻¹(0.9), sigmaHigh = (p90 − p50)/Φ⁻¹(0.9). The quantile
 * function is Q(τ) = max(0, p50 + σ(τ)·Φ⁻¹(τ)), so Q(0.1) = p10, Q(0.5) = p50 and Q(0.9) = p90
 * exactly (p10 ≥ 0, so censoring at 0 leaves them unchanged; truncation would not).
 */
export class SplitNormalDay {
  constructor(
    readonly median: number,
    readonly sigmaLow: number,
    readonly sigmaHigh: number,
  ) {}

  /** Demand for the Gaussian score z (the sampler draws z ~ N(0, 1)). */
  fromScore(z: number): number {
    const x = this.median + (z < 0 ? this.sigmaLow : this.sigmaHigh) * z;
    return x > 0 ? x : 0;
  }

  /** τ-quantile, τ ∈ (0, 1). */
  quantile(tau: number): number {
    return this.fromScore(normalQuantile(tau));
  }

  /** P(X ≤ x); the mass Φ(−p50/sigmaLow) below 0 sits at 0. */
  cdf(x: number): number {
    if (x < 0) return 0;
    if (x < this.median)
      return this.sigmaLow > 0 ? normalCdf((x - this.median) / this.sigmaLow) : 0;
    return this.sigmaHigh > 0 ? normalCdf((x - this.median) / this.sigmaHigh) : 1;
  }

  /** E[X], censoring included. */
  mean(): number {
    const m = this.median;
    const high = m / 2 + this.sigmaHigh * INV_SQRT_2PI;
    if (this.sigmaLow === 0) return high + m / 2;
    const a = -m / this.sigmaLow;
    return high + m * (0.5 - normalCdf(a)) + this.sigmaLow * (normalPdf(a) - INV_SQRT_2PI);
  }
}

/**
 * Fits the day's distribution. Throws ReplenishmentInputError naming `field` (e.g. `forecast[3]`)
 * and the day when a quantile is not finite, negative, or the three cross.
 */
export function fitDailyDistribution(
  q: { p10: number; p50: number; p90: number },
  field = 'quantiles',
  day = '',
): SplitNormalDay {
  const where = day ? `${field} (${day})` : field;
  for (const k of ['p10', 'p50', 'p90'] as const) {
    const v = q[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ReplenishmentInputError(
        `${field}.${k}`,
        `${where}.${k} is ${String(v)}, expected a finite number ≥ 0`,
      );
    }
  }
  if (q.p10 > q.p50 || q.p50 > q.p90) {
    throw new ReplenishmentInputError(
      field,
      `${where}: quantiles cross (p10=${q.p10}, p50=${q.p50}, p90=${q.p90}), expected p10 ≤ p50 ≤ p90`,
    );
  }
  return new SplitNormalDay(q.p50, (q.p50 - q.p10) / Z90, (q.p90 - q.p50) / Z90);
}
