// replenish(): reorder point, order-up-to level, safety stock, order quantity, projected stock-out
// date and action for one SKU, from its daily quantile forecast, by a seeded (deterministic) Monte
// Carlo over demand paths and, optionally, the lead time. Pure computation, no I/O.
import { fitDailyDistribution, type SplitNormalDay } from './daily-distribution';
import { NormalScores } from './normal-scores';
import {
  ReplenishmentInputError,
  type DailyQuantiles,
  type DemandSummary,
  type Replenishment,
  type ReplenishmentPolicy,
  type StockPosition,
} from './types';

export const REPLENISHMENT_DEFAULTS = {
  serviceLevel: 0.95,
  reviewPeriodDays: 1,
  samples: 4000,
  seed: 1,
  dayCorrelation: 0,
} as const;

/** Longest lead time and review period accepted, in days. */
export const MAX_LEAD_TIME_DAYS = 365;
/** Days of the horizon's tail repeated beyond the forecast (a week). */
export const EXTENSION_PATTERN_DAYS = 7;

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface ResolvedPolicy {
  serviceLevel: number;
  reviewPeriodDays: number;
  samples: number;
  seed: number;
  overstockDays: number;
  dayCorrelation: number;
}

function fail(field: string, message: string): never {
  throw new ReplenishmentInputError(field, message);
}

function finiteIn(field: string, v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    fail(field, `${field} is ${String(v)}, expected ${what}`);
  }
  return v;
}

function parseDay(field: string, date: unknown): number {
  const m = typeof date === 'string' ? DATE_RE.exec(date) : null;
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (new Date(ms).toISOString().slice(0, 10) === date) return ms;
  }
  return fail(field, `${field} is ${JSON.stringify(date)}, expected a calendar date YYYY-MM-DD`);
}

function validateForecast(forecast: readonly DailyQuantiles[]): SplitNormalDay[] {
  const raw: unknown = forecast;
  if (!Array.isArray(raw)) {
    fail('forecast', 'forecast is not an array, expected daily quantiles');
  }
  if (forecast.length === 0) {
    fail('forecast', 'forecast is empty, expected at least one day of quantiles');
  }
  const days: SplitNormalDay[] = [];
  let prev = 0;
  forecast.forEach((d, i) => {
    const field = `forecast[${i}]`;
    const ms = parseDay(`${field}.date`, d.date);
    if (i > 0 && ms !== prev + DAY_MS) {
      fail(
        `${field}.date`,
        `${field}.date is ${d.date}, expected ${new Date(prev + DAY_MS).toISOString().slice(0, 10)} (days must be consecutive)`,
      );
    }
    prev = ms;
    days.push(fitDailyDistribution(d, field, d.date));
  });
  return days;
}

function validateStock(stock: StockPosition): Required<StockPosition> {
  const onHand = finiteIn('stock.onHand', stock.onHand, -Infinity, Infinity, 'a finite number');
  const onOrder = finiteIn('stock.onOrder', stock.onOrder, 0, Infinity, 'a finite number ≥ 0');
  const leadTimeDays = finiteIn(
    'stock.leadTimeDays',
    stock.leadTimeDays,
    0,
    MAX_LEAD_TIME_DAYS,
    `a number of days in [0, ${MAX_LEAD_TIME_DAYS}]`,
  );
  const leadTimeStdDays = finiteIn(
    'stock.leadTimeStdDays',
    stock.leadTimeStdDays ?? 0,
    0,
    MAX_LEAD_TIME_DAYS,
    `a number of days in [0, ${MAX_LEAD_TIME_DAYS}]`,
  );
  return { onHand, onOrder, leadTimeDays, leadTimeStdDays };
}

function resolvePolicy(policy: Partial<ReplenishmentPolicy>, leadTimeDays: number): ResolvedPolicy {
  const d = REPLENISHMENT_DEFAULTS;
  const serviceLevel = policy.serviceLevel ?? d.serviceLevel;
  if (typeof serviceLevel !== 'number' || !(serviceLevel > 0 && serviceLevel < 1)) {
    fail(
      'policy.serviceLevel',
      `policy.serviceLevel is ${String(serviceLevel)}, expected a probability in (0, 1)`,
    );
  }
  const reviewPeriodDays = finiteIn(
    'policy.reviewPeriodDays',
    policy.reviewPeriodDays ?? d.reviewPeriodDays,
    0,
    MAX_LEAD_TIME_DAYS,
    `a number of days in [0, ${MAX_LEAD_TIME_DAYS}]`,
  );
  const samples = policy.samples ?? d.samples;
  if (!Number.isInteger(samples) || samples < 1 || samples > 10_000_000) {
    fail('policy.samples', `policy.samples is ${String(samples)}, expected an integer in [1, 1e7]`);
  }
  const seed = policy.seed ?? d.seed;
  if (!Number.isInteger(seed)) {
    fail('policy.seed', `policy.seed is ${String(seed)}, expected an integer`);
  }
  const overstockDays = finiteIn(
    'policy.overstockDays',
    policy.overstockDays ?? 2 * (leadTimeDays + reviewPeriodDays),
    0,
    Infinity,
    'a finite number of days ≥ 0',
  );
  const dayCorrelation = policy.dayCorrelation ?? d.dayCorrelation;
  if (typeof dayCorrelation !== 'number' || !(dayCorrelation > -1 && dayCorrelation < 1)) {
    fail(
      'policy.dayCorrelation',
      `policy.dayCorrelation is ${String(dayCorrelation)}, expected a correlation in (−1, 1)`,
    );
  }
  return { serviceLevel, reviewPeriodDays, samples, seed, overstockDays, dayCorrelation };
}

/** Index into the forecast of day t ≥ 0: the forecast itself, then its last week repeated. */
export function extendedDayIndex(t: number, horizon: number): number {
  if (t < horizon) return t;
  const p = Math.min(EXTENSION_PATTERN_DAYS, horizon);
  return horizon - p + ((t - horizon) % p);
}

/** Hoare quickselect: reorders x so that x[k] is its k-th smallest, smaller before, larger after. */
function select(x: Float64Array, k: number): number {
  let lo = 0;
  let hi = x.length - 1;
  while (hi > lo) {
    const p0 = x[lo];
    const p1 = x[(lo + hi) >> 1];
    const p2 = x[hi];
    const pivot = Math.max(Math.min(p0, p1), Math.min(Math.max(p0, p1), p2));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (x[i] < pivot) i++;
      while (x[j] > pivot) j--;
      if (i <= j) {
        const tmp = x[i];
        x[i] = x[j];
        x[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return x[k];
  }
  return x[k];
}

/**
 * Linear-interpolation (type 7, R's default) τ-quantile of the values, τ ∈ [0, 1]: with
 * h = (n − 1)τ, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) over the order statistics. O(n); reorders x.
 */
export function sampleQuantile(x: Float64Array, tau: number): number {
  const n = x.length;
  if (n === 0) throw new RangeError('sampleQuantile: no values');
  const h = (n - 1) * tau;
  const lo = Math.floor(h);
  const v = select(x, lo);
  if (lo + 1 >= n || h === lo) return v;
  let next = Infinity;
  for (let i = lo + 1; i < n; i++) if (x[i] < next) next = x[i];
  return v + (h - lo) * (next - v);
}

/** Mean, std, median and τ-quantile of the samples (reorders them). */
function summarise(samples: Float64Array, tau: number): DemandSummary {
  const n = samples.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (samples[i] - mean) ** 2;
  return {
    mean,
    p50: sampleQuantile(samples, 0.5),
    pService: sampleQuantile(samples, tau),
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
  };
}

/**
 * Monte Carlo demand over [0, ℓ) and [0, ℓ + R) per path. Day t's demand covers [t, t+1) at a
 * constant rate, so a fractional last day counts pro rata. Scores are N(0, 1) from NormalScores(seed)
 * (mulberry32 + Box–Muller), AR(1) with coefficient ρ across days of one path; the lead time, when uncertain, is
 * max(0, L + σ_L·Z), drawn first on each path.
 */
function simulate(
  days: readonly SplitNormalDay[],
  stock: Required<StockPosition>,
  p: ResolvedPolicy,
): { lead: Float64Array; leadReview: Float64Array } {
  const scores = new NormalScores(p.seed);
  const h = days.length;
  // σ(z)·z = A·z + B·|z| with A = (σ_high + σ_low)/2, B = (σ_high − σ_low)/2 (no branch on z's sign).
  // Parameters laid out over the extended days up to the longest path likely (L + R + 8σ_L); paths
  // longer than that (practically never) look their days up with extendedDayIndex.
  const { leadTimeDays: L, leadTimeStdDays: sL } = stock;
  const R = p.reviewPeriodDays;
  const n = Math.max(h, Math.ceil(L + R + 8 * sL) + 1);
  const med = new Float64Array(n);
  const A = new Float64Array(n);
  const B = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const d = days[extendedDayIndex(t, h)];
    med[t] = d.median;
    A[t] = (d.sigmaHigh + d.sigmaLow) / 2;
    B[t] = (d.sigmaHigh - d.sigmaLow) / 2;
  }
  const rho = p.dayCorrelation;
  const innov = Math.sqrt(1 - rho * rho);
  const lead = new Float64Array(p.samples);
  const leadReview = new Float64Array(p.samples);
  for (let i = 0; i < p.samples; i++) {
    let ell = L;
    if (sL > 0) ell = Math.max(0, L + sL * scores.next());
    const end = ell + R;
    const full = Math.floor(ell); // days wholly inside the lead time
    let a = 0;
    let z = 0;
    let t = 0;
    for (; t < full; t++) {
      const e = scores.next();
      z = t === 0 || rho === 0 ? e : rho * z + innov * e;
      const k = t < n ? t : extendedDayIndex(t, h);
      a += Math.max(0, med[k] + A[k] * z + B[k] * Math.abs(z));
    }
    let b = a;
    for (; t < end; t++) {
      const e = scores.next();
      z = t === 0 || rho === 0 ? e : rho * z + innov * e;
      const k = t < n ? t : extendedDayIndex(t, h);
      const d = Math.max(0, med[k] + A[k] * z + B[k] * Math.abs(z));
      const wb = end - t;
      b += wb < 1 ? d * wb : d;
      if (t === full) a += d * (ell - full); // the lead time's fractional last day, pro rata
    }
    lead[i] = a;
    leadReview[i] = b;
  }
  return { lead, leadReview };
}

/**
 * First forecast date on which the projected stock onHand + onOrder·[x ≥ L] − C(x) is < 0, where
 * C(x) is the cumulative P50 demand at time x days (pro rata within a day) and the on-order quantity
 * arrives at x = leadTimeDays. Only the forecast's own dates are searched.
 */
export function projectStockout(
  forecast: readonly DailyQuantiles[],
  onHand: number,
  onOrder: number,
  leadTimeDays: number,
): string | null {
  let cum = 0;
  for (let t = 0; t < forecast.length; t++) {
    const p50 = forecast[t].p50;
    if (leadTimeDays > t && leadTimeDays <= t + 1) {
      // Lowest level before the arrival during day t (stock only falls between arrivals).
      if (onHand - (cum + (leadTimeDays - t) * p50) < 0) return forecast[t].date;
    }
    cum += p50;
    const arrived = leadTimeDays <= t + 1 ? onOrder : 0;
    if (onHand + arrived - cum < 0) return forecast[t].date;
  }
  return null;
}

function methodText(stock: Required<StockPosition>, p: ResolvedPolicy, horizon: number): string {
  const lt =
    stock.leadTimeStdDays > 0
      ? `lead time max(0, N(${stock.leadTimeDays}, ${stock.leadTimeStdDays}²)) days sampled per path`
      : `lead time ${stock.leadTimeDays} days`;
  const corr =
    p.dayCorrelation === 0
      ? 'independent days'
      : `days correlated AR(1) ρ=${p.dayCorrelation} on the Gaussian scores`;
  return (
    `split normal per day (σ_low=(p50−p10)/Φ⁻¹(0.9), σ_high=(p90−p50)/Φ⁻¹(0.9), censored at 0); ${corr}; ` +
    `Monte Carlo ${p.samples} paths, mulberry32 seed ${p.seed}; ${lt}, review ${p.reviewPeriodDays} days, fractional day pro rata; ` +
    `beyond the ${horizon}-day horizon the last ${Math.min(EXTENSION_PATTERN_DAYS, horizon)} days repeat; ` +
    `quantiles type 7; service level ${p.serviceLevel}; on order arrives at the lead time`
  );
}

/**
 * Replenishment recommendation for one SKU. Throws ReplenishmentInputError (with `field`) on invalid
 * input. Same input (seed included) → identical output.
 */
export function replenish(
  forecast: readonly DailyQuantiles[],
  stock: StockPosition,
  policy: Partial<ReplenishmentPolicy> = {},
): Replenishment {
  const days = validateForecast(forecast);
  const s = validateStock(stock);
  const p = resolvePolicy(policy, s.leadTimeDays);
  const { lead, leadReview } = simulate(days, s, p);
  const leadTimeDemand = summarise(lead, p.serviceLevel);
  const reorderPoint = leadTimeDemand.pService;
  const orderUpToLevel = summarise(leadReview, p.serviceLevel).pService;
  const position = s.onHand + s.onOrder;
  const gap = orderUpToLevel - position;
  // 1e-9 absorbs float noise so that 30.000000000000004 − 10 orders 20, not 21.
  const recommendedOrderQty = gap > 1e-9 ? Math.ceil(gap - 1e-9) : 0;
  let meanP50 = 0;
  for (const d of forecast) meanP50 += d.p50;
  meanP50 /= forecast.length;
  let action: Replenishment['action'] = 'ok';
  if (position <= reorderPoint && recommendedOrderQty > 0) action = 'reorder';
  else if (position > orderUpToLevel + p.overstockDays * meanP50) action = 'overstock';
  return {
    leadTimeDemand,
    safetyStock: reorderPoint - leadTimeDemand.mean,
    reorderPoint,
    orderUpToLevel,
    recommendedOrderQty,
    projectedStockoutDate: projectStockout(forecast, s.onHand, s.onOrder, s.leadTimeDays),
    action,
    serviceLevel: p.serviceLevel,
    method: methodText(s, p, forecast.length),
  };
}
