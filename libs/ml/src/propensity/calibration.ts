// Calibration of the propensity MLP's logit z into a probability p = sigmoid(a z + b). Two methods:
//   'platt'      a and b by weighted maximum likelihood on the validation split (Platt scaling);
//   'base-rate'  a from Platt on validation; b re-fitted so that the mean calibrated probability over
//                the training rows (sample weights) equals their base rate.
// Never fitted on test. Validation is one cut-off: its base rate moves with the day its labels cover
// (first-run store, 24h: 14.2 % on validation, 9.2 % over the training cut-offs, 7.3 % on test), and
// Platt's intercept follows that one day; the training rows span the whole window. The first-run
// figures (docs/models.md, "Calibration") compare the methods on the held-out test cut-off.

export type CalibrationMethod = 'platt' | 'base-rate';

/** Platt scaling on the logit z: p = sigmoid(a z + b). */
export interface PlattCalibration {
  a: number;
  b: number;
}

const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));

function check(z: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number>): void {
  if (z.length !== y.length || z.length !== w.length)
    throw new Error(
      `calibration: z, y and weights differ in length (${z.length}, ${y.length}, ${w.length})`,
    );
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i])) throw new Error(`calibration: logit ${i} is ${z[i]}`);
    if (y[i] === 1) pos += w[i];
    else neg += w[i];
  }
  if (!(pos > 0 && neg > 0))
    throw new Error(
      `calibration: the validation set needs both classes with weight > 0 (positives ${pos}, negatives ${neg})`,
    );
}

/**
 * Weighted maximum likelihood of p = sigmoid(a z + b) by Newton's method; `fixedB` keeps b and fits
 * a alone. L2 `l2` on a and b (keeps a separable set finite).
 */
export function fitLogitCalibration(
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  opts: { fixedB?: number; l2?: number; maxIter?: number } = {},
): PlattCalibration {
  check(z, y, w);
  const l2 = opts.l2 ?? 1e-6;
  let a = 1;
  let b = opts.fixedB ?? 0;
  const fitB = opts.fixedB === undefined;
  for (let it = 0; it < (opts.maxIter ?? 100); it++) {
    let ga = l2 * a;
    let gb = fitB ? l2 * b : 0;
    let haa = l2;
    let hab = 0;
    let hbb = fitB ? l2 : 1;
    for (let i = 0; i < z.length; i++) {
      const p = sigmoid(a * z[i] + b);
      const r = w[i] * (p - y[i]);
      const v = w[i] * p * (1 - p);
      ga += r * z[i];
      haa += v * z[i] * z[i];
      if (fitB) {
        gb += r;
        hab += v * z[i];
        hbb += v;
      }
    }
    // Newton step on (a, b): H^-1 g (2 x 2, or 1 x 1 with b fixed)
    const det = haa * hbb - hab * hab;
    const da = fitB ? (hbb * ga - hab * gb) / det : ga / haa;
    const db = fitB ? (haa * gb - hab * ga) / det : 0;
    a -= da;
    b -= db;
    if (!Number.isFinite(a) || !Number.isFinite(b))
      throw new Error('calibration: Newton iterations diverged');
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}

/**
 * b such that the weighted mean of sigmoid(a z + b) over (z, w) equals the weighted mean of y
 * (Newton on a monotone function of b).
 */
export function fitBaseRateIntercept(
  a: number,
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  maxIter = 100,
): number {
  check(z, y, w);
  let target = 0;
  let total = 0;
  for (let i = 0; i < z.length; i++) {
    target += w[i] * y[i];
    total += w[i];
  }
  target /= total;
  let b = Math.log(target / (1 - target));
  for (let it = 0; it < maxIter; it++) {
    let g = 0;
    let h = 0;
    for (let i = 0; i < z.length; i++) {
      const p = sigmoid(a * z[i] + b);
      g += w[i] * p;
      h += w[i] * p * (1 - p);
    }
    const step = (g / total - target) / (h / total);
    b -= step;
    if (!Number.isFinite(b)) throw new Error('calibration: the base-rate intercept diverged');
    if (Math.abs(step) < 1e-12) break;
  }
  return b;
}

type Scored = { z: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number> };

/** The calibration of a model from its validation logits (and, for 'base-rate', its training logits). */
export function fitCalibration(
  method: CalibrationMethod,
  val: Scored,
  train: Scored,
): PlattCalibration {
  const platt = fitLogitCalibration(val.z, val.y, val.w);
  if (method === 'platt') return platt;
  return { a: platt.a, b: fitBaseRateIntercept(platt.a, train.z, train.y, train.w) };
}

/** p = sigmoid(a z + b). */
export function calibrate(c: PlattCalibration | null, z: number): number {
  return sigmoid((c?.a ?? 1) * z + (c?.b ?? 0));
}
