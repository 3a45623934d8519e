// Split-conformal calibration of the global model's P10–P90 interval. The network's quantiles are
// trained on the scale-weighted pinball loss (the wQL objective), which leaves [p10, p90] too narrow
// when coverage is counted per (series, day): the many small SKUs, where the interval is least
// accurate, dominate the count. After fitting, each side of the interval is stretched (or shrunk)
// about p50 by one factor, chosen on held-out rows so that each tail misses (1 − target) / 2 of the
// points. p50 is unchanged, so the point forecast and its metrics (WAPE, MASE, bias) are too.
//   p10' = max(0, p50 − lower · (p50 − p10)),   p90' = p50 + upper · (p90 − p50)
// with lower, upper ≥ 0, so p10' ≤ p50 ≤ p90' still holds: the quantiles cannot cross.
import { ForecastInputError } from '../types';

/** The interval calibration stored with a model (identity: lower = upper = 1). */
export interface GlobalCalibration {
  /** Factor on the lower half-width p50 − p10. */
  lower: number;
  /** Factor on the upper half-width p90 − p50. */
  upper: number;
  /** Share of points the calibrated [p10, p90] is meant to cover; 0 for the identity. */
  targetCoverage: number;
  /** Coverage of [p10, p90] on the calibration points before and after (in-sample to the fit). */
  coverageBefore: number;
  coverageAfter: number;
  /** (row, step) points the factors were chosen on; 0 for the identity. */
  points: number;
}

export const IDENTITY_CALIBRATION: GlobalCalibration = {
  lower: 1,
  upper: 1,
  targetCoverage: 0,
  coverageBefore: Number.NaN,
  coverageAfter: Number.NaN,
  points: 0,
};

/** Smallest half-width used as a divisor (softplus increments are > 0, but can underflow). */
const MIN_WIDTH = 1e-9;

/**
 * The smallest s ≥ 0 with #(r > s) ≤ ⌊miss · N⌋, i.e. the empirical (1 − miss)-quantile of the
 * ratios, clamped at 0 (a negative factor would cross the quantiles).
 */
function factor(r: Float64Array, miss: number): number {
  r.sort();
  const k = Math.floor(miss * r.length);
  return Math.max(0, r[r.length - k - 1]);
}

/**
 * Chooses the two factors on held-out points. `p10`, `p50`, `p90` and `y` are parallel arrays of
 * equal length (any common unit, e.g. targets divided by the row scale: the factors are
 * scale-free). Throws on a target outside (0, 1), unequal lengths or no points.
 */
export function calibrateInterval(
  p10: ArrayLike<number>,
  p50: ArrayLike<number>,
  p90: ArrayLike<number>,
  y: ArrayLike<number>,
  targetCoverage: number,
): GlobalCalibration {
  if (!(targetCoverage > 0 && targetCoverage < 1))
    throw new ForecastInputError(
      `calibrateInterval: targetCoverage = ${targetCoverage}, expected a share in (0, 1)`,
    );
  const n = y.length;
  if (p10.length !== n || p50.length !== n || p90.length !== n)
    throw new ForecastInputError(
      `calibrateInterval: p10 (${p10.length}), p50 (${p50.length}), p90 (${p90.length}) and y (${n}) must have the same length`,
    );
  if (n === 0) throw new ForecastInputError('calibrateInterval: no calibration points');
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  let coveredBefore = 0;
  for (let i = 0; i < n; i++) {
    const m = p50[i];
    const v = y[i];
    lo[i] = (m - v) / Math.max(m - p10[i], MIN_WIDTH);
    hi[i] = (v - m) / Math.max(p90[i] - m, MIN_WIDTH);
    if (p10[i] <= v && v <= p90[i]) coveredBefore++;
  }
  const miss = (1 - targetCoverage) / 2;
  const lower = factor(lo.slice(), miss);
  const upper = factor(hi.slice(), miss);
  let coveredAfter = 0;
  for (let i = 0; i < n; i++) if (lo[i] <= lower && hi[i] <= upper) coveredAfter++;
  return {
    lower,
    upper,
    targetCoverage,
    coverageBefore: coveredBefore / n,
    coverageAfter: coveredAfter / n,
    points: n,
  };
}

/** Applies a calibration to one step's quantiles (in units); returns [p10', p90']. */
export function applyCalibration(
  c: GlobalCalibration,
  p10: number,
  p50: number,
  p90: number,
): [number, number] {
  return [Math.max(0, p50 - c.lower * (p50 - p10)), p50 + c.upper * (p90 - p50)];
}
