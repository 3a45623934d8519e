// Baseline 1 for purchase propensity: L2-regularised logistic regression in plain TypeScript, fitted by
// Newton's method (IRLS) with step halving, deterministic, sample weights respected. Meant for the
// standardised features (applyStandardizer), where d is tens of columns: each iteration is O(n d^2).
//
// Objective: J(b, w) = sum_i w_i logloss_i / sum_i w_i + (l2 / 2) ||w||^2 (the intercept b is not
// penalised), so l2 does not depend on the data size or on the weights' scale.
import { z } from 'zod';

export interface LogisticRegressionOptions {
  /** L2 penalty on the coefficients (not the intercept); default 1e-4. */
  l2?: number;
  /** Newton iterations; default 50. */
  maxIter?: number;
  /** Stop when the largest parameter step is below this; default 1e-8. */
  tol?: number;
}

export interface LogisticRegressionJSON {
  kind: 'logistic-regression';
  version: 1;
  intercept: number;
  coefficients: number[];
  l2: number;
  iterations: number;
  converged: boolean;
}

const jsonSchema = z.object({
  kind: z.literal('logistic-regression'),
  version: z.literal(1),
  intercept: z.number(),
  coefficients: z.array(z.number()).min(1),
  l2: z.number().nonnegative(),
  iterations: z.number().int().nonnegative(),
  converged: z.boolean(),
});

function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

/** log(1 + e^t) without overflow. */
function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

/** Solve A x = b for a symmetric positive definite A (k x k, row-major) by Cholesky; null if not SPD. */
function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j];
      for (let m = 0; m < j; m++) s -= l[i * k + m] * l[j * k + m];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * k + i] = Math.sqrt(s);
      } else {
        l[i * k + j] = s / l[j * k + j];
      }
    }
  }
  const yv = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let m = 0; m < i; m++) s -= l[i * k + m] * yv[m];
    yv[i] = s / l[i * k + i];
  }
  const xv = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = yv[i];
    for (let m = i + 1; m < k; m++) s -= l[m * k + i] * xv[m];
    xv[i] = s / l[i * k + i];
  }
  return xv;
}

export class LogisticRegression {
  private constructor(
    readonly intercept: number,
    private readonly coef: Float64Array,
    readonly l2: number,
    readonly iterations: number,
    readonly converged: boolean,
  ) {}

  get d(): number {
    return this.coef.length;
  }

  get coefficients(): number[] {
    return Array.from(this.coef);
  }

  /**
   * Fit on a row-major n x d matrix (finite values: standardise and impute first), labels 0/1 and
   * non-negative sample weights.
   */
  static fit(
    x: Float32Array,
    n: number,
    d: number,
    y: ArrayLike<number>,
    w: ArrayLike<number>,
    opts: LogisticRegressionOptions = {},
  ): LogisticRegression {
    const l2 = opts.l2 ?? 1e-4;
    const maxIter = opts.maxIter ?? 50;
    const tol = opts.tol ?? 1e-8;
    if (!(l2 >= 0)) throw new Error(`LogisticRegression.fit: l2 = ${l2}, expected >= 0`);
    if (!Number.isInteger(d) || d < 1)
      throw new Error(`LogisticRegression.fit: d = ${d}, expected >= 1`);
    if (x.length !== n * d)
      throw new Error(
        `LogisticRegression.fit: x has ${x.length} values, expected n x d = ${n * d}`,
      );
    if (y.length !== n)
      throw new Error(`LogisticRegression.fit: y has ${y.length} values, expected ${n}`);
    if (w.length !== n)
      throw new Error(`LogisticRegression.fit: w has ${w.length} values, expected ${n}`);
    let W = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      if (yi !== 0 && yi !== 1)
        throw new Error(`LogisticRegression.fit: y[${i}] = ${String(yi)}, expected 0 or 1`);
      const wi = w[i];
      if (!(wi >= 0) || !Number.isFinite(wi))
        throw new Error(
          `LogisticRegression.fit: w[${i}] = ${String(wi)}, expected a finite number >= 0`,
        );
      W += wi;
      for (let j = 0; j < d; j++) {
        if (!Number.isFinite(x[i * d + j]))
          throw new Error(
            `LogisticRegression.fit: x[${i}, ${j}] = ${String(x[i * d + j])} is not finite (standardise and impute first)`,
          );
      }
    }
    if (!(W > 0)) throw new Error('LogisticRegression.fit: the sample weights sum to 0');

    const k = d + 1; // parameter 0 = intercept
    let beta = new Float64Array(k);
    const objective = (b: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let t = b[0];
        for (let j = 0; j < d; j++) t += b[j + 1] * x[i * d + j];
        // logloss = softplus(t) - y t
        s += w[i] * (softplus(t) - y[i] * t);
      }
      let pen = 0;
      for (let j = 1; j < k; j++) pen += b[j] * b[j];
      return s / W + 0.5 * l2 * pen;
    };
    let current = objective(beta);
    let iterations = 0;
    let converged = false;
    const grad = new Float64Array(k);
    const hess = new Float64Array(k * k);
    const row = new Float64Array(k);
    row[0] = 1;
    while (iterations < maxIter) {
      iterations++;
      grad.fill(0);
      hess.fill(0);
      for (let i = 0; i < n; i++) {
        let t = beta[0];
        for (let j = 0; j < d; j++) {
          const v = x[i * d + j];
          row[j + 1] = v;
          t += beta[j + 1] * v;
        }
        const p = sigmoid(t);
        const wi = w[i] / W;
        const r = wi * (p - y[i]);
        const h = wi * p * (1 - p);
        for (let a = 0; a < k; a++) {
          const ra = row[a];
          grad[a] = grad[a] + r * ra;
          const hra = h * ra;
          for (let b = 0; b <= a; b++) hess[a * k + b] = hess[a * k + b] + hra * row[b];
        }
      }
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < a; b++) hess[b * k + a] = hess[a * k + b];
        if (a > 0) {
          grad[a] = grad[a] + l2 * beta[a];
          hess[a * k + a] = hess[a * k + a] + l2;
        }
      }
      let step = choleskySolve(hess, grad, k);
      if (step === null) {
        // singular (e.g. a duplicated column with l2 = 0): a tiny ridge keeps Newton going
        for (let a = 0; a < k; a++) hess[a * k + a] = hess[a * k + a] + 1e-8;
        step = choleskySolve(hess, grad, k);
        if (step === null)
          throw new Error('LogisticRegression.fit: the Hessian is not positive definite');
      }
      // step halving until the objective does not increase
      let scale = 1;
      const next = new Float64Array(k);
      let value = Infinity;
      for (let h = 0; h < 30; h++) {
        for (let a = 0; a < k; a++) next[a] = beta[a] - scale * step[a];
        value = objective(next);
        if (value <= current) break;
        scale /= 2;
      }
      let maxStep = 0;
      for (let a = 0; a < k; a++) maxStep = Math.max(maxStep, Math.abs(scale * step[a]));
      if (!(value <= current)) {
        converged = true; // no descent direction left at machine precision
        break;
      }
      beta = next;
      current = value;
      if (maxStep < tol) {
        converged = true;
        break;
      }
    }
    return new LogisticRegression(beta[0], beta.subarray(1).slice(), l2, iterations, converged);
  }

  /** P(y = 1) for each row of a row-major n x d matrix. */
  predict(x: Float32Array, n: number): Float32Array {
    const d = this.coef.length;
    if (x.length !== n * d)
      throw new Error(
        `LogisticRegression.predict: x has ${x.length} values, expected n x d = ${n} x ${d}`,
      );
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let t = this.intercept;
      for (let j = 0; j < d; j++) t += this.coef[j] * x[i * d + j];
      out[i] = sigmoid(t);
    }
    return out;
  }

  toJSON(): LogisticRegressionJSON {
    return {
      kind: 'logistic-regression',
      version: 1,
      intercept: this.intercept,
      coefficients: this.coefficients,
      l2: this.l2,
      iterations: this.iterations,
      converged: this.converged,
    };
  }

  static fromJSON(json: unknown): LogisticRegression {
    const parsed = jsonSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(`LogisticRegression.fromJSON: ${z.prettifyError(parsed.error)}`);
    const j = parsed.data;
    return new LogisticRegression(
      j.intercept,
      Float64Array.from(j.coefficients),
      j.l2,
      j.iterations,
      j.converged,
    );
  }
}
