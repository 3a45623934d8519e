// Calibration of the propensity MLP's logit z into a probability p = sigmoid(a z + b), fitted on the
// validation split (never on test). Two methods:
//   'platt'        a and b by weighted maximum likelihood on validation (Platt scaling);
//   'prior-slope'  b fixed by the class weighting: balanced class weights multiply the training odds
//                  by w+/w-, so b = log(w-/w+) restores the training base rate (the sample-weighted
//                  share of positives over every training cut-off); only the slope a (a temperature)
//                  is fitted on validation, with b as a fixed offset.
// Validation is one cut-off: its base rate moves with the day it covers (a promotion day, a quiet
// day), and Platt's intercept follows it; the training base rate spans the whole window. The first-run
// figures (docs/models.md, "Calibration") compare both on the held-out test cut-off.

export type CalibrationMethod = 'platt' | 'prior-slope';

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
 * The calibration of a model trained with class weights `cw` (1/1 when unweighted), fitted on the
 * validation logits.
 */
export function fitCalibration(
  method: CalibrationMethod,
  val: { z: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number> },
  cw: { positive: number; negative: number },
): PlattCalibration {
  if (method === 'platt') return fitLogitCalibration(val.z, val.y, val.w);
  if (!(cw.positive > 0 && cw.negative > 0))
    throw new Error(`calibration: class weights must be > 0, got ${JSON.stringify(cw)}`);
  return fitLogitCalibration(val.z, val.y, val.w, { fixedB: Math.log(cw.negative / cw.positive) });
}

/** p = sigmoid(a z + b). */
export function calibrate(c: PlattCalibration | null, z: number): number {
  return sigmoid((c?.a ?? 1) * z + (c?.b ?? 0));
}
