// Feature rows of the global quantile demand model: input validation of DemandSeries, the
// vocabularies (category, SKU), per-window scaling and the encoder / decoder feature layout. Pure
// TypeScript, no TensorFlow: one row = one (series, forecast origin), with `horizon` target steps.
import { ForecastInputError } from '../types';

/** One SKU's daily demand history, with optional known-in-advance covariates. */
export interface DemandSeries {
  /** SKU id. */
  id: string;
  category: string;
  /** Daily units, oldest first; day i is the date startDay + i. Finite and ≥ 0. */
  y: Float64Array;
  /** Days since 1970-01-01 of y[0] (the day of week is derived from it). */
  startDay: number;
  /**
   * Price relative to the SKU's usual price, per day, covering history AND the forecast horizon
   * (length ≥ y.length + h to forecast h days). Missing: 1 everywhere.
   */
  price?: Float64Array;
  /** Promotion flag (0/1) per day, same coverage as price. Missing: 0 everywhere. */
  promo?: Float64Array;
}

/** The fixed shape of the feature rows (stored with the model). */
export interface FeatureLayout {
  horizon: number;
  lookback: number;
  /** Whether price/promo features are part of the rows. */
  covariates: boolean;
}

/** Shortest history (days) a training window may have; shorter ones are padded (cold start). */
export const MIN_TRAIN_HISTORY = 14;
const ROLLING = [7, 14, 28] as const;
/** Promo flags of the most recent history days given as separate features (the rest as a share). */
const PROMO_LAGS = 14;

function promoLags(l: FeatureLayout): number {
  return Math.min(PROMO_LAGS, l.lookback);
}

export function encoderFeatureNames(l: FeatureLayout): string[] {
  const names: string[] = [];
  for (let k = 1; k <= l.lookback; k++) names.push(`lag_${k}`);
  for (const w of ROLLING) names.push(`rmean_${w}`);
  names.push('log_scale', 'observed_fraction');
  if (l.covariates) {
    for (let k = 1; k <= promoLags(l); k++) names.push(`promo_lag_${k}`);
    names.push('promo_share', 'mean_price');
  }
  return names;
}

/** Per target step: day-of-week one-hot (Sun … Sat), then price − 1 and promo when covariates. */
export function decoderFeatureCount(l: FeatureLayout): number {
  return 7 + (l.covariates ? 2 : 0);
}

/** 0 = Sunday … 6 = Saturday for a day count since 1970-01-01 (a Thursday). */
export function dayOfWeek(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Maps strings to embedding rows 1…n; row 0 is the shared 'unknown' row. */
export class Vocabulary {
  private readonly index = new Map<string, number>();
  constructor(readonly values: readonly string[]) {
    values.forEach((v, i) => {
      if (this.index.has(v)) throw new ForecastInputError(`Vocabulary: duplicate value '${v}'`);
      this.index.set(v, i + 1);
    });
  }
  static of(items: Iterable<string>): Vocabulary {
    return new Vocabulary([...new Set(items)].sort());
  }
  /** Embedding row of v, 0 when unknown. */
  lookup(v: string): number {
    return this.index.get(v) ?? 0;
  }
  /** Rows including the unknown row. */
  get size(): number {
    return this.values.length + 1;
  }
}

/** Checks y, startDay and the covariates of every series; `needFuture` days of covariates ahead. */
export function validateSeries(where: string, series: DemandSeries[], needFuture: number): void {
  const seen = new Set<string>();
  series.forEach((s, si) => {
    const label = `series ${si} ('${s.id}')`;
    if (typeof s.id !== 'string' || s.id === '')
      throw new ForecastInputError(`${where}: series ${si}: id must be a non-empty string`);
    if (seen.has(s.id)) throw new ForecastInputError(`${where}: ${label}: duplicate id`);
    seen.add(s.id);
    if (typeof s.category !== 'string')
      throw new ForecastInputError(`${where}: ${label}: category must be a string`);
    if (!Number.isInteger(s.startDay))
      throw new ForecastInputError(
        `${where}: ${label}: startDay must be an integer day count, got ${s.startDay}`,
      );
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (!Number.isFinite(v) || v < 0)
        throw new ForecastInputError(
          `${where}: ${label}: y[${i}] is ${String(v)}, expected a finite number ≥ 0`,
        );
    }
    const need = s.y.length + needFuture;
    for (const key of ['price', 'promo'] as const) {
      const c = s[key];
      if (c === undefined) continue;
      if (c.length < need)
        throw new ForecastInputError(
          `${where}: ${label}: ${key} has ${c.length} values, needs ${need} (history ${s.y.length} + ${needFuture} days ahead)`,
        );
      for (let i = 0; i < need; i++) {
        const v = c[i];
        if (!Number.isFinite(v) || v < 0 || (key === 'promo' && v > 1))
          throw new ForecastInputError(
            `${where}: ${label}: ${key}[${i}] is ${String(v)}, expected ${key === 'promo' ? 'a flag in [0, 1]' : 'a finite relative price ≥ 0'}`,
          );
      }
    }
  });
}

/** Scale of the window at origin t: mean of y[t − lookback … t − 1] (the days available) + 1. */
export function windowScale(s: DemandSeries, t: number, lookback: number): number {
  const avail = Math.min(t, lookback);
  let sum = 0;
  for (let k = 1; k <= avail; k++) sum += s.y[t - k];
  return (avail > 0 ? sum / avail : 0) + 1;
}

/** A block of rows ready for the network. */
export interface RowBlock {
  n: number;
  /** n × encoderFeatureNames(layout).length. */
  enc: Float32Array;
  /** Category embedding rows (n). */
  cat: Float32Array;
  /** SKU embedding rows (n). */
  sku: Float32Array;
  /** n × horizon × decoderFeatureCount(layout). */
  dec: Float32Array;
  /** Scaled targets n × horizon (zeros when the targets are unknown, i.e. forecasting). */
  y: Float32Array;
  /** Scale of each row: mean of the last `lookback` history days (those available) + 1. */
  scale: Float64Array;
  /** History shorter than lookback (padded). */
  coldStart: Uint8Array;
}

export function allocRows(l: FeatureLayout, n: number): RowBlock {
  const e = encoderFeatureNames(l).length;
  return {
    n,
    enc: new Float32Array(n * e),
    cat: new Float32Array(n),
    sku: new Float32Array(n),
    dec: new Float32Array(n * l.horizon * decoderFeatureCount(l)),
    y: new Float32Array(n * l.horizon),
    scale: new Float64Array(n),
    coldStart: new Uint8Array(n),
  };
}

/**
 * Writes row r of `out` for series s at origin t (the model sees y[0 … t−1] and predicts
 * y[t … t+horizon−1]). Targets past the end of y are left 0 (forecasting); covariates past the end
 * of their arrays default to price 1, promo 0.
 */
export function writeRow(
  l: FeatureLayout,
  out: RowBlock,
  r: number,
  s: DemandSeries,
  t: number,
  catRow: number,
  skuRow: number,
): void {
  const L = l.lookback;
  const H = l.horizon;
  const e = encoderFeatureNames(l).length;
  const avail = Math.min(t, L);
  const scale = windowScale(s, t, L);
  const histMean = scale - 1;
  const inv = 1 / scale;
  const enc = out.enc.subarray(r * e, (r + 1) * e);
  const pad = histMean * inv;
  for (let k = 1; k <= L; k++) enc[k - 1] = k <= avail ? s.y[t - k] * inv : pad;
  let o = L;
  for (const w of ROLLING) {
    const m = Math.min(w, avail);
    let acc = 0;
    for (let k = 1; k <= m; k++) acc += s.y[t - k];
    enc[o++] = m > 0 ? (acc / m) * inv : pad;
  }
  enc[o++] = Math.log(scale);
  enc[o++] = avail / L;
  if (l.covariates) {
    const pl = promoLags(l);
    for (let k = 1; k <= pl; k++)
      enc[o++] = k <= avail && s.promo !== undefined ? s.promo[t - k] : 0;
    let promoSum = 0;
    let priceSum = 0;
    for (let k = 1; k <= avail; k++) {
      promoSum += s.promo !== undefined ? s.promo[t - k] : 0;
      priceSum += s.price !== undefined ? s.price[t - k] - 1 : 0;
    }
    enc[o++] = avail > 0 ? promoSum / avail : 0;
    enc[o] = avail > 0 ? priceSum / avail : 0;
  }
  out.cat[r] = catRow;
  out.sku[r] = skuRow;
  const f = decoderFeatureCount(l);
  const dec = out.dec.subarray(r * H * f, (r + 1) * H * f);
  dec.fill(0);
  const ys = out.y.subarray(r * H, (r + 1) * H);
  for (let j = 0; j < H; j++) {
    const day = t + j;
    dec[j * f + dayOfWeek(s.startDay + day)] = 1;
    if (l.covariates) {
      const price = s.price !== undefined && day < s.price.length ? s.price[day] : 1;
      const promo = s.promo !== undefined && day < s.promo.length ? s.promo[day] : 0;
      dec[j * f + 7] = price - 1;
      dec[j * f + 8] = promo;
    }
    ys[j] = day < s.y.length ? s.y[day] * inv : 0;
  }
  out.scale[r] = scale;
  out.coldStart[r] = avail < L ? 1 : 0;
}
