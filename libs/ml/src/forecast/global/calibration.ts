// Split-conformal calibration of the global model's P10–P90 interval. The network's quantiles are
// trained on the scale-weighted pinball loss (the wQL objective), which leaves [p10, p90] too narrow
// when coverage is counted per (series, day): the many small SKUs, where the interval is least
// accurate, dominate the count. After fitting, each side of the interval is stretched (or shrunk)
// about p50 by a factor, chosen on held-out rows so that each tail misses (1 − target) / 2 of the
// points. The factors are chosen per band of the row scale (the history's volume level; quartiles
// of the held-out rows by default): small SKUs need far more widening than large ones, and one
// pooled factor would widen the large SKUs too, which costs wQL. p50 is unchanged, so the point
// forecast and its metrics (WAPE, MASE, bias) are too.
//   p10' = max(0, p50 − lower · (p50 − p10)),   p90' = p50 + upper · (p90 − p50)
// with lower, upper ≥ 0, so p10' ≤ p50 ≤ p90' still holds: the quantiles cannot cross.
import { ForecastInputError } from '../types';

/** The factors of one band of row scales: rows with scale ≥ fromScale (up to the next band's). */
export interface CalibrationBand {
  fromScale: number;
  lower: number;
  upper: number;
  /** Calibration points in the band. */
  points: number;
}

/** The interval calibration stored with a model (identity: lower = upper = 1, no bands). */
export interface GlobalCalibration {
  /** Factor on the lower half-width p50 − p10, pooled over all points (used when no bands). */
  lower: number;
  /** Factor on the upper half-width p90 − p50, pooled over all points (used when no bands). */
  upper: number;
  /** Per band of row scale, ascending; the first starts at 0. Empty: the pooled factors apply. */
  bands: CalibrationBand[];
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
  bands: [],
  targetCoverage: 0,
  coverageBefore: Number.NaN,
  coverageAfter: Number.NaN,
  points: 0,
};

/** Smallest half-width used as a divisor (softplus increments are > 0, but can underflow). */
const MIN_WIDTH = 1e-9;
/** Fewest calibration points per band: fewer bands are used when there are not enough points. */
export const MIN_BAND_POINTS = 400;

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
 * Chooses the factors on held-out points. `p10`, `p50`, `p90` and `y` are parallel arrays of equal
 * length (any common unit, e.g. targets divided by the row scale: the factors are scale-free).
 * With `scale` (the row scale of each point) and `bands` > 1, the points are split at the quantiles
 * of their scale into at most `bands` bands of at least MIN_BAND_POINTS points, each with its own
 * factors. Throws on a target outside (0, 1), unequal lengths or no points.
 */
export function calibrateInterval(
  p10: ArrayLike<number>,
  p50: ArrayLike<number>,
  p90: ArrayLike<number>,
  y: ArrayLike<number>,
  targetCoverage: number,
  scale?: ArrayLike<number>,
  bands = 1,
): GlobalCalibration {
  if (!(targetCoverage > 0 && targetCoverage < 1))
    throw new ForecastInputError(
      `calibrateInterval: targetCoverage = ${targetCoverage}, expected a share in (0, 1)`,
    );
  const n = y.length;
  if (p10.length !== n || p50.length !== n || p90.length !== n || (scale && scale.length !== n))
    throw new ForecastInputError(
      `calibrateInterval: p10 (${p10.length}), p50 (${p50.length}), p90 (${p90.length}), y (${n})${scale ? ` and scale (${scale.length})` : ''} must have the same length`,
    );
  if (n === 0) throw new ForecastInputError('calibrateInterval: no calibration points');
  if (!Number.isInteger(bands) || bands < 1)
    throw new ForecastInputError(`calibrateInterval: bands = ${bands}, expected an integer ≥ 1`);
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
  const out: CalibrationBand[] = [];
  const nb = scale ? Math.min(bands, Math.floor(n / MIN_BAND_POINTS)) : 1;
  if (scale && nb > 1) {
    const sorted = Float64Array.from(scale).sort();
    const starts = [0];
    for (let k = 1; k < nb; k++) {
      const e = sorted[Math.floor((k * n) / nb)];
      if (e > starts[starts.length - 1]) starts.push(e);
    }
    starts.forEach((from, b) => {
      const to = b + 1 < starts.length ? starts[b + 1] : Infinity;
      const l: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < n; i++)
        if (scale[i] >= from && scale[i] < to) {
          l.push(lo[i]);
          h.push(hi[i]);
        }
      if (l.length === 0) return;
      out.push({
        fromScale: from,
        lower: factor(Float64Array.from(l), miss),
        upper: factor(Float64Array.from(h), miss),
        points: l.length,
      });
    });
    if (out.length > 0) out[0].fromScale = 0;
  }
  const cal: GlobalCalibration = {
    lower,
    upper,
    bands: out.length > 1 ? out : [],
    targetCoverage,
    coverageBefore: coveredBefore / n,
    coverageAfter: Number.NaN,
    points: n,
  };
  let coveredAfter = 0;
  for (let i = 0; i < n; i++) {
    const [l, u] = factorsFor(cal, scale ? scale[i] : Number.NaN);
    if (lo[i] <= l && hi[i] <= u) coveredAfter++;
  }
  cal.coverageAfter = coveredAfter / n;
  return cal;
}

/** The [lower, upper] factors for a row of this scale (pooled when no bands or scale unknown). */
export function factorsFor(c: GlobalCalibration, scale: number): [number, number] {
  if (c.bands.length === 0 || !Number.isFinite(scale)) return [c.lower, c.upper];
  let b = c.bands[0];
  for (const band of c.bands) if (scale >= band.fromScale) b = band;
  return [b.lower, b.upper];
}

/**
 * Applies a calibration to one step's quantiles (in units) of a row of scale `scale` (NaN: the
 * pooled factors); returns [p10', p90'].
 */
export function applyCalibration(
  c: GlobalCalibration,
  p10: number,
  p50: number,
  p90: number,
  scale = Number.NaN,
): [number, number] {
  const [lower, upper] = factorsFor(c, scale);
  return [Math.max(0, p50 - lower * (p50 - p10)), p50 + upper * (p90 - p50)];
}
