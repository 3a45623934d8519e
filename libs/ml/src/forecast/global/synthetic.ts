// Deterministic synthetic demand for tests and benchmarks of the global model: SKUs of different
// levels (log-uniform), a weekly profile per category, Poisson-like noise, random promotions that
// lift demand, and price cuts during promotions.
import { seededRandom } from '../../models';
import type { DemandSeries } from './features';

export interface SyntheticDemandOptions {
  series: number;
  /** History days. */
  days: number;
  /** Extra covariate days after the history (known-in-advance price/promo); default 28. */
  futureDays?: number;
  seed?: number;
  /** Multiplicative demand lift on promo days; default 1.8. */
  promoLift?: number;
  /** Share of days on promotion; default 0.08. */
  promoRate?: number;
  /** Levels are log-uniform in [minLevel, maxLevel]; default 2 … 200. */
  minLevel?: number;
  maxLevel?: number;
  /** Day count of y[0]; default 20000. */
  startDay?: number;
}

const PROFILES = [
  [1.0, 0.9, 0.9, 1.0, 1.1, 1.4, 1.3],
  [0.7, 1.1, 1.1, 1.0, 1.0, 1.2, 0.9],
  [1.2, 1.0, 0.8, 0.8, 0.9, 1.1, 1.2],
];

/** Standard normal by Box–Muller. */
function normal(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
}

export function syntheticDemand(o: SyntheticDemandOptions): DemandSeries[] {
  const rnd = seededRandom(o.seed ?? 1);
  const future = o.futureDays ?? 28;
  const lift = o.promoLift ?? 1.8;
  const rate = o.promoRate ?? 0.08;
  const lo = Math.log(o.minLevel ?? 2);
  const hi = Math.log(o.maxLevel ?? 200);
  const startDay = o.startDay ?? 20000;
  const out: DemandSeries[] = [];
  for (let k = 0; k < o.series; k++) {
    const cat = k % PROFILES.length;
    const profile = PROFILES[cat];
    const level = Math.exp(lo + (hi - lo) * rnd());
    const trend = (rnd() - 0.5) * 0.004;
    const n = o.days + future;
    const y = new Float64Array(o.days);
    const price = new Float64Array(n).fill(1);
    const promo = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      if (rnd() < rate) {
        promo[t] = 1;
        price[t] = 0.8;
      }
      if (t >= o.days) continue;
      const dow = (((startDay + t + 4) % 7) + 7) % 7;
      const mu = level * profile[dow] * (1 + trend * t) * (promo[t] === 1 ? lift : 1);
      // Poisson-like noise (normal approximation with variance mu, plus 10 % extra dispersion)
      const v = mu + normal(rnd) * Math.sqrt(mu + 0.01 * mu * mu);
      y[t] = Math.max(0, Math.round(v));
    }
    out.push({
      id: `SKU-${String(k).padStart(5, '0')}`,
      category: `cat-${cat}`,
      y,
      startDay,
      price,
      promo,
    });
  }
  return out;
}
