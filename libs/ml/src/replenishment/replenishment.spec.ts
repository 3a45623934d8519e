// replenish(): the textbook safety stock for normal demand (fixed and uncertain lead time, correlated
// days), hand-computed order quantities, decisions, stock-out dates and overstock, determinism and
// monotonicity, the fitted daily distribution's quantiles, the helpers, and the input errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { normalQuantile } from '../forecast/types';
import { fitDailyDistribution, normalCdf, Z90 } from './daily-distribution';
import { MAX_MEMOISED_SCORES, Mulberry32, NormalScores } from './normal-scores';
import { extendedDayIndex, replenish, sampleQuantile } from './replenish';
import { ReplenishmentInputError, type DailyQuantiles, type StockPosition } from './types';

const START = Date.UTC(2026, 11, 1); // 2026-12-01 is day 0

function dateOf(i: number): string {
  return new Date(START + i * 86_400_000).toISOString().slice(0, 10);
}

/** Forecast from per-day (p10, p50, p90). */
function forecastOf(q: [number, number, number][]): DailyQuantiles[] {
  return q.map(([p10, p50, p90], i) => ({ date: dateOf(i), p10, p50, p90 }));
}

/** n days of N(mean, sd): p10/p90 = mean ∓ Φ⁻¹(0.9)·sd. */
function normalForecast(n: number, mean: number, sd: number): DailyQuantiles[] {
  return forecastOf(Array.from({ length: n }, () => [mean - Z90 * sd, mean, mean + Z90 * sd]));
}

/** n days of certain demand (p10 = p50 = p90). */
function constant(n: number, d: number | ((i: number) => number)): DailyQuantiles[] {
  return forecastOf(
    Array.from({ length: n }, (_, i) => {
      const v = typeof d === 'number' ? d : d(i);
      return [v, v, v];
    }),
  );
}

function stock(s: Partial<StockPosition>): StockPosition {
  return { onHand: 0, onOrder: 0, leadTimeDays: 3, ...s };
}

function relErr(actual: number, expected: number): number {
  return Math.abs(actual / expected - 1);
}

function inputError(field: string, message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ReplenishmentInputError, `not a ReplenishmentInputError: ${String(e)}`);
    assert.equal(e.field, field);
    assert.match(e.message, message);
    return true;
  };
}

void describe('fitDailyDistribution (split normal censored at 0)', () => {
  const cases: [number, number, number][] = [
    [10, 20, 30], // symmetric
    [5, 8, 20], // right-skewed
    [0, 3, 9], // p10 at 0: exactly 10 % of the mass at 0
    [4, 4, 10], // no spread below the median
    [0, 0, 2], // intermittent: ≥ 50 % zeros
  ];

  void it('reproduces p10, p50 and p90 through quantile() and cdf()', () => {
    for (const [p10, p50, p90] of cases) {
      const d = fitDailyDistribution({ p10, p50, p90 });
      assert.ok(Math.abs(d.quantile(0.1) - p10) < 1e-9, `Q(0.1) of ${p10},${p50},${p90}`);
      assert.ok(Math.abs(d.quantile(0.5) - p50) < 1e-9, `Q(0.5) of ${p10},${p50},${p90}`);
      assert.ok(Math.abs(d.quantile(0.9) - p90) < 1e-9, `Q(0.9) of ${p10},${p50},${p90}`);
      // q is the τ-quantile of F iff F(q) ≥ τ and F(q−) ≤ τ (atoms at 0 and, when p10 = p50, at p50).
      for (const [tau, q] of [
        [0.1, p10],
        [0.5, p50],
        [0.9, p90],
      ]) {
        assert.ok(d.cdf(q) >= tau - 1e-6, `F(${q}) ≥ ${tau} for ${p10},${p50},${p90}`);
        assert.ok(d.cdf(q - 1e-7) <= tau + 1e-6, `F(${q}−) ≤ ${tau} for ${p10},${p50},${p90}`);
      }
      if (p10 > 0 && p10 < p50) assert.ok(Math.abs(d.cdf(p10) - 0.1) < 1e-6);
      if (p50 > p10 && p90 > p50) assert.ok(Math.abs(d.cdf(p50) - 0.5) < 1e-6);
      if (p90 > p50) assert.ok(Math.abs(d.cdf(p90) - 0.9) < 1e-6);
      assert.equal(d.cdf(-1e-9), 0);
    }
    const z = fitDailyDistribution({ p10: 0, p50: 3, p90: 9 });
    assert.ok(Math.abs(z.cdf(0) - 0.1) < 1e-6, 'p10 = 0 puts exactly 10 % at 0');
    assert.ok(Math.abs(z.sigmaLow - 3 / 1.2815515655446004) < 1e-8);
    assert.ok(Math.abs(z.sigmaHigh - 6 / 1.2815515655446004) < 1e-8);
  });

  void it('draws from normal scores reproduce the three quantiles and the analytic mean', () => {
    const scores = new NormalScores(11);
    const n = 200_000;
    for (const [p10, p50, p90] of cases) {
      const d = fitDailyDistribution({ p10, p50, p90 });
      const x = new Float64Array(n);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += x[i] = d.fromScore(scores.next());
      const tol = 0.02 * (p90 - p10) + 1e-9;
      assert.ok(
        Math.abs(sampleQuantile(x, 0.1) - p10) <= tol,
        `sample p10 of ${p10},${p50},${p90}`,
      );
      assert.ok(
        Math.abs(sampleQuantile(x, 0.5) - p50) <= tol,
        `sample p50 of ${p10},${p50},${p90}`,
      );
      assert.ok(
        Math.abs(sampleQuantile(x, 0.9) - p90) <= tol,
        `sample p90 of ${p10},${p50},${p90}`,
      );
      assert.ok(Math.abs(sum / n - d.mean()) <= 0.01 * (p90 - p10), `mean of ${p10},${p50},${p90}`);
    }
    // (10, 20, 30) is N(20, σ²), σ = 10/Φ⁻¹(0.9), censored at 0: E[max(0, X)] = 20 + σ·(φ(a) − a·Φ(−a)),
    // a = 20/σ ≈ 2.563 → 20 + 7.803·(0.01505 − 2.563·0.00519) ≈ 20.0136.
    const sd = 10 / Z90;
    const a = 20 / sd;
    const expected =
      20 + sd * (Math.exp((-a * a) / 2) / Math.sqrt(2 * Math.PI) - a * normalCdf(-a));
    const sym = fitDailyDistribution({ p10: 10, p50: 20, p90: 30 }).mean();
    assert.ok(Math.abs(sym - expected) < 1e-6 && Math.abs(sym - 20.0136) < 1e-3, `mean ${sym}`);
  });

  void it('normalCdf inverts normalQuantile to 2e-7', () => {
    for (const p of [0.001, 0.025, 0.1, 0.5, 0.8, 0.95, 0.999]) {
      assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 2e-7, `Φ(Φ⁻¹(${p}))`);
    }
  });
});

void describe('replenish: textbook safety stock for normal demand, SS = z·√(L·σd² + d̄²·σL²)', () => {
  const levels = [0.9, 0.95, 0.99];

  void it('fixed lead time: Monte Carlo SS within 2 % of z·σd·√L (d̄ = 100, σd = 20, L = 7)', () => {
    for (const serviceLevel of levels) {
      const r = replenish(normalForecast(28, 100, 20), stock({ leadTimeDays: 7 }), {
        serviceLevel,
        samples: 200_000,
      });
      const z = normalQuantile(serviceLevel);
      const ss = z * 20 * Math.sqrt(7);
      assert.ok(relErr(r.safetyStock, ss) < 0.02, `τ=${serviceLevel}: ${r.safetyStock} vs ${ss}`);
      assert.ok(relErr(r.leadTimeDemand.mean, 700) < 0.002, `mean ${r.leadTimeDemand.mean}`);
      assert.ok(
        relErr(r.leadTimeDemand.std, 20 * Math.sqrt(7)) < 0.01,
        `std ${r.leadTimeDemand.std}`,
      );
      assert.ok(relErr(r.reorderPoint, 700 + ss) < 0.005);
      // Order-up-to covers L + R = 8 days.
      assert.ok(relErr(r.orderUpToLevel, 800 + z * 20 * Math.sqrt(8)) < 0.005);
      assert.equal(r.serviceLevel, serviceLevel);
    }
  });

  void it('uncertain lead time: within 2 % of z·√(L·σd² + d̄²·σL²) (d̄ = 100, σd = 10, L = 25, σL = 0.5)', () => {
    for (const serviceLevel of levels) {
      const r = replenish(
        normalForecast(28, 100, 10),
        stock({ leadTimeDays: 25, leadTimeStdDays: 0.5 }),
        { serviceLevel, samples: 200_000 },
      );
      const ss = normalQuantile(serviceLevel) * Math.sqrt(25 * 100 + 100 * 100 * 0.25);
      assert.ok(relErr(r.safetyStock, ss) < 0.02, `τ=${serviceLevel}: ${r.safetyStock} vs ${ss}`);
      assert.ok(
        relErr(r.leadTimeDemand.std, Math.sqrt(5000)) < 0.01,
        `std ${r.leadTimeDemand.std}`,
      );
      assert.match(r.method, /lead time max\(0, N\(25, 0\.5²\)\) days sampled per path/);
    }
  });

  void it('AR(1)-correlated days: SS = z·σd·√(L + 2Σ(L−k)ρᵏ)', () => {
    for (const rho of [0.3, 0.6]) {
      let v = 7;
      for (let k = 1; k < 7; k++) v += 2 * (7 - k) * rho ** k;
      const r = replenish(normalForecast(28, 100, 20), stock({ leadTimeDays: 7 }), {
        samples: 200_000,
        dayCorrelation: rho,
      });
      const ss = normalQuantile(0.95) * 20 * Math.sqrt(v);
      assert.ok(relErr(r.safetyStock, ss) < 0.02, `ρ=${rho}: ${r.safetyStock} vs ${ss}`);
      assert.match(r.method, new RegExp(`AR\\(1\\) ρ=${rho}`));
    }
  });
});

void describe('replenish: hand-computed cases (certain demand, p10 = p50 = p90)', () => {
  void it('10/day, L = 3, R = 2, on hand 12, on order 10: reorder 28, stock-out on day 1', () => {
    // LTD = 3·10 = 30 on every path → reorderPoint 30, SS 0; L + R = 5 days → orderUpTo 50.
    // Position 12 + 10 = 22 ≤ 30 → reorder 50 − 22 = 28.
    // Stock: end of day 0 = 12 − 10 = 2; end of day 1 = 12 − 20 = −8 < 0 (the 10 on order come at day 3).
    const r = replenish(constant(28, 10), stock({ onHand: 12, onOrder: 10, leadTimeDays: 3 }), {
      reviewPeriodDays: 2,
    });
    assert.deepEqual(r.leadTimeDemand, { mean: 30, p50: 30, pService: 30, std: 0 });
    assert.equal(r.safetyStock, 0);
    assert.equal(r.reorderPoint, 30);
    assert.equal(r.orderUpToLevel, 50);
    assert.equal(r.recommendedOrderQty, 28);
    assert.equal(r.action, 'reorder');
    assert.equal(r.projectedStockoutDate, '2026-12-02');
  });

  void it('fractional lead time and review count the last day pro rata; the quantity rounds up', () => {
    // p50 = 10, 20, 40, 40, …; L = 2.5 → 10 + 20 + 0.5·40 = 50; L + R = 2.5 + 0.25 → 50 + 0.25·40 = 60.
    // Position 20 → 60 − 20 = 40 → reorder 40. With on hand 20.5: 39.5 → 40 (whole units, rounded up).
    const fc = constant(28, (i) => (i === 0 ? 10 : i === 1 ? 20 : 40));
    const r = replenish(fc, stock({ onHand: 20, leadTimeDays: 2.5 }), { reviewPeriodDays: 0.25 });
    assert.equal(r.reorderPoint, 50);
    assert.equal(r.orderUpToLevel, 60);
    assert.equal(r.recommendedOrderQty, 40);
    assert.equal(r.action, 'reorder');
    const r2 = replenish(fc, stock({ onHand: 20.5, leadTimeDays: 2.5 }), {
      reviewPeriodDays: 0.25,
    });
    assert.equal(r2.recommendedOrderQty, 40);
  });

  void it('projected stock-out: the on-order quantity counts from the lead time on', () => {
    const fc = constant(28, 10);
    // On hand 25, 20 on order at day 2: ends of days 0..4 = 15, 5 (20 arrive at time 2) → 25, 15, 5, −5 → day 4.
    assert.equal(
      replenish(fc, stock({ onHand: 25, onOrder: 20, leadTimeDays: 2 })).projectedStockoutDate,
      '2026-12-05',
    );
    // On hand 15, 100 on order at day 2: 15 − 20 = −5 just before the arrival → day 1.
    assert.equal(
      replenish(fc, stock({ onHand: 15, onOrder: 100, leadTimeDays: 2 })).projectedStockoutDate,
      '2026-12-02',
    );
    // Arrival mid-day at 1.5: on hand 14 → 14 − 15 = −1 just before → day 1. On hand 15 → exactly 0
    // (not below), then 115 cover days up to cumulative 120 at the end of day 11 → day 11.
    assert.equal(
      replenish(fc, stock({ onHand: 14, onOrder: 100, leadTimeDays: 1.5 })).projectedStockoutDate,
      '2026-12-02',
    );
    assert.equal(
      replenish(fc, stock({ onHand: 15, onOrder: 100, leadTimeDays: 1.5 })).projectedStockoutDate,
      '2026-12-12',
    );
    // 280 units cover the 28-day horizon (cumulative 280, never below 0) → null.
    assert.equal(replenish(fc, stock({ onHand: 280 })).projectedStockoutDate, null);
    assert.equal(replenish(fc, stock({ onHand: 279 })).projectedStockoutDate, '2026-12-28');
  });

  void it('backorders (negative on hand): stock-out today, the order covers them', () => {
    // Position −5 ≤ 30 → reorder 50 − (−5) = 55.
    const r = replenish(constant(28, 10), stock({ onHand: -5 }), { reviewPeriodDays: 2 });
    assert.equal(r.recommendedOrderQty, 55);
    assert.equal(r.action, 'reorder');
    assert.equal(r.projectedStockoutDate, '2026-12-01');
  });

  void it('ok between the reorder point and the overstock threshold; overstock above it', () => {
    const fc = constant(28, 10);
    const policy = { reviewPeriodDays: 2 };
    // reorderPoint 30, orderUpTo 50; default overstockDays = 2·(3 + 2) = 10 → threshold 50 + 10·10 = 150.
    assert.equal(replenish(fc, stock({ onHand: 30 }), policy).action, 'reorder');
    const ok = replenish(fc, stock({ onHand: 31 }), policy);
    assert.equal(ok.action, 'ok');
    assert.equal(ok.recommendedOrderQty, 19); // the order-up-to gap, reported even when not due
    assert.equal(replenish(fc, stock({ onHand: 100, onOrder: 50 }), policy).action, 'ok');
    const over = replenish(fc, stock({ onHand: 100, onOrder: 51 }), policy);
    assert.equal(over.action, 'overstock');
    assert.equal(over.recommendedOrderQty, 0);
    // overstockDays = 1 → threshold 60.
    assert.equal(
      replenish(fc, stock({ onHand: 60 }), { ...policy, overstockDays: 1 }).action,
      'ok',
    );
    assert.equal(
      replenish(fc, stock({ onHand: 61 }), { ...policy, overstockDays: 1 }).action,
      'overstock',
    );
  });

  void it('beyond the horizon the last week repeats (L = 35 over a 28-day forecast)', () => {
    // Days 0..20: 5/day (105); days 21..27: 1..7 (28); days 28..34 repeat 1..7 (28) → 161.
    const fc = constant(28, (i) => (i < 21 ? 5 : i - 20));
    const r = replenish(fc, stock({ onHand: 0, leadTimeDays: 35 }), { reviewPeriodDays: 3 });
    assert.equal(r.reorderPoint, 161);
    assert.equal(r.orderUpToLevel, 161 + 1 + 2 + 3); // days 35..37 are 1, 2, 3 again
    assert.match(r.method, /beyond the 28-day horizon the last 7 days repeat/);
    // A 3-day forecast repeats all three days.
    assert.equal(
      replenish(
        constant(3, (i) => i + 1),
        stock({ leadTimeDays: 7 }),
      ).reorderPoint,
      13,
    );
    assert.deepEqual(
      [28, 29, 34, 35, 36].map((t) => extendedDayIndex(t, 28)),
      [21, 22, 27, 21, 22],
    );
  });

  void it('lead time 0: no lead-time demand, order-up-to covers the review period only', () => {
    const r = replenish(constant(28, 10), stock({ onHand: 4, leadTimeDays: 0 }));
    assert.deepEqual(r.leadTimeDemand, { mean: 0, p50: 0, pService: 0, std: 0 });
    assert.equal(r.safetyStock, 0);
    assert.equal(r.reorderPoint, 0);
    assert.equal(r.orderUpToLevel, 10);
    assert.equal(r.recommendedOrderQty, 6);
    assert.equal(r.action, 'ok'); // position 4 > reorder point 0
    const bo = replenish(constant(28, 10), stock({ onHand: -2, onOrder: 5, leadTimeDays: 0 }));
    assert.equal(bo.projectedStockoutDate, '2026-12-01'); // −2 + 5 − 10 < 0 at the end of day 0
  });

  void it('zero forecast: nothing to order; stock is overstock; backorders are still filled', () => {
    const fc = constant(28, 0);
    const none = replenish(fc, stock({}));
    assert.equal(none.reorderPoint, 0);
    assert.equal(none.orderUpToLevel, 0);
    assert.equal(none.recommendedOrderQty, 0);
    assert.equal(none.action, 'ok'); // position 0 = reorder point, but nothing to order
    assert.equal(none.projectedStockoutDate, null);
    assert.equal(replenish(fc, stock({ onHand: 5 })).action, 'overstock');
    const bo = replenish(fc, stock({ onHand: -3 }));
    assert.equal(bo.action, 'reorder');
    assert.equal(bo.recommendedOrderQty, 3);
  });
});

void describe('replenish: determinism and monotonicity', () => {
  const fc = forecastOf(
    Array.from({ length: 28 }, (_, i): [number, number, number] => {
      const m = 20 + 10 * Math.sin((2 * Math.PI * i) / 7);
      return [0.6 * m, m, 1.7 * m];
    }),
  );

  void it('same input and seed → identical output; another seed → another sample', () => {
    const input = JSON.stringify(fc);
    const a = replenish(fc, stock({ onHand: 40, leadTimeStdDays: 1 }), { seed: 7 });
    const b = replenish(fc, stock({ onHand: 40, leadTimeStdDays: 1 }), { seed: 7 });
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(fc), input, 'the forecast is not mutated');
    const c = replenish(fc, stock({ onHand: 40, leadTimeStdDays: 1 }), { seed: 8 });
    assert.notEqual(c.safetyStock, a.safetyStock);
    assert.match(a.method, /Monte Carlo 4000 paths, mulberry32 seed 7/);
  });

  void it('higher service level → higher safety stock, reorder point and order-up-to level', () => {
    const rs = [0.8, 0.9, 0.95, 0.99].map((serviceLevel) =>
      replenish(fc, stock({ leadTimeStdDays: 0.5 }), { serviceLevel }),
    );
    for (let i = 1; i < rs.length; i++) {
      assert.ok(rs[i].safetyStock > rs[i - 1].safetyStock, `SS at level ${i}`);
      assert.ok(rs[i].reorderPoint > rs[i - 1].reorderPoint);
      assert.ok(rs[i].orderUpToLevel > rs[i - 1].orderUpToLevel);
    }
  });

  void it('each unit on order lowers the order by one unit, down to 0', () => {
    const q = [0, 10, 20, 40, 80, 160, 320].map(
      (onOrder) => replenish(fc, stock({ onHand: 5, onOrder })).recommendedOrderQty,
    );
    assert.ok(q[0] > 80 && q[0] < 320, `q0 = ${q[0]}`);
    assert.deepEqual(
      q,
      [0, 10, 20, 40, 80, 160, 320].map((o) => Math.max(0, q[0] - o)),
    );
  });
});

void describe('replenishment helpers', () => {
  void it('sampleQuantile equals the sort-based type-7 quantile, ties included', () => {
    const rnd = seededRandom(3);
    for (let n = 1; n <= 60; n++) {
      const x = Float64Array.from({ length: n }, () => Math.floor(rnd() * 8));
      const sorted = Float64Array.from(x).sort();
      for (const tau of [0, 0.1, 0.5, 0.9, 0.95, 0.99, 1]) {
        const h = (n - 1) * tau;
        const lo = Math.floor(h);
        const want = sorted[lo] + (h - lo) * (sorted[Math.min(lo + 1, n - 1)] - sorted[lo]);
        assert.ok(
          Math.abs(sampleQuantile(Float64Array.from(x), tau) - want) < 1e-12,
          `n=${n} τ=${tau}`,
        );
      }
    }
  });

  void it('Mulberry32 matches seededRandom; NormalScores continues one stream past the memo', () => {
    const a = seededRandom(42);
    const b = new Mulberry32(42);
    for (let i = 0; i < 100; i++) assert.equal(b.next(), a());
    // Scores MAX_MEMOISED_SCORES .. +5 (generated live) equal a direct Box–Muller of the stream.
    const gen = new Mulberry32(5);
    const direct: number[] = [];
    for (let i = 0; i < MAX_MEMOISED_SCORES + 6; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - gen.next()));
      const th = 2 * Math.PI * gen.next();
      direct.push(r * Math.cos(th), r * Math.sin(th));
    }
    const s1 = new NormalScores(5);
    const s2 = new NormalScores(5);
    for (let i = 0; i < MAX_MEMOISED_SCORES; i++) {
      const v = s1.next();
      if (i % 100_003 === 0) assert.equal(v, direct[i], `score ${i}`);
    }
    for (let i = MAX_MEMOISED_SCORES; i < MAX_MEMOISED_SCORES + 6; i++) {
      assert.equal(s1.next(), direct[i], `live score ${i}`);
    }
    assert.equal(s2.next(), direct[0]);
  });
});

void describe('replenish: input errors name the field and the day', () => {
  const fc = constant(28, 10);

  void it('rejects NaN, negative and crossing quantiles', () => {
    const nan = constant(28, 10);
    nan[3] = { ...nan[3], p10: NaN };
    assert.throws(
      () => replenish(nan, stock({})),
      inputError(
        'forecast[3].p10',
        /forecast\[3\] \(2026-12-04\)\.p10 is NaN, expected a finite number ≥ 0/,
      ),
    );
    const neg = constant(28, 10);
    neg[5] = { ...neg[5], p10: -1, p50: -1, p90: -1 };
    assert.throws(
      () => replenish(neg, stock({})),
      inputError('forecast[5].p10', /\(2026-12-06\)\.p10 is -1/),
    );
    const cross = constant(28, 10);
    cross[2] = { ...cross[2], p10: 12, p50: 10, p90: 15 };
    assert.throws(
      () => replenish(cross, stock({})),
      inputError(
        'forecast[2]',
        /forecast\[2\] \(2026-12-03\): quantiles cross \(p10=12, p50=10, p90=15\)/,
      ),
    );
    const inf = constant(28, 10);
    inf[27] = { ...inf[27], p90: Infinity };
    assert.throws(
      () => replenish(inf, stock({})),
      inputError('forecast[27].p90', /\(2026-12-28\)\.p90 is Infinity/),
    );
  });

  void it('rejects an empty forecast, bad and non-consecutive dates', () => {
    assert.throws(() => replenish([], stock({})), inputError('forecast', /forecast is empty/));
    const bad = constant(28, 10);
    bad[0] = { ...bad[0], date: '2026-13-01' };
    assert.throws(
      () => replenish(bad, stock({})),
      inputError('forecast[0].date', /"2026-13-01", expected a calendar date YYYY-MM-DD/),
    );
    const gap = constant(28, 10);
    gap[2] = { ...gap[2], date: '2026-12-04' };
    assert.throws(
      () => replenish(gap, stock({})),
      inputError(
        'forecast[2].date',
        /2026-12-04, expected 2026-12-03 \(days must be consecutive\)/,
      ),
    );
  });

  void it('rejects stock and policy values out of range', () => {
    const cases: [Partial<StockPosition>, Record<string, number>, string, RegExp][] = [
      [{ onHand: NaN }, {}, 'stock.onHand', /stock\.onHand is NaN, expected a finite number/],
      [{ onOrder: -1 }, {}, 'stock.onOrder', /stock\.onOrder is -1, expected a finite number ≥ 0/],
      [
        { leadTimeDays: 366 },
        {},
        'stock.leadTimeDays',
        /is 366, expected a number of days in \[0, 365\]/,
      ],
      [{ leadTimeDays: -0.5 }, {}, 'stock.leadTimeDays', /is -0\.5/],
      [{ leadTimeStdDays: -1 }, {}, 'stock.leadTimeStdDays', /is -1/],
      [{}, { serviceLevel: 1 }, 'policy.serviceLevel', /is 1, expected a probability in \(0, 1\)/],
      [{}, { serviceLevel: NaN }, 'policy.serviceLevel', /is NaN/],
      [{}, { reviewPeriodDays: -1 }, 'policy.reviewPeriodDays', /is -1/],
      [{}, { samples: 0 }, 'policy.samples', /is 0, expected an integer in \[1, 1e7\]/],
      [{}, { samples: 2.5 }, 'policy.samples', /is 2\.5/],
      [{}, { seed: 1.5 }, 'policy.seed', /is 1\.5, expected an integer/],
      [{}, { overstockDays: -1 }, 'policy.overstockDays', /is -1/],
      [
        {},
        { dayCorrelation: 1 },
        'policy.dayCorrelation',
        /is 1, expected a correlation in \(−1, 1\)/,
      ],
    ];
    for (const [s, p, field, msg] of cases) {
      assert.throws(() => replenish(fc, stock(s), p), inputError(field, msg), field);
    }
  });
});
