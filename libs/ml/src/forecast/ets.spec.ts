// Hand-computed checks of the ETS recursions, initial states, class-1 variances, information
// criteria and Nelder–Mead, and behavioural checks of Ets/AutoEts fitting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../models';
import { AutoEts } from './auto-ets';
import { Ets, informationCriteria, simulateQuantiles } from './ets';
import {
  class1Variance,
  filterSse,
  initialStates,
  loadState,
  pointForecast,
  type EtsSpec,
  type EtsState,
} from './ets-core';
import { nelderMead } from './nelder-mead';
import { findGoldenFile } from './testing/golden';
import { ForecastInputError } from './types';

const state = (m: number): EtsState => ({ level: 0, trend: 0, ring: new Float64Array(m), t: 0 });
const f64 = (a: number[]): Float64Array => Float64Array.from(a);

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-9): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} ≠ ${expected[i]}`);
  }
}

void describe('ETS recursions', () => {
  void it('ETS(A,N,N), α = 0.5, l0 = 10 on 10 12 11 13: errors 0 2 0 2, SSE 8, forecast 12', () => {
    // t0: f = 10, e = 0, l = 10;  t1: f = 10, e = 2, l = 11;  t2: f = 11, e = 0, l = 11;  t3: f = 11, e = 2, l = 12
    const spec: EtsSpec = { trend: 'N', season: 'N' };
    const st = state(1);
    loadState([10], 0, spec, 1, st);
    const e = new Float64Array(4);
    const sse = filterSse(
      f64([10, 12, 11, 13]),
      spec,
      { alpha: 0.5, beta: 0, gamma: 0, phi: 1 },
      1,
      st,
      e,
    );
    assert.equal(sse, 8);
    assert.deepEqual(Array.from(e), [0, 2, 0, 2]);
    close(pointForecast(spec, 1, 1, st, 2), [12, 12]);
  });

  void it('ETS(A,A,N) with l0 = 0, b0 = 1 on 1…5 has no error and extrapolates the line; damping sums φ powers', () => {
    const spec: EtsSpec = { trend: 'A', season: 'N' };
    const st = state(1);
    loadState([0, 1], 0, spec, 1, st);
    assert.equal(
      filterSse(f64([1, 2, 3, 4, 5]), spec, { alpha: 0.3, beta: 0.1, gamma: 0, phi: 1 }, 1, st),
      0,
    );
    close(pointForecast(spec, 1, 1, st, 3), [6, 7, 8]);
    // damped, φ = 0.5, from l = 5, b = 1: 5 + 0.5, 5 + 0.5 + 0.25, 5 + 0.875
    close(pointForecast({ trend: 'Ad', season: 'N' }, 0.5, 1, st, 3), [5.5, 5.75, 5.875]);
  });

  void it('ETS(A,N,A), m = 2: states [l0, s_1] = [2, +1] (s_2 = −1 implied) fit 1 3 1 3 exactly and continue 1 3 1', () => {
    // t = 0 uses s_2 = −(+1) = −1: 2 − 1 = 1; t = 1 uses s_1 = +1: 2 + 1 = 3; …
    const spec: EtsSpec = { trend: 'N', season: 'A' };
    const st = state(2);
    loadState([2, 1], 0, spec, 2, st);
    assert.equal(
      filterSse(f64([1, 3, 1, 3]), spec, { alpha: 0.2, beta: 0, gamma: 0.1, phi: 1 }, 2, st),
      0,
    );
    close(pointForecast(spec, 1, 2, st, 3), [1, 3, 1]);
  });

  void it('ETS(A,N,M), m = 2: states [10, 1.5] (s_2 = 0.5) fit 5 15 5 15 exactly', () => {
    const spec: EtsSpec = { trend: 'N', season: 'M' };
    const st = state(2);
    assert.ok(loadState([10, 1.5], 0, spec, 2, st));
    assert.equal(
      filterSse(f64([5, 15, 5, 15]), spec, { alpha: 0.2, beta: 0, gamma: 0.1, phi: 1 }, 2, st),
      0,
    );
    close(pointForecast(spec, 1, 2, st, 2), [5, 15]);
    // a multiplicative state below 0 is rejected: s_2 = 2 − 2.5 < 0
    assert.equal(loadState([10, 2.5], 0, spec, 2, st), false);
  });

  void it('initial states from the classical decomposition: y = (1 2 6)×3, m = 3 → [l0 = 3, s_1 = 3, s_2 = −1]', () => {
    // centred MA(3) = 3 at t = 1…7; detrended means per position: pos0 −2, pos1 −1, pos2 +3 (sum 0)
    // s_1 = the season of t = −1 (position 2) = 3, s_2 = position 1 = −1; adjusted series ≡ 3 → l0 = 3
    close(
      initialStates(f64([1, 2, 6, 1, 2, 6, 1, 2, 6]), 3, { trend: 'N', season: 'A' }),
      [3, 3, -1],
      1e-12,
    );
    // with a trend: regression of the adjusted series (≡ 3) on t = 1…9 → l0 = 3, b0 = 0
    close(
      initialStates(f64([1, 2, 6, 1, 2, 6, 1, 2, 6]), 3, { trend: 'A', season: 'A' }),
      [3, 0, 3, -1],
      1e-9,
    );
  });

  void it('class-1 variances (Hyndman et al. 2008, table 6.1)', () => {
    const p = { alpha: 0.5, beta: 0.1, gamma: 0.2, phi: 0.9 };
    // ANN: σ²(1 + α²(h−1)) = 2·[1, 1.25, 1.5]
    close(class1Variance({ trend: 'N', season: 'N' }, p, 1, 2, 3), [2, 2.5, 3]);
    // AAN, h = 2: 1 + 1·(0.25 + 0.5·0.1·2 + 0.01·2·3/6) = 1.36
    close(class1Variance({ trend: 'A', season: 'N' }, p, 1, 1, 2), [1, 1.36]);
    // ANA, m = 2, h = 3: h_m = 1 → 1 + 0.25·2 + 0.2·1·(1 + 0.2) = 1.74
    close(class1Variance({ trend: 'N', season: 'A' }, p, 2, 1, 3), [1, 1.25, 1.74]);
    // AAdN → AAN as φ → 1 (φ = 1 − 1e-6), h = 2
    const almost = class1Variance({ trend: 'Ad', season: 'N' }, { ...p, phi: 1 - 1e-6 }, 1, 1, 2);
    assert.ok(Math.abs(almost[1] - 1.36) < 1e-3, String(almost[1]));
    assert.throws(
      () => class1Variance({ trend: 'N', season: 'M' }, p, 2, 1, 2),
      /no class-1 variance/,
    );
  });

  void it('informationCriteria: AIC = lik + 2k, AICc adds 2k(k+1)/(n−k−1)', () => {
    // lik 100, k = 3, n = 20: AIC 106, AICc = 106 + 24/16 = 107.5
    assert.deepEqual(informationCriteria(100, 3, 20), { aic: 106, aicc: 107.5 });
    assert.equal(informationCriteria(100, 3, 4).aicc, Infinity);
  });
});

void describe('nelderMead', () => {
  const q = (x: Float64Array): number => (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2;
  void it('finds the minimum of a quadratic', () => {
    const r = nelderMead(q, [0.5, 0.5], [-5, -5], [5, 5], { tolStd: 1e-14, maxIter: 5000 });
    close(r.x, [1, -2], 1e-6);
    assert.ok(r.fx < 1e-12);
  });

  void it('respects the box; a restart from the result reaches the constrained optimum', () => {
    // clamping can collapse the simplex on the bound (here the first run stops at x = 1.00078): the
    // reason Ets runs one restart by default
    const first = nelderMead(q, [0.5, 0.5], [-5, -1], [5, 5], { tolStd: 1e-14, maxIter: 5000 });
    assert.equal(first.x[1], -1);
    const again = nelderMead(q, first.x, [-5, -1], [5, 5], { tolStd: 1e-14, maxIter: 5000 });
    close(again.x, [1, -1], 1e-6);
  });
});

function synthetic(n: number, seed: number, trend = 0): Float64Array {
  const rnd = seededRandom(seed);
  const season = [5, 8, 6, 2, -3, -9, -9];
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const z = Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
    y[t] = 50 + trend * t + season[t % 7] + 1.5 * z;
  }
  return y;
}

void describe('Ets and AutoEts fitting', () => {
  void it('Ets(A,N,A) on level + weekly season + N(0, 1.5²) noise recovers the season and σ', () => {
    const y = synthetic(140, 7);
    const model = new Ets({ trend: 'N', season: 'A', seasonLength: 7 }).fit(y);
    const fc = model.predict(7);
    const season = [5, 8, 6, 2, -3, -9, -9];
    for (let i = 0; i < 7; i++) {
      assert.ok(
        Math.abs(fc.mean[i] - (50 + season[(140 + i) % 7])) < 1.5,
        `step ${i}: ${fc.mean[i]}`,
      );
    }
    const sigma = Math.sqrt(model.fitted.sigma2);
    assert.ok(sigma > 1.2 && sigma < 1.8, `σ = ${sigma}`);
    assert.equal(model.fitted.nParams, 2 + 7 + 1);
    // the 80 % band holds roughly 80 % of a fresh continuation of the same process
    assert.ok(fc.p90[0] - fc.p10[0] > 2 * 1.28 * 1.2);
  });

  void it('AutoEts picks a trended model for a trending series and lists every candidate', () => {
    const model = new AutoEts({ seasonLength: 7 }).fit(synthetic(120, 3, 0.5));
    assert.match(model.selected.name, /^ETS\(A,Ad?,[AM]\)$/);
    assert.equal(model.candidates.length, 9);
    const best = Math.min(...model.candidates.map((c) => c.aicc));
    assert.equal(model.selected.aicc, best);
    const fc = model.predict(28);
    assert.ok(
      fc.mean[27] > fc.mean[0] + 5,
      `trend not extrapolated: ${fc.mean[0]} → ${fc.mean[27]}`,
    );
  });

  void it('AutoEts skips candidates that cannot be fitted and says why', () => {
    // 12 values with zeros: multiplicative season impossible; ETS(A,A,A) has α, β, γ + l0, b0, 6 seasonal
    // states + σ² = 12 parameters, more than n − 2 = 10 → skipped
    const y = [0, 3, 5, 1, 0, 2, 4, 1, 0, 3, 6, 2];
    const model = new AutoEts({ seasonLength: 7 }).fit(y);
    const byName = new Map(model.candidates.map((c) => [c.name, c]));
    assert.match(byName.get('ETS(A,N,M)')?.skipped ?? '', /multiplicative season needs y > 0/);
    assert.match(
      byName.get('ETS(A,A,A)')?.skipped ?? '',
      /y has 12 values, too few for 12 parameters/,
    );
    assert.match(byName.get('ETS(A,Ad,A)')?.skipped ?? '', /too few for 13 parameters/);
    assert.ok(Number.isFinite(byName.get('ETS(A,N,N)')?.aicc));
  });

  void it('AutoEts on a constant series forecasts the constant with a zero-width interval', () => {
    const fc = new AutoEts().fit([4, 4, 4, 4, 4]).predict(3);
    assert.deepEqual(Array.from(fc.mean), [4, 4, 4]);
    assert.deepEqual(Array.from(fc.p10), [4, 4, 4]);
    assert.deepEqual(Array.from(fc.p90), [4, 4, 4]);
  });

  void it('Ets rejects what it cannot fit, precisely', () => {
    assert.throws(
      () => new Ets({ season: 'M' }).fit([1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
      (e: unknown) =>
        e instanceof ForecastInputError &&
        /multiplicative seasonality needs y > 0, y\[2\] = 0/.test(e.message),
    );
    assert.throws(
      () => new Ets({ season: 'A', seasonLength: 7 }).fit([1, 2, 3, 4, 5, 6, 7]),
      /needs more than seasonLength = 7/,
    );
    assert.throws(
      () => new Ets({ season: 'N' }).fit([1, 2, 3, 4]),
      /y has 4 values, too few for 3 parameters/,
    );
    assert.throws(() => new Ets().fitted, /call fit\(\) first/);
  });

  void it('simulated quantiles agree with the class-1 analytical ones for an additive model', () => {
    const model = new Ets({ trend: 'A', season: 'A', seasonLength: 7, nonNegative: false }).fit(
      synthetic(120, 5, 0.2),
    );
    const fit = model.fitted;
    const [lo, hi] = simulateQuantiles(fit, model.finalState, 14, 20000, 1, [0.1, 0.9]);
    const fc = model.predict(14);
    for (let i = 0; i < 14; i++) {
      const wSim = hi[i] - lo[i];
      const wAna = fc.p90[i] - fc.p10[i];
      assert.ok(
        Math.abs(wSim / wAna - 1) < 0.05,
        `step ${i}: simulated width ${wSim}, analytical ${wAna}`,
      );
      assert.ok(Math.abs((hi[i] + lo[i]) / 2 - fc.mean[i]) < 0.05 * wAna, `step ${i} centre`);
    }
  });

  void it('fits are deterministic: the same series gives bit-identical forecasts, with simulated intervals too', () => {
    const y = synthetic(100, 11).map((v) => v + 20);
    const a = new Ets({ trend: 'A', season: 'M' }).fit(y).predict(14);
    const b = new Ets({ trend: 'A', season: 'M' }).fit(y).predict(14);
    assert.deepEqual(a, b);
    for (let i = 0; i < 14; i++) assert.ok(a.p10[i] < a.mean[i] && a.mean[i] < a.p90[i]);
  });
});

void describe('golden file lookup', () => {
  void it('fails with a precise message when no shared/golden folder is found', () => {
    // an empty folder tree, searched up to its own top (an ancestor of /tmp may hold shared/)
    const top = mkdtempSync(join(tmpdir(), 'golden-'));
    const start = join(top, 'a', 'b');
    mkdirSync(start, { recursive: true });
    assert.throws(
      () => findGoldenFile(start, top),
      /statsforecast reference not found: no shared\/golden\/forecasting\/statsforecast-reference.json in any folder from .* up to .*golden-/,
    );
  });
});
