// AutoETS: fits every admissible additive-error ETS candidate and keeps the one with the lowest
// AICc, in the spirit of statsforecast's AutoETS (which also tries multiplicative errors).
import { etsName, type EtsSeason, type EtsSpec, type EtsTrend } from './ets-core';
import { Ets, EtsFitError, type EtsFit, type EtsOptions } from './ets';
import {
  checkPredictArgs,
  checkSeasonLength,
  ForecastInputError,
  normalForecast,
  toSeries,
  type FitOptions,
  type Forecast,
  type ForecastModel,
} from './types';

export interface AutoEtsOptions extends Omit<EtsOptions, 'trend' | 'season'> {
  /** Trends tried; default ['N', 'A', 'Ad']. */
  trends?: EtsTrend[];
  /** Seasons tried; default ['N', 'A', 'M'] ('M' only when y > 0, seasons only when n > m ≥ 2). */
  seasons?: EtsSeason[];
}

export interface AutoEtsCandidate {
  name: string;
  aicc: number;
  /** Why the candidate was not fitted, when it was not. */
  skipped?: string;
}

/**
 * Candidate set: ETS(A, {N, A, Ad}, {N, A, M}). Candidates that cannot be fitted (too few values
 * for their parameter count, multiplicative season on non-positive data, season longer than the
 * history) are skipped and listed in `candidates`. A constant series gets a flat forecast at its
 * value with zero-width intervals (statsforecast fits ETS(A,N,N) with α = 0.9999 there, which gives
 * the same point forecast).
 */
export class AutoEts implements ForecastModel {
  readonly name = 'AutoETS';
  private m: number;
  private readonly opts: AutoEtsOptions;
  private best: Ets | null = null;
  private constant: number | null = null;
  private tried: AutoEtsCandidate[] = [];

  constructor(opts: AutoEtsOptions = {}) {
    this.opts = opts;
    this.m = checkSeasonLength(this.name, opts.seasonLength ?? 7);
  }

  /** The chosen model's fit (throws before fit() and for a constant series). */
  get selected(): EtsFit {
    if (!this.best) {
      throw new ForecastInputError(
        this.constant !== null
          ? `${this.name}: the series is constant, no ETS model was fitted`
          : `${this.name}: call fit() first`,
      );
    }
    return this.best.fitted;
  }

  /** Every candidate of the last fit with its AICc (Infinity when skipped), in the order tried. */
  get candidates(): readonly AutoEtsCandidate[] {
    return this.tried;
  }

  fit(y: ArrayLike<number>, opts?: FitOptions): this {
    if (opts?.seasonLength !== undefined) this.m = checkSeasonLength(this.name, opts.seasonLength);
    const x = toSeries(y, this.name, 1);
    this.best = null;
    this.constant = null;
    this.tried = [];
    if (x.every((v) => v === x[0])) {
      this.constant = x[0]!;
      return this;
    }
    const positive = x.every((v) => v > 0);
    const m = this.m;
    let bestAicc = Infinity;
    for (const season of this.opts.seasons ?? ['N', 'A', 'M']) {
      for (const trend of this.opts.trends ?? ['N', 'A', 'Ad']) {
        const spec: EtsSpec = { trend, season };
        const name = etsName(spec);
        let why: string | undefined;
        if (season !== 'N' && m < 2) why = 'no season (seasonLength 1)';
        else if (season !== 'N' && x.length <= m)
          why = `history of ${x.length} ≤ seasonLength ${m}`;
        else if (season === 'M' && !positive) why = 'multiplicative season needs y > 0';
        if (why) {
          this.tried.push({ name, aicc: Infinity, skipped: why });
          continue;
        }
        const model = new Ets({ ...this.opts, trend, season, seasonLength: m });
        try {
          model.fit(x);
        } catch (e) {
          if (!(e instanceof ForecastInputError || e instanceof EtsFitError)) throw e;
          this.tried.push({ name, aicc: Infinity, skipped: e.message });
          continue;
        }
        const aicc = model.fitted.aicc;
        this.tried.push({ name, aicc });
        if (aicc < bestAicc) {
          bestAicc = aicc;
          this.best = model;
        }
      }
    }
    if (!this.best) {
      throw new ForecastInputError(
        `${this.name}.fit: no candidate could be fitted to ${x.length} values: ${this.tried.map((c) => `${c.name}: ${c.skipped ?? 'AICc not finite'}`).join('; ')}`,
      );
    }
    return this;
  }

  predict(h: number, level = 80): Forecast {
    checkPredictArgs(this.name, this.best !== null || this.constant !== null, h, level);
    if (this.best) return this.best.predict(h, level);
    const mean = new Float64Array(h).fill(this.constant as number);
    return normalForecast(mean, new Float64Array(h), level, this.opts.nonNegative ?? true);
  }
}
