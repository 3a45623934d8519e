// Rolling-origin backtest: origin arithmetic, skipping of short series, no look-ahead (poisoned
// futures leave forecasts unchanged), and AutoEts beating the seasonal naive on a synthetic set.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { AutoEts } from './auto-ets';
import { rollingOriginBacktest, type BacktestSeries } from './backtest';
import { SeasonalNaive } from './seasonal-naive';
import type { FitOptions, Forecast, ForecastModel } from './types';

/** 20 series: level 20–80, weekly profile scaled per series, slow drift, N(0, (0.15·level)²) noise. */
function syntheticSet(count: number, n: number, seed: number): BacktestSeries[] {
  const rnd = seededRandom(seed);
  const profile = [0.1, 0.25, 0.15, 0, -0.1, -0.2, -0.2];
  const out: BacktestSeries[] = [];
  for (let k = 0; k < count; k++) {
    const level = 20 + 60 * rnd();
    const amp = 0.5 + rnd();
    const drift = (rnd() - 0.5) * 0.05;
    const y = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const z = Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
      y[t] = Math.max(0, level * (1 + amp * profile[t % 7]) + drift * t + 0.15 * level * z);
    }
    out.push({ id: `sku-${k}`, y });
  }
  return out;
}

/** Records what fit() received; forecasts the last value. */
class Spy implements ForecastModel {
  readonly name = 'Spy';
  static seen: { length: number; values: number[]; seasonLength: number | undefined }[] = [];
  private last = 0;
  fit(y: ArrayLike<number>, opts?: FitOptions): this {
    Spy.seen.push({ length: y.length, values: Array.from(y), seasonLength: opts?.seasonLength });
    this.last = y[y.length - 1];
    return this;
  }
  predict(h: number): Forecast {
    const f = (): Float64Array => new Float64Array(h).fill(this.last);
    return { mean: f(), p10: f(), p50: f(), p90: f() };
  }
}

void describe('rollingOriginBacktest', () => {
  void it('origin k trains on n − horizon − (k−1)·step values; too-short histories are skipped and counted', () => {
    Spy.seen = [];
    const a = Float64Array.from({ length: 100 }, (_, i) => i);
    const b = Float64Array.from({ length: 60 }, (_, i) => 1000 + i);
    const r = rollingOriginBacktest(
      [
        { id: 'a', y: a },
        { id: 'b', y: b },
      ],
      () => new Spy(),
      {
        origins: 3,
        horizon: 28,
        step: 7,
        minTrain: 20,
      },
    );
    // a: 100 − 28 = 72, 65, 58; b: 60 − 28 = 32, 25, 18 < 20 → skipped at origin 3
    assert.deepEqual(
      Spy.seen.map((s) => s.length),
      [72, 32, 65, 25, 58],
    );
    for (const s of Spy.seen) {
      const base = s.values[0] === 0 ? 0 : 1000;
      assert.deepEqual(
        s.values,
        Array.from({ length: s.length }, (_, i) => base + i),
        'exactly the prefix',
      );
      assert.equal(s.seasonLength, 7);
    }
    assert.deepEqual(
      r.origins.map((o) => [o.origin, o.series, o.skipped, o.skippedIds]),
      [
        [1, 2, 0, []],
        [2, 2, 0, []],
        [3, 1, 1, ['b']],
      ],
    );
    assert.equal(r.fits, 5);
    assert.equal(r.skipped, 1);
    assert.equal(r.model, 'Spy');
    // origin 1, series a: last value 71 forecast for 72…99 → Σ|e| = Σ_{j=1}^{28} j = 406; b: same 406
    // Σ|y| = Σ 72…99 + Σ 1032…1059 = 28·171/2 + 28·2091/2 = 2394 + 29274 = 31668
    assert.ok(Math.abs(r.origins[0].metrics.wape - 812 / 31668) < 1e-12);
    assert.equal(r.total.n, 5 * 28);
  });

  void it('never uses data after the origin: poisoning the future leaves that origin’s forecasts unchanged', () => {
    const clean = syntheticSet(4, 140, 99);
    const horizon = 28;
    const opts = { origins: 3, horizon, keepForecasts: true };
    const base = rollingOriginBacktest(clean, () => new AutoEts({ seasonLength: 7 }), opts);
    // origin 3 trains on y[0 … 140 − 28 − 56 − 1]; everything from its cutoff on becomes 1e12
    const cutoff = 140 - horizon - 2 * horizon;
    const poisoned = clean.map((s) => {
      const y = s.y.slice();
      y.fill(1e12, cutoff);
      return { id: s.id, y };
    });
    const bad = rollingOriginBacktest(poisoned, () => new AutoEts({ seasonLength: 7 }), opts);
    const f0 = base.origins[2].forecasts ?? assert.fail('no forecasts kept');
    const f1 = bad.origins[2].forecasts ?? assert.fail('no forecasts kept');
    assert.equal(f0.length, 4);
    for (let i = 0; i < f0.length; i++) {
      assert.equal(f0[i].cutoff, cutoff);
      assert.deepEqual(f1[i].forecast, f0[i].forecast, `series ${f0[i].id}`);
    }
    // the later origins did see the poison (the test would be vacuous otherwise)
    assert.notDeepEqual(
      bad.origins[0].forecasts![0].forecast,
      base.origins[0].forecasts![0].forecast,
    );
  });

  void it('AutoEts beats SeasonalNaive on mean wQL on 20 weekly-seasonal series (3 origins × 28 days)', () => {
    const set = syntheticSet(20, 168, 2026);
    const opts = { origins: 3, horizon: 28 };
    const ets = rollingOriginBacktest(set, () => new AutoEts({ seasonLength: 7 }), opts);
    const sn = rollingOriginBacktest(set, () => new SeasonalNaive(7), opts);
    const fmt = (x: number): string => x.toFixed(4);
    console.log(
      `[backtest] AutoEts meanWql ${fmt(ets.total.meanWql)} WAPE ${fmt(ets.total.wape)} MASE ${fmt(ets.total.mase)} cov80 ${fmt(ets.total.coverage80)} ` +
        `fit ${ets.fitMsPerSeries.toFixed(1)} ms/series | SeasonalNaive meanWql ${fmt(sn.total.meanWql)} WAPE ${fmt(sn.total.wape)} ` +
        `MASE ${fmt(sn.total.mase)} cov80 ${fmt(sn.total.coverage80)}`,
    );
    assert.equal(ets.fits, 60);
    assert.ok(ets.total.meanWql < sn.total.meanWql, `${ets.total.meanWql} vs ${sn.total.meanWql}`);
    for (let k = 0; k < 3; k++) {
      assert.ok(ets.origins[k].metrics.meanWql < sn.origins[k].metrics.meanWql, `origin ${k + 1}`);
    }
    // a calibrated 80 % band on this Gaussian-noise set
    assert.ok(
      ets.total.coverage80 > 0.7 && ets.total.coverage80 < 0.9,
      `coverage ${ets.total.coverage80}`,
    );
  });

  void it('rejects invalid options precisely', () => {
    const s = [{ id: 'x', y: new Float64Array(50) }];
    assert.throws(
      () => rollingOriginBacktest(s, () => new Spy(), { origins: 2, horizon: 7 }),
      /origins must be an integer ≥ 3, got 2/,
    );
    assert.throws(
      () => rollingOriginBacktest(s, () => new Spy(), { origins: 3, horizon: 0 }),
      /horizon must be a positive integer, got 0/,
    );
    assert.throws(
      () => rollingOriginBacktest(s, () => new Spy(), { origins: 3, horizon: 7, minTrain: 7 }),
      /minTrain must be an integer > seasonLength \(7\)/,
    );
  });
});
