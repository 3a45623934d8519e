// Additive-error ETS state-space recursions (Hyndman et al. 2008), allocation-light: initial
// states as statsforecast computes them, the one-step filter giving the SSE, point forecasts and the
// class-1 analytical forecast variances. Used by Ets and AutoEts.

export type EtsTrend = 'N' | 'A' | 'Ad';
export type EtsSeason = 'N' | 'A' | 'M';

export interface EtsSpec {
  trend: EtsTrend;
  season: EtsSeason;
}

/** Smoothing parameters in innovations form (β, γ as in Hyndman et al. 2008). */
export interface EtsParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

const TOL = 1e-10;
const HUGE = 1e10;

/** ETS(A,·,·) name in statsforecast notation, e.g. ETS(A,Ad,M). */
export function etsName(spec: EtsSpec): string {
  return `ETS(A,${spec.trend},${spec.season})`;
}

/** Number of initial states optimised: level, trend, and m − 1 seasonal states (the m-th is implied). */
export function stateCount(spec: EtsSpec, m: number): number {
  return 1 + (spec.trend === 'N' ? 0 : 1) + (spec.season === 'N' ? 0 : m - 1);
}

/** Least squares via normal equations (Gaussian elimination with partial pivoting); X row-major n×p. */
export function leastSquares(
  X: Float64Array,
  y: ArrayLike<number>,
  n: number,
  p: number,
): Float64Array {
  const A = new Float64Array(p * (p + 1));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < p; a++) {
      const xa = X[i * p + a];
      for (let b = 0; b < p; b++) A[a * (p + 1) + b] += xa * X[i * p + b];
      A[a * (p + 1) + p] += xa * y[i];
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++)
      if (Math.abs(A[r * (p + 1) + c]) > Math.abs(A[piv * (p + 1) + c])) piv = r;
    if (piv !== c) {
      for (let k = 0; k <= p; k++) {
        const t = A[c * (p + 1) + k];
        A[c * (p + 1) + k] = A[piv * (p + 1) + k]!;
        A[piv * (p + 1) + k] = t;
      }
    }
    const d = A[c * (p + 1) + c];
    if (Math.abs(d) < 1e-300) continue;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const fct = A[r * (p + 1) + c] / d;
      if (fct === 0) continue;
      for (let k = c; k <= p; k++) A[r * (p + 1) + k] -= fct * A[c * (p + 1) + k];
    }
  }
  const out = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    const d = A[c * (p + 1) + c];
    out[c] = Math.abs(d) < 1e-300 ? 0 : A[c * (p + 1) + p] / d;
  }
  return out;
}

/**
 * Classical decomposition as statsmodels' seasonal_decompose: centred moving average trend (2×m MA
 * for even m), per-position means of the detrended series, normalised to sum 0 (additive) or mean 1
 * (multiplicative). Returns the m seasonal figures, index = t mod m.
 */
export function classicalSeasonal(
  y: Float64Array,
  m: number,
  multiplicative: boolean,
): Float64Array {
  const n = y.length;
  const even = m % 2 === 0;
  const half = even ? m / 2 : (m - 1) / 2;
  const sums = new Float64Array(m);
  const counts = new Float64Array(m);
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (even) {
      s = 0.5 * (y[t - half] + y[t + half]);
      for (let k = t - half + 1; k < t + half; k++) s += y[k];
    } else {
      for (let k = t - half; k <= t + half; k++) s += y[k];
    }
    const trend = s / m;
    sums[t % m] += multiplicative ? y[t] / trend : y[t] - trend;
    counts[t % m] += 1;
  }
  const pa = new Float64Array(m);
  let mean = 0;
  for (let i = 0; i < m; i++) {
    pa[i] = sums[i] / counts[i];
    mean += pa[i];
  }
  mean /= m;
  for (let i = 0; i < m; i++) pa[i] = multiplicative ? pa[i] / mean : pa[i] - mean;
  return pa;
}

/**
 * Initial states as statsforecast's initstate: seasonal figures from a classical decomposition
 * (n ≥ 3m) or from a linear + one-harmonic Fourier regression (n < 3m); level (and trend) from a
 * linear regression on the first max(10, 2m) seasonally adjusted values. Returns
 * [l0, b0?, s_1 … s_{m−1}] where s_1 is the most recent season before the first observation.
 */
export function initialStates(y: Float64Array, m: number, spec: EtsSpec): Float64Array {
  const n = y.length;
  const mult = spec.season === 'M';
  let seasonal: (t: number) => number = () => (mult ? 1 : 0);
  let initSeas = new Float64Array(0);
  if (spec.season !== 'N') {
    let raw: Float64Array;
    if (n >= 3 * m) {
      const pa = classicalSeasonal(y, m, mult);
      raw = new Float64Array(n);
      for (let t = 0; t < n; t++) raw[t] = pa[t % m]!;
    } else {
      const withSin = m !== 2;
      const p = withSin ? 4 : 3;
      const X = new Float64Array(n * p);
      for (let t = 0; t < n; t++) {
        const tt = t + 1;
        X[t * p] = 1;
        X[t * p + 1] = tt;
        X[t * p + 2] = Math.cos((2 * Math.PI * tt) / m);
        if (withSin) X[t * p + 3] = Math.sin((2 * Math.PI * tt) / m);
      }
      const c = leastSquares(X, y, n, p);
      raw = new Float64Array(n);
      for (let t = 0; t < n; t++) {
        const base = c[0] + c[1] * (t + 1);
        raw[t] = mult ? y[t] / base : y[t] - base;
      }
    }
    initSeas = new Float64Array(m - 1);
    for (let i = 0; i < m - 1; i++) initSeas[i] = raw[m - 1 - i]!;
    if (mult) {
      let sum = 0;
      for (let i = 0; i < m - 1; i++) {
        initSeas[i] = Math.max(initSeas[i], 1e-2);
        sum += initSeas[i];
      }
      if (sum > m) {
        const div = sum + 1e-2 * (m - 1);
        for (let i = 0; i < m - 1; i++) initSeas[i] = initSeas[i] / div;
      }
      seasonal = (t) => Math.max(raw[t], 1e-2);
    } else {
      seasonal = (t) => raw[t];
    }
  }
  const maxn = Math.min(Math.max(10, spec.season === 'N' ? 2 : 2 * m), n);
  const ysa = new Float64Array(maxn);
  for (let t = 0; t < maxn; t++) ysa[t] = mult ? y[t] / seasonal(t) : y[t] - seasonal(t);
  const out = new Float64Array(stateCount(spec, m));
  let j = 0;
  if (spec.trend === 'N') {
    let s = 0;
    for (let t = 0; t < maxn; t++) s += ysa[t];
    out[j++] = s / maxn;
  } else {
    const X = new Float64Array(maxn * 2);
    for (let t = 0; t < maxn; t++) {
      X[t * 2] = 1;
      X[t * 2 + 1] = t + 1;
    }
    const c = leastSquares(X, ysa, maxn, 2);
    out[j++] = c[0]!;
    out[j++] = c[1]!;
  }
  out.set(initSeas, j);
  return out;
}

/**
 * Filter state: level, trend and the seasonal ring buffer ring[t mod m] = the seasonal state that
 * time t uses (the one set m steps earlier).
 */
export interface EtsState {
  level: number;
  trend: number;
  ring: Float64Array;
  /** Number of observations consumed; the next observation has index t. */
  t: number;
}

/**
 * Loads the initial states [l0, b0?, s_1 … s_{m−1}] into `st` (s_m = 0 or m minus the others' sum).
 * Returns false when a multiplicative seasonal state would be negative.
 */
export function loadState(
  x0: ArrayLike<number>,
  offset: number,
  spec: EtsSpec,
  m: number,
  st: EtsState,
): boolean {
  let j = offset;
  st.level = x0[j++];
  st.trend = spec.trend === 'N' ? 0 : x0[j++];
  st.t = 0;
  if (spec.season === 'N') return true;
  let sum = 0;
  // s_i (i = 1 … m−1) is the season of time −i; time t uses the state of time t − m, i.e. ring[t mod m]
  // at t = m − i holds s_i, and ring[0] holds s_m.
  for (let i = 1; i < m; i++) {
    const v = x0[j + i - 1];
    st.ring[m - i] = v;
    sum += v;
  }
  st.ring[0] = (spec.season === 'M' ? m : 0) - sum;
  if (spec.season === 'M') {
    for (let i = 0; i < m; i++) if (st.ring[i] < 0) return false;
  }
  return true;
}

/**
 * Runs the recursions over y from state `st` (mutated), returning the sum of squared one-step errors;
 * writes the errors into `errors` when given. Update equations as statsforecast's ETS Update().
 */
export function filterSse(
  y: Float64Array,
  spec: EtsSpec,
  p: EtsParams,
  m: number,
  st: EtsState,
  errors?: Float64Array,
): number {
  const alpha = p.alpha;
  const gamma = p.gamma;
  const phi = spec.trend === 'Ad' ? p.phi : spec.trend === 'A' ? 1 : 0;
  // with no trend phi = 0 and ba = 0 keep b at 0, so one loop serves all three trends
  const ba = spec.trend === 'N' ? 0 : p.beta / alpha;
  const ring = st.ring;
  const n = y.length;
  let l = st.level;
  let b = st.trend;
  let sse = 0;
  if (spec.season === 'N') {
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const phib = phi * b;
      const q = l + phib;
      const e = yi - q;
      if (errors) errors[i] = e;
      sse += e * e;
      const ln = q + alpha * e;
      b = phib + ba * (ln - l - phib);
      l = ln;
    }
  } else if (spec.season === 'A') {
    let j = st.t % m;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const phib = phi * b;
      const q = l + phib;
      const so = ring[j];
      const e = yi - q - so;
      if (errors) errors[i] = e;
      sse += e * e;
      const ln = q + alpha * e;
      b = phib + ba * (ln - l - phib);
      ring[j] = so + gamma * (yi - q - so);
      l = ln;
      if (++j === m) j = 0;
    }
  } else {
    let j = st.t % m;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const phib = phi * b;
      const q = l + phib;
      const so = ring[j];
      const e = yi - q * so;
      if (errors) errors[i] = e;
      sse += e * e;
      const pv = Math.abs(so) < TOL ? HUGE : yi / so;
      const ln = q + alpha * (pv - q);
      b = phib + ba * (ln - l - phib);
      ring[j] = so + gamma * ((Math.abs(q) < TOL ? HUGE : yi / q) - so);
      l = ln;
      if (++j === m) j = 0;
    }
  }
  st.level = l;
  st.trend = b;
  st.t += n;
  return sse;
}

/** Point forecasts for h steps from the filtered state. */
export function pointForecast(
  spec: EtsSpec,
  phi: number,
  m: number,
  st: EtsState,
  h: number,
): Float64Array {
  const f = new Float64Array(h);
  const ph = spec.trend === 'Ad' ? phi : 1;
  let cum = 0;
  let pw = 1;
  for (let i = 0; i < h; i++) {
    pw *= ph;
    cum += pw;
    let v = st.level + (spec.trend === 'N' ? 0 : cum * st.trend);
    if (spec.season !== 'N') {
      const s = st.ring[(st.t + i) % m];
      v = spec.season === 'A' ? v + s : v * s;
    }
    f[i] = v;
  }
  return f;
}

/**
 * Class-1 forecast variances for the additive models (Hyndman et al. 2008, table 6.1), with
 * h_m = ⌊(h−1)/m⌋ evaluated per step. Throws for multiplicative seasonality (no closed form).
 */
export function class1Variance(
  spec: EtsSpec,
  p: EtsParams,
  m: number,
  sigma2: number,
  h: number,
): Float64Array {
  if (spec.season === 'M') throw new Error('class1Variance: ETS(A,·,M) has no class-1 variance');
  const { alpha: a, beta: b, gamma: g } = p;
  const phi = p.phi;
  const out = new Float64Array(h);
  for (let k = 1; k <= h; k++) {
    const hm = spec.season === 'N' ? 0 : Math.floor((k - 1) / m);
    let v: number;
    if (spec.trend === 'Ad') {
      const e2 = (b * phi * k) / (1 - phi) ** 2;
      const e3 = 2 * a * (1 - phi) + b * phi;
      const e4 = (b * phi * (1 - phi ** k)) / ((1 - phi) ** 2 * (1 - phi ** 2));
      const e5 = 2 * a * (1 - phi ** 2) + b * phi * (1 + 2 * phi - phi ** k);
      v = 1 + a * a * (k - 1) + e2 * e3 - e4 * e5;
      if (spec.season === 'A') {
        const pm = phi ** m;
        v += g * hm * (2 * a + g);
        v +=
          ((2 * b * g * phi) / ((1 - phi) * (1 - pm))) *
          (hm * (1 - pm) - pm * (1 - phi ** (m * hm)));
      }
    } else if (spec.trend === 'A') {
      v = 1 + (k - 1) * (a * a + a * b * k + (b * b * k * (2 * k - 1)) / 6);
      if (spec.season === 'A') v += g * hm * (2 * a + g + b * m * (hm + 1));
    } else {
      v = 1 + a * a * (k - 1);
      if (spec.season === 'A') v += g * hm * (2 * a + g);
    }
    out[k - 1] = sigma2 * v;
  }
  return out;
}
