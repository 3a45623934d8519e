// Hand-computed checks of SeasonalNaive, Croston, TSB, the count quantiles, MedianEnsemble and the
// shared input validation, on tiny series with the arithmetic written out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { AutoEts } from './auto-ets';
import { Croston } from './croston';
import { Ets } from './ets';
import { MedianEnsemble } from './ensemble';
import { countQuantiles, sesForecast } from './intermittent';
import { SeasonalNaive } from './seasonal-naive';
import { Tsb } from './tsb';
import { ForecastInputError, normalQuantile, type Forecast, type ForecastModel } from './types';

const Z90 = 1.2815515655446004; // Φ⁻¹(0.9)

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-9): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} ≠ ${expected[i]}`);
  }
}

void describe('normalQuantile', () => {
  void it('matches known normal quantiles to 1e-8', () => {
    assert.ok(Math.abs(normalQuantile(0.9) - Z90) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.3263478740408408) < 1e-8);
    assert.equal(normalQuantile(0.5), 0);
    assert.throws(() => normalQuantile(1), /p must be in \(0, 1\), got 1/);
  });
});

void describe('SeasonalNaive', () => {
  // y (10 points, m = 3): 2 4 6 | 3 5 7 | 4 6 9 | 5
  // last season = y[7], y[8], y[9] = 6, 9, 5 → forecast 6 9 5 6 …
  // residuals y[t] − y[t−3], t = 3…9: 1 1 1 1 1 2 1 → Σr² = 10, σ = √(10/7) = 1.1952286
  // sd[h] = σ·√(⌊(h−1)/3⌋ + 1): h = 1…3 → σ, h = 4 → σ·√2
  const y = [2, 4, 6, 3, 5, 7, 4, 6, 9, 5];
  const sigma = Math.sqrt(10 / 7);

  void it('repeats the last season and widens its normal interval by √(seasons ahead)', () => {
    const fc = new SeasonalNaive(3).fit(y).predict(4);
    close(fc.mean, [6, 9, 5, 6]);
    close(fc.p50, [6, 9, 5, 6]);
    const sd = [sigma, sigma, sigma, sigma * Math.SQRT2];
    close(
      fc.p10,
      [6, 9, 5, 6].map((v, i) => v - Z90 * sd[i]),
      1e-8,
    );
    close(
      fc.p90,
      [6, 9, 5, 6].map((v, i) => v + Z90 * sd[i]),
      1e-8,
    );
  });

  void it('fit() seasonLength overrides the constructor; a 95 % level widens the interval', () => {
    const fc = new SeasonalNaive(7).fit(y, { seasonLength: 3 }).predict(1, 95);
    close(fc.p90, [6 + 1.959963984540054 * sigma], 1e-7);
  });

  void it('clips at 0 by default, not with nonNegative: false', () => {
    // last season 0.2 0 4; residuals 0.1 0 −1 → σ = √(1.01/3); p10 = 0.2 − 0.744, 0 − 0.744, 4 − 0.744
    const low = [0.1, 0, 5, 0.2, 0, 4];
    const clipped = new SeasonalNaive(3).fit(low).predict(3);
    close(clipped.p10, [0, 0, 4 - Z90 * Math.sqrt(1.01 / 3)], 1e-8);
    const raw = new SeasonalNaive({ seasonLength: 3, nonNegative: false }).fit(low).predict(3);
    assert.ok(raw.p10[0] < 0);
  });

  void it('rejects bad input precisely', () => {
    assert.throws(
      () => new SeasonalNaive(3).fit([1, Number.NaN, 2]),
      (e: unknown) => e instanceof ForecastInputError && /y\[1\] is NaN/.test(e.message),
    );
    assert.throws(
      () => new SeasonalNaive(3).predict(3),
      /SeasonalNaive.predict: call fit\(\) first/,
    );
    assert.throws(
      () => new SeasonalNaive(3).fit(y).predict(0),
      /h must be a positive integer, got 0/,
    );
    assert.throws(
      () => new SeasonalNaive(3).fit(y).predict(2, 100),
      /level must be in \(0, 100\), got 100/,
    );
    assert.throws(() => new SeasonalNaive(0), /seasonLength must be a positive integer, got 0/);
  });
});

void describe('Croston and TSB', () => {
  // y = 0 3 0 0 2 0 1 0 0 0: demand at t = 1, 4, 6 (1-based positions 2, 5, 7)
  const y = [0, 3, 0, 0, 2, 0, 1, 0, 0, 0];

  void it('sesForecast initialises the level at the first value', () => {
    // 3 → 3 → 0.1·2 + 0.9·3 = 2.9 → 0.1·1 + 0.9·2.9 = 2.71
    assert.ok(Math.abs(sesForecast([3, 2, 1], 0.1) - 2.71) < 1e-12);
  });

  void it('Croston: SES(0.1) of sizes over SES(0.1) of intervals', () => {
    // sizes 3 2 1 → ẑ = 2.71; intervals 2 3 2 → 2 → 2 → 0.1·3 + 0.9·2 = 2.1 → 0.1·2 + 0.9·2.1 = 2.09
    const fc = new Croston().fit(y).predict(3);
    close(fc.mean, [2.71 / 2.09, 2.71 / 2.09, 2.71 / 2.09], 1e-12);
  });

  void it('Croston quantiles: negative binomial with the history’s variance-to-mean ratio', () => {
    // mean(y) = 0.6, var(y) = 14/10 − 0.36 = 1.04, d = 1.04/0.6 = 1.7333; μ = 1.29665
    // r = μ/(d − 1) = 1.76816, p = 1/d = 0.576923
    // P0 = p^r = 0.37812 → CDF 0.378 ≥ 0.1 → p10 = 0
    // P1 = P0·r·(1−p) = 0.28286 → CDF 0.661 ≥ 0.5 → p50 = 1
    // P2 = P1·(1+r)(1−p)/2 = 0.16564 → 0.827; P3 = P2·(2+r)(1−p)/3 = 0.08803 → 0.915 ≥ 0.9 → p90 = 3
    const fc = new Croston().fit(y).predict(2);
    assert.deepEqual(Array.from(fc.p10), [0, 0]);
    assert.deepEqual(Array.from(fc.p50), [1, 1]);
    assert.deepEqual(Array.from(fc.p90), [3, 3]);
  });

  void it('TSB: SES(0.2) of the occurrence times SES(0.2) of the sizes', () => {
    // occurrence 0 1 0 0 1 0 1 0 0 0, level from 0:
    // 0, 0.2, 0.16, 0.128, 0.3024, 0.24192, 0.393536, 0.3148288, 0.25186304, 0.201490432
    // sizes 3 2 1: 3 → 3 → 0.2·2 + 0.8·3 = 2.8 → 0.2·1 + 0.8·2.8 = 2.44
    const fc = new Tsb(0.2, 0.2).fit(y).predict(2);
    close(fc.mean, [0.201490432 * 2.44, 0.201490432 * 2.44], 1e-12);
  });

  void it('an all-zero history forecasts 0 with zero quantiles', () => {
    for (const model of [new Croston(), new Tsb()]) {
      const fc = model.fit([0, 0, 0, 0]).predict(2);
      for (const k of ['mean', 'p10', 'p50', 'p90'] as const)
        assert.deepEqual(Array.from(fc[k]), [0, 0]);
    }
  });

  void it('countQuantiles: Poisson when not over-dispersed', () => {
    // Poisson(2): CDF(0) = 0.1353, CDF(1) = 0.4060, CDF(2) = 0.6767, CDF(3) = 0.8571, CDF(4) = 0.9473
    assert.deepEqual(countQuantiles(2, 0.5, [0.1, 0.5, 0.9]), [0, 2, 4]);
    assert.deepEqual(countQuantiles(0, 3, [0.1, 0.9]), [0, 0]);
  });

  void it('rejects smoothing parameters outside (0, 1]', () => {
    assert.throws(() => new Tsb(0, 0.2), /TSB: alphaD must be in \(0, 1\], got 0/);
    assert.throws(() => new Croston({ alpha: 1.5 }), /Croston: alpha must be in \(0, 1\], got 1.5/);
  });
});

class Fixed implements ForecastModel {
  constructor(
    readonly name: string,
    private readonly v: number,
    private readonly w: number,
  ) {}
  fit(): this {
    return this;
  }
  predict(h: number): Forecast {
    const f = (x: number): Float64Array => new Float64Array(h).fill(x);
    return { mean: f(this.v), p10: f(this.v - this.w), p50: f(this.v), p90: f(this.v + this.w) };
  }
}

void describe('MedianEnsemble', () => {
  void it('takes per-step medians of mean and quantiles', () => {
    // means 1, 5, 3 → 3; p10 = 0, 3, 2 → 2; p90 = 2, 7, 4 → 4
    const e = new MedianEnsemble([
      new Fixed('a', 1, 1),
      new Fixed('b', 5, 2),
      new Fixed('c', 3, 1),
    ]);
    const fc = e.fit([1, 2, 3]).predict(2);
    close(fc.mean, [3, 3]);
    close(fc.p10, [2, 2]);
    close(fc.p90, [4, 4]);
    assert.equal(e.name, 'MedianEnsemble(a, b, c)');
    // two members: the average of the two
    close(
      new MedianEnsemble([new Fixed('a', 1, 1), new Fixed('b', 5, 1)]).fit([1]).predict(1).mean,
      [3],
    );
  });
});

void describe('every model: quantiles never cross and stay ≥ 0 on non-negative demand', () => {
  const rnd = seededRandom(17);
  // smooth, trending-down-to-zero and intermittent histories of 60 days
  const histories = [
    Array.from({ length: 60 }, (_, t) => 20 + 8 * Math.sin((2 * Math.PI * t) / 7) + 6 * rnd()),
    Array.from({ length: 60 }, (_, t) => Math.max(0, 30 - 0.6 * t + 5 * rnd())),
    Array.from({ length: 60 }, () => (rnd() < 0.2 ? Math.ceil(4 * rnd()) : 0)),
  ];
  const makers: [string, () => ForecastModel][] = [
    ['SeasonalNaive', () => new SeasonalNaive(7)],
    ['Croston', () => new Croston()],
    ['TSB', () => new Tsb()],
    ['AutoEts', () => new AutoEts()],
    ['Ets(A,Ad,A)', () => new Ets({ trend: 'Ad', season: 'A' })],
  ];
  for (const [name, make] of makers) {
    void it(name, () => {
      histories.forEach((y, k) => {
        const fc = make().fit(y).predict(28);
        for (let i = 0; i < 28; i++) {
          const at = `history ${k}, step ${i}`;
          assert.ok(
            fc.p10[i] >= 0 && fc.mean[i] >= 0,
            `${at}: p10 ${fc.p10[i]}, mean ${fc.mean[i]}`,
          );
          assert.ok(
            fc.p10[i] <= fc.p50[i] && fc.p50[i] <= fc.p90[i],
            `${at}: ${fc.p10[i]} ${fc.p50[i]} ${fc.p90[i]}`,
          );
        }
      });
    });
  }
});
