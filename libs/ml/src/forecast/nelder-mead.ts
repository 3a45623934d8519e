// Deterministic bounded Nelder–Mead minimiser (the variant statsforecast's ETS uses: adaptive
// coefficients, box constraints by clamping, stop when the simplex values' std falls below tolStd).
// Allocation-light: all work arrays are allocated once per call.

export interface NelderMeadOptions {
  /** Relative size of the initial simplex steps; default 0.05. */
  initStep?: number;
  /** Step for a coordinate that starts at 0; default 1e-4. */
  zeroPert?: number;
  /** Stop when the population std of the simplex values is below this; default 1e-4. */
  tolStd?: number;
  /** Maximum iterations; default 1000. */
  maxIter?: number;
}

export interface NelderMeadResult {
  x: Float64Array;
  fx: number;
  iterations: number;
}

/** Minimises f over the box [lower, upper] starting from x0. f may return Infinity for infeasible points. */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  opts: NelderMeadOptions = {},
): NelderMeadResult {
  const n = x0.length;
  const initStep = opts.initStep ?? 0.05;
  const zeroPert = opts.zeroPert ?? 1e-4;
  const tolStd = opts.tolStd ?? 1e-4;
  const maxIter = opts.maxIter ?? 1000;
  const alpha = 1;
  const gamma = 1 + 2 / n;
  const rho = 0.75 - 1 / (2 * n);
  const sigma = 1 - 1 / n;
  const lo = Float64Array.from(lower);
  const hi = Float64Array.from(upper);
  const clamp = (v: Float64Array): Float64Array => {
    for (let j = 0; j < n; j++) v[j] = Math.min(Math.max(v[j], lo[j]), hi[j]);
    return v;
  };
  const rows = n + 1;
  // the running column sums of the simplex (for the centroid) are refreshed every 64 iterations
  const simplex = new Float64Array(rows * n);
  const fs = new Float64Array(rows);
  const row = (i: number): Float64Array => simplex.subarray(i * n, i * n + n);
  const start = clamp(Float64Array.from(x0));
  for (let i = 0; i < rows; i++) row(i).set(start);
  for (let i = 0; i < n; i++) {
    const v = simplex[i * n + i];
    const p = v === 0 ? zeroPert : v * (1 + initStep);
    simplex[i * n + i] = Math.min(Math.max(p, lo[i]), hi[i]);
  }
  for (let i = 0; i < rows; i++) fs[i] = f(row(i));
  const colSum = new Float64Array(n);
  const resum = (): void => {
    colSum.fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) colSum[j] += simplex[i * n + j];
  };
  resum();
  // replaces the worst vertex (row offset w) by v
  const replace = (w: number, v: Float64Array): void => {
    for (let j = 0; j < n; j++) colSum[j] += v[j] - simplex[w + j];
    simplex.set(v, w);
  };
  const xo = new Float64Array(n);
  const xr = new Float64Array(n);
  const xt = new Float64Array(n);
  let best: number;
  let it = 0;
  for (; it < maxIter; it++) {
    if ((it & 63) === 63) resum();
    // best, worst, second worst
    best = 0;
    let worst = 0;
    for (let i = 1; i < rows; i++) {
      if (fs[i] < fs[best]) best = i;
      if (fs[i] > fs[worst] || (fs[i] === fs[worst] && i > worst)) worst = i;
    }
    if (worst === best) worst = best === 0 ? 1 : 0;
    let second = best;
    for (let i = 0; i < rows; i++) {
      if (i !== worst && (second === best || fs[i] > fs[second])) second = i;
    }
    if (second === best) second = worst;
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += fs[i];
    mean /= rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (fs[i] - mean) * (fs[i] - mean);
    if (Math.sqrt(v / rows) < tolStd) break;
    // centroid without the worst, from the running column sums
    const w = worst * n;
    for (let j = 0; j < n; j++) xo[j] = (colSum[j] - simplex[w + j]) / n;
    for (let j = 0; j < n; j++) xr[j] = xo[j] + alpha * (xo[j] - simplex[w + j]);
    clamp(xr);
    const fr = f(xr);
    if (fs[best] <= fr && fr < fs[second]) {
      replace(w, xr);
      fs[worst] = fr;
      continue;
    }
    if (fr < fs[best]) {
      for (let j = 0; j < n; j++) xt[j] = xo[j] + gamma * (xr[j] - xo[j]);
      clamp(xt);
      const fe = f(xt);
      if (fe < fr) {
        replace(w, xt);
        fs[worst] = fe;
      } else {
        replace(w, xr);
        fs[worst] = fr;
      }
      continue;
    }
    if (fs[second] <= fr && fr < fs[worst]) {
      for (let j = 0; j < n; j++) xt[j] = xo[j] + rho * (xr[j] - xo[j]);
      clamp(xt);
      const fc = f(xt);
      if (fc <= fr) {
        replace(w, xt);
        fs[worst] = fc;
        continue;
      }
    } else {
      for (let j = 0; j < n; j++) xt[j] = xo[j] - rho * (xr[j] - xo[j]);
      clamp(xt);
      const fc = f(xt);
      if (fc < fs[worst]) {
        replace(w, xt);
        fs[worst] = fc;
        continue;
      }
    }
    // shrink towards the best vertex
    const b = best * n;
    for (let i = 0; i < rows; i++) {
      if (i === best) continue;
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        simplex[k] = simplex[b + j] + sigma * (simplex[k] - simplex[b + j]);
      }
      const r = row(i);
      clamp(r);
      fs[i] = f(r);
    }
    resum();
  }
  best = 0;
  for (let i = 1; i < rows; i++) if (fs[i] < fs[best]) best = i;
  return { x: row(best).slice(), fx: fs[best], iterations: it + 1 };
}
