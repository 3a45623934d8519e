// ETS with additive errors — level, optional (damped) additive trend, optional additive or
// multiplicative season — fitted by maximum likelihood with a deterministic Nelder–Mead, with
// AICc on statsforecast's likelihood definition and analytical (class 1) or simulated intervals.
import { seededRandom } from '../models';
import {
  class1Variance,
  etsName,
  filterSse,
  initialStates,
  loadState,
  pointForecast,
  stateCount,
  type EtsParams,
  type EtsSeason,
  type EtsSpec,
  type EtsState,
  type EtsTrend,
} from './ets-core';
import { nelderMead } from './nelder-mead';
import {
  checkPredictArgs,
  checkSeasonLength,
  finaliseForecast,
  ForecastInputError,
  normalForecast,
  toSeries,
  type BaselineOptions,
  type FitOptions,
  type Forecast,
  type ForecastModel,
} from './types';

export interface EtsOptions extends BaselineOptions {
  /** Trend: 'N' none, 'A' additive, 'Ad' damped additive. Default 'N'. */
  trend?: EtsTrend;
  /** Season: 'N' none, 'A' additive, 'M' multiplicative. Default 'A'. */
  season?: EtsSeason;
  /** Season length; default 7. */
  seasonLength?: number;
  /** Nelder–Mead iteration cap; default 1000 (statsforecast's). */
  maxIter?: number;
  /**
   * Nelder–Mead runs after the first, each restarted from the best point so far; default 1. For a
   * seasonal model with fitInitialSeason, the first run keeps the seasonal states at their
   * decomposition values (warm start) and the later runs search over everything.
   */
  restarts?: number;
  /** Sample paths for the intervals of multiplicative-season models; default 1000. */
  nPaths?: number;
  /** Seed of those sample paths; default 42. */
  seed?: number;
  /**
   * Estimate the m − 1 initial seasonal states by maximum likelihood with the rest (default true, as
   * statsforecast). false keeps them at the classical-decomposition values (a 3–5 dimensional
   * search, slightly worse likelihood); they still count in nParams.
   */
  fitInitialSeason?: boolean;
}

/** The fitted model: parameters, states and information criteria. */
export interface EtsFit {
  name: string;
  spec: EtsSpec;
  seasonLength: number;
  params: EtsParams;
  /** [l0, b0?, s_1 … s_{m−1}] as estimated. */
  initialStates: Float64Array;
  n: number;
  sse: number;
  /** −2·log-likelihood up to a constant: n·log(SSE) (statsforecast's `lik` for additive errors). */
  lik: number;
  /** Parameters counted by the criteria: smoothing parameters + initial states + 1 (σ²). */
  nParams: number;
  aic: number;
  aicc: number;
  /** SSE / (n − nParams − 1), the variance statsforecast uses for intervals. */
  sigma2: number;
  iterations: number;
}

/** The optimiser found no point with a finite likelihood (AutoEts skips such a candidate). */
export class EtsFitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtsFitError';
  }
}

const LOWER = { alpha: 1e-4, beta: 1e-4, gamma: 1e-4, phi: 0.8 };
const UPPER = { alpha: 0.9999, beta: 0.9999, gamma: 0.9999, phi: 0.98 };

/** AIC and AICc from lik = −2·log L (up to a constant) and k parameters over n observations. */
export function informationCriteria(
  lik: number,
  k: number,
  n: number,
): { aic: number; aicc: number } {
  const aic = lik + 2 * k;
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Infinity;
  return { aic, aicc };
}

/**
 * One ETS(A, trend, season) model. Parameters: α ∈ [1e-4, 0.9999], β = α·β′ and γ = (1−α)·γ′
 * with β′, γ′ ∈ [1e-4, 0.9999] (the usual region 0 < β < α, 0 < γ < 1 − α), φ ∈ [0.8, 0.98]; they
 * and the initial states are estimated jointly by minimising n·log(SSE). Start values and the
 * initial-state heuristic follow statsforecast. Intervals: class-1 analytical variance for the
 * additive-season models, simulated paths (fixed seed) for multiplicative seasonality.
 */
export class Ets implements ForecastModel {
  readonly name: string;
  private readonly spec: EtsSpec;
  private m: number;
  private readonly o: Required<Omit<EtsOptions, 'trend' | 'season' | 'seasonLength'>>;
  private result: EtsFit | null = null;
  private state: EtsState | null = null;

  constructor(opts: EtsOptions = {}) {
    this.spec = { trend: opts.trend ?? 'N', season: opts.season ?? 'A' };
    this.name = etsName(this.spec);
    this.m = checkSeasonLength(this.name, opts.seasonLength ?? 7);
    this.o = {
      nonNegative: opts.nonNegative ?? true,
      maxIter: opts.maxIter ?? 1000,
      restarts: opts.restarts ?? 1,
      nPaths: opts.nPaths ?? 1000,
      seed: opts.seed ?? 42,
      fitInitialSeason: opts.fitInitialSeason ?? true,
    };
  }

  /** The fit of the last fit() call. */
  get fitted(): EtsFit {
    if (!this.result) throw new ForecastInputError(`${this.name}: call fit() first`);
    return this.result;
  }

  /** A copy of the state after the fitted history (level, trend, seasonal ring). */
  get finalState(): EtsState {
    if (!this.state) throw new ForecastInputError(`${this.name}: call fit() first`);
    return { ...this.state, ring: this.state.ring.slice() };
  }

  fit(y: ArrayLike<number>, opts?: FitOptions): this {
    if (opts?.seasonLength !== undefined) this.m = checkSeasonLength(this.name, opts.seasonLength);
    const x = toSeries(y, this.name, 4);
    const { spec } = this;
    const seasonal = spec.season !== 'N';
    const m = seasonal ? this.m : 1;
    const n = x.length;
    if (seasonal && m < 2)
      throw new ForecastInputError(
        `${this.name}.fit: a seasonal model needs seasonLength ≥ 2, got ${m}`,
      );
    if (seasonal && n <= m) {
      throw new ForecastInputError(
        `${this.name}.fit: y has ${n} values, a seasonal model needs more than seasonLength = ${m}`,
      );
    }
    if (spec.season === 'M') {
      const i = x.findIndex((v) => v <= 0);
      if (i >= 0)
        throw new ForecastInputError(
          `${this.name}.fit: multiplicative seasonality needs y > 0, y[${i}] = ${x[i]}`,
        );
    }
    const hasTrend = spec.trend !== 'N';
    const damped = spec.trend === 'Ad';
    const ns = stateCount(spec, m);
    const nSmooth = 1 + (hasTrend ? 1 : 0) + (seasonal ? 1 : 0) + (damped ? 1 : 0);
    const k = nSmooth + ns + 1;
    if (k >= n - 1) {
      throw new ForecastInputError(
        `${this.name}.fit: y has ${n} values, too few for ${k} parameters (needs at least ${k + 2})`,
      );
    }
    // start values as statsforecast's initparam
    const alpha0 = LOWER.alpha + (0.2 * (UPPER.alpha - LOWER.alpha)) / m;
    const beta0 = LOWER.beta + 0.1 * (Math.min(UPPER.beta, alpha0) - LOWER.beta);
    const gamma0 = LOWER.gamma + 0.05 * (Math.min(UPPER.gamma, 1 - alpha0) - LOWER.gamma);
    const phi0 = LOWER.phi + 0.99 * (UPPER.phi - LOWER.phi);
    // the full vector: smoothing parameters (α, β′, γ′, φ as present) then the initial states
    const dim = nSmooth + ns;
    const full = new Float64Array(dim);
    const lo = new Float64Array(dim).fill(-Infinity);
    const hi = new Float64Array(dim).fill(Infinity);
    let j = 0;
    const put = (v: number, l: number, u: number): void => {
      full[j] = v;
      lo[j] = l;
      hi[j] = u;
      j++;
    };
    put(alpha0, LOWER.alpha, UPPER.alpha);
    if (hasTrend) put(beta0 / alpha0, LOWER.beta, UPPER.beta);
    if (seasonal) put(gamma0 / (1 - alpha0), LOWER.gamma, UPPER.gamma);
    if (damped) put(phi0, LOWER.phi, UPPER.phi);
    full.set(initialStates(x, m, spec), nSmooth);

    const st: EtsState = { level: 0, trend: 0, ring: new Float64Array(m), t: 0 };
    const par: EtsParams = { alpha: 0, beta: 0, gamma: 0, phi: 1 };
    const decode = (v: ArrayLike<number>): void => {
      let i = 0;
      par.alpha = v[i++];
      par.beta = hasTrend ? par.alpha * v[i++] : 0;
      par.gamma = seasonal ? (1 - par.alpha) * v[i++] : 0;
      par.phi = damped ? v[i] : 1;
    };
    let iterations = 0;
    let bestFx = Infinity;
    // Nelder–Mead over the first d entries of `full` (the rest fixed), `runs` times, each run
    // restarted from the previous best; writes the best point back into `full`.
    const search = (d: number, runs: number): void => {
      const objective = (v: Float64Array): number => {
        decode(v);
        for (let i = nSmooth; i < d; i++) full[i] = v[i];
        if (!loadState(full, nSmooth, spec, m, st)) return Infinity;
        const sse = filterSse(x, spec, par, m, st);
        const lik = n * Math.log(sse > 0 ? sse : sse + 1e-8);
        return Number.isFinite(lik) ? lik : Infinity;
      };
      let start: Float64Array = full.slice(0, d);
      const l = lo.subarray(0, d);
      const u = hi.subarray(0, d);
      let best: { x: Float64Array; fx: number } = { x: start, fx: objective(start) };
      for (let r = 0; r < runs; r++) {
        const next = nelderMead(objective, start, l, u, { maxIter: this.o.maxIter });
        iterations += next.iterations;
        if (next.fx <= best.fx) best = next;
        start = best.x;
      }
      full.set(best.x);
      bestFx = best.fx;
    };
    const reduced = seasonal ? dim - (m - 1) : dim;
    if (!this.o.fitInitialSeason || !seasonal) {
      search(reduced, 1 + this.o.restarts);
    } else {
      // warm start: the seasonal states fixed first (a 3–5 dimensional search), then everything
      search(reduced, 1);
      search(dim, this.o.restarts);
    }
    if (!Number.isFinite(bestFx)) {
      throw new EtsFitError(`${this.name}.fit: the likelihood is not finite at any point tried`);
    }
    decode(full);
    loadState(full, nSmooth, spec, m, st);
    const sse = filterSse(x, spec, par, m, st);
    const lik = n * Math.log(sse > 0 ? sse : sse + 1e-8);
    const ic = informationCriteria(lik, k, n);
    this.state = st;
    this.result = {
      name: this.name,
      spec: { ...spec },
      seasonLength: m,
      params: { ...par },
      initialStates: full.slice(nSmooth),
      n,
      sse,
      lik,
      nParams: k,
      aic: ic.aic,
      aicc: ic.aicc,
      sigma2: sse / (n - k - 1),
      iterations,
    };
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.result !== null, h, level);
    const fit = this.result as EtsFit;
    const st = this.state as EtsState;
    const mean = pointForecast(fit.spec, fit.params.phi, fit.seasonLength, st, h);
    if (fit.spec.season !== 'M') {
      const v = class1Variance(fit.spec, fit.params, fit.seasonLength, fit.sigma2, h);
      const sd = v.map((x) => Math.sqrt(Math.max(x, 0)));
      return normalForecast(mean, sd, level, this.o.nonNegative);
    }
    const lo = 0.5 - level / 200;
    const [p10, p90] = simulateQuantiles(fit, st, h, this.o.nPaths, this.o.seed, [lo, 1 - lo]);
    return finaliseForecast({ mean, p10: p10, p50: mean.slice(), p90: p90 }, this.o.nonNegative);
  }
}

/**
 * Quantiles per step of nPaths simulated futures (errors N(0, σ²) from a seeded generator, same
 * recursions as the fit), linear interpolation between order statistics.
 */
export function simulateQuantiles(
  fit: EtsFit,
  from: EtsState,
  h: number,
  nPaths: number,
  seed: number,
  taus: readonly number[],
): Float64Array[] {
  const rnd = seededRandom(seed);
  const sigma = Math.sqrt(fit.sigma2);
  const { spec, seasonLength: m } = fit;
  const { alpha, gamma } = fit.params;
  const phi = spec.trend === 'Ad' ? fit.params.phi : spec.trend === 'A' ? 1 : 0;
  const ba = spec.trend === 'N' ? 0 : fit.params.beta / alpha;
  const draws = new Float64Array(h * nPaths);
  const ring = new Float64Array(from.ring.length);
  for (let p = 0; p < nPaths; p++) {
    let l = from.level;
    let b = from.trend;
    ring.set(from.ring);
    let j = spec.season === 'N' ? 0 : from.t % m;
    for (let i = 0; i < h; i++) {
      const u = Math.max(rnd(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
      const phib = phi * b;
      const q = l + phib;
      let yi: number;
      let ln: number;
      if (spec.season === 'N') {
        yi = q + sigma * z;
        ln = q + alpha * (yi - q);
      } else {
        const so = ring[j];
        if (spec.season === 'A') {
          yi = q + so + sigma * z;
          ln = q + alpha * (yi - so - q);
          ring[j] = so + gamma * (yi - q - so);
        } else {
          yi = q * so + sigma * z;
          ln = q + alpha * ((Math.abs(so) < 1e-10 ? 1e10 : yi / so) - q);
          ring[j] = so + gamma * ((Math.abs(q) < 1e-10 ? 1e10 : yi / q) - so);
        }
        if (++j === m) j = 0;
      }
      b = phib + ba * (ln - l - phib);
      l = ln;
      draws[i * nPaths + p] = yi;
    }
  }
  const out = taus.map(() => new Float64Array(h));
  for (let i = 0; i < h; i++) {
    const col = draws.subarray(i * nPaths, (i + 1) * nPaths).sort();
    taus.forEach((tau, q) => {
      const pos = tau * (nPaths - 1);
      const a = Math.floor(pos);
      const b = Math.min(a + 1, nPaths - 1);
      out[q][i] = col[a] + (pos - a) * (col[b] - col[a]);
    });
  }
  return out;
}
