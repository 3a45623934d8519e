// Hand-computed checks of forecastMetrics: WAPE, MASE, wQL, coverage and bias aggregated over series.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forecastMetrics, seasonalNaiveScale } from './metrics';
import type { Forecast } from './types';

const fc = (p10: number[], p50: number[], p90: number[]): Forecast => ({
  mean: Float64Array.from(p50),
  p10: Float64Array.from(p10),
  p50: Float64Array.from(p50),
  p90: Float64Array.from(p90),
});

const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

void describe('forecastMetrics', () => {
  // A: y = 10 20, p10 = 8 15, p50 = 12 18, p90 = 14 25; insample 1…9, m = 7 → scale = (7 + 7)/2 = 7
  // B: y = 0 5,   p10 = 0 1,  p50 = 2 4,   p90 = 2 4.5; insample 2×7 then 4 → scale = |4 − 2| = 2
  const actual = [
    [10, 20],
    [0, 5],
  ];
  const fcs = [fc([8, 15], [12, 18], [14, 25]), fc([0, 1], [2, 4], [2, 4.5])];
  const insample = [
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    [2, 2, 2, 2, 2, 2, 2, 4],
  ];

  void it('aggregates numerators and denominators over all series', () => {
    const r = forecastMetrics(actual, fcs, insample, 7);
    // |y − p50| = 2 2 | 2 1 → 7; Σ|y| = 35
    near(r.wape, 7 / 35);
    // MASE = 7 / (2·7 + 2·2) = 7/18
    near(r.mase, 7 / 18);
    // τ = 0.1: 0.1·2 + 0.1·5 | 0 + 0.1·4 = 1.1 → 2·1.1/35
    near(r.wql10, 2.2 / 35);
    // τ = 0.5: 0.5·(2 + 2 + 2 + 1) = 3.5 → 7/35 (= WAPE)
    near(r.wql50, 7 / 35);
    // τ = 0.9: 0.1·4 + 0.1·5 | 0.1·2 + 0.9·0.5 = 1.55 → 3.1/35
    near(r.wql90, 3.1 / 35);
    near(r.meanWql, (2.2 + 7 + 3.1) / 3 / 35);
    // inside [p10, p90] (inclusive): 10 ∈ [8,14], 20 ∈ [15,25], 0 ∈ [0,2], 5 ∉ [1,4.5] → 3/4
    near(r.coverage80, 0.75);
    // Σ(p50 − y) = 2 − 2 + 2 − 1 = 1 → 1/35
    near(r.bias, 1 / 35);
    assert.equal(r.n, 4);
  });

  void it('seasonalNaiveScale is the mean |y[t] − y[t−m]|', () => {
    near(seasonalNaiveScale([1, 2, 3, 4, 5, 6, 7, 8, 9], 7), 7);
    near(seasonalNaiveScale([1, 5, 2, 5], 2), (1 + 0) / 2);
  });

  void it('ratios with a zero denominator are NaN (undefined), not 0', () => {
    const r = forecastMetrics([[0, 0]], [fc([0, 0], [1, 1], [2, 2])], [[1, 2, 3, 4, 5, 6, 7, 8]]);
    assert.ok(Number.isNaN(r.wape) && Number.isNaN(r.wql50) && Number.isNaN(r.bias));
    near(r.mase, 2 / (2 * 7));
    assert.equal(r.coverage80, 1); // 0 ∈ [0, 2]
  });

  void it('rejects mismatched inputs precisely', () => {
    assert.throws(
      () => forecastMetrics(actual, fcs.slice(0, 1), insample),
      /2 actual series, 1 forecasts, 2 insample series/,
    );
    assert.throws(
      () => forecastMetrics([[1, 2, 3]], [fcs[0]], [insample[0]]),
      /series 0: forecast mean has 2 values, actual has 3/,
    );
    assert.throws(
      () => forecastMetrics(actual, fcs, [insample[0], [1, 2, 3]]),
      /series 1: insample has 3 values, MASE with m = 7 needs more than 7/,
    );
    assert.throws(
      () => forecastMetrics([[1, Number.NaN]], [fcs[0]], [insample[0]]),
      /series 0: actual\[1\] is NaN/,
    );
  });
});
