// Unit tests of the global quantile demand model on the cpu backend with synthetic SKUs (weekly
// season per category, levels 2–200, promotions): accuracy against SeasonalNaive and AutoEts on the
// last 28 days, non-crossing non-negative quantiles, coverage, determinism, no tensor leaks,
// save/load, warm start, the promo effect, cold start, input errors, the ForecastModel adapter and
// the global rolling-origin backtest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getTf, type Tf } from '../../tf-provider';
import { AutoEts } from '../auto-ets';
import { rollingOriginBacktest } from '../backtest';
import { forecastMetrics, type ForecastMetrics } from '../metrics';
import { SeasonalNaive } from '../seasonal-naive';
import { ForecastInputError, type Forecast } from '../types';
import { rollingOriginBacktestGlobal, truncateSeries } from './backtest';
import { applyCalibration, calibrateInterval } from './calibration';
import type { DemandSeries } from './features';
import { GlobalQuantileModel, type GlobalForecast, type GlobalModelOptions } from './model';
import { syntheticDemand } from './synthetic';
import { seededRandom } from '../../models';

const H = 28;
const DAYS = 150;
const CUT = DAYS - H;
// small enough for the pure-JS cpu backend on a shared 2-core machine
const OPTS: GlobalModelOptions = {
  hidden: [32, 32],
  decoderUnits: 8,
  epochs: 25,
  patience: 4,
  windowsPerSeries: 16,
  batchSize: 256,
  learningRate: 5e-3,
  seed: 7,
};

function fmt(m: ForecastMetrics): string {
  return `meanWql ${m.meanWql.toFixed(4)} wape ${m.wape.toFixed(4)} coverage80 ${m.coverage80.toFixed(3)} bias ${m.bias.toFixed(3)}`;
}

function assertValid(fc: Forecast[], label: string): void {
  fc.forEach((f, i) => {
    for (let j = 0; j < f.p50.length; j++) {
      const at = `${label} series ${i} step ${j}`;
      assert.ok(Number.isFinite(f.p10[j]) && f.p10[j] >= 0, `${at}: p10 ${f.p10[j]}`);
      assert.ok(f.p10[j] <= f.p50[j], `${at}: p10 ${f.p10[j]} > p50 ${f.p50[j]}`);
      assert.ok(f.p50[j] <= f.p90[j], `${at}: p50 ${f.p50[j]} > p90 ${f.p90[j]}`);
      assert.ok(f.mean[j] >= f.p10[j] && f.mean[j] <= f.p90[j], `${at}: mean outside [p10, p90]`);
    }
  });
}

void describe('GlobalQuantileModel', () => {
  let tf: Tf;
  let full: DemandSeries[];
  let train: DemandSeries[];
  let actual: Float64Array[];
  let model: GlobalQuantileModel;
  let fc: GlobalForecast[];
  let fitMs = 0;
  const epochs: { epoch: number; valLoss: number }[] = [];

  before(async () => {
    tf = (await getTf({ backend: 'cpu', log: () => undefined })).tf;
    full = syntheticDemand({ series: 60, days: DAYS, seed: 3 });
    train = full.map((s) => truncateSeries(s, CUT, H));
    actual = full.map((s) => s.y.slice(CUT, DAYS));
    const t0 = performance.now();
    model = await GlobalQuantileModel.fit(tf, train, {
      ...OPTS,
      onEpoch: (p) => epochs.push({ epoch: p.epoch, valLoss: p.valLoss }),
    });
    fitMs = performance.now() - t0;
    fc = model.forecast(tf, train, H);
  });
  after(() => model.dispose());

  void it('beats SeasonalNaive on mean wQL of the last 28 days and is within reach of AutoEts', () => {
    const insample = train.map((s) => s.y);
    const g = forecastMetrics(actual, fc, insample);
    const sn = forecastMetrics(
      actual,
      train.map((s) => new SeasonalNaive(7).fit(s.y).predict(H)),
      insample,
    );
    const ets = forecastMetrics(
      actual,
      train.map((s) => new AutoEts({ seasonLength: 7 }).fit(s.y).predict(H)),
      insample,
    );
    const info = model.fitInfo ?? assert.fail('fitInfo missing');
    console.log(
      `[globalq] fit ${fitMs.toFixed(0)} ms, ${info.epochs} epochs (best ${info.bestEpoch}), ${info.trainRows} train rows, ${info.valRows} val rows`,
    );
    console.log(`[globalq] global        ${fmt(g)}`);
    console.log(`[globalq] SeasonalNaive ${fmt(sn)}`);
    console.log(`[globalq] AutoEts       ${fmt(ets)}`);
    assert.equal(g.n, 60 * H);
    assert.ok(
      g.meanWql < sn.meanWql,
      `global ${g.meanWql} should beat SeasonalNaive ${sn.meanWql}`,
    );
    assert.ok(
      g.meanWql < 1.15 * ets.meanWql,
      `global ${g.meanWql} should be within 15 % of AutoEts ${ets.meanWql}`,
    );
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      info.history.map((e) => e.epoch),
    );
  });

  void it('quantiles are non-negative and never cross; [p10, p90] covers about 80 %', () => {
    assert.equal(fc.length, 60);
    assert.deepEqual(
      fc.map((f) => f.id),
      train.map((s) => s.id),
    );
    assertValid(fc, 'holdout');
    assert.ok(fc.every((f) => !f.coldStart && f.p50.length === H));
    const m = forecastMetrics(
      actual,
      fc,
      train.map((s) => s.y),
    );
    console.log(`[globalq] coverage of [p10, p90] on the holdout: ${m.coverage80.toFixed(3)}`);
    assert.ok(m.coverage80 >= 0.6 && m.coverage80 <= 0.95, `coverage ${m.coverage80}`);
  });

  void it('calibration widens [p10, p90] toward 80 % coverage on the held-out days, p50 unchanged', () => {
    const raw = model.forecast(tf, train, H, { calibrated: false });
    const insample = train.map((s) => s.y);
    const mRaw = forecastMetrics(actual, raw, insample);
    const mCal = forecastMetrics(actual, fc, insample);
    const cal = model.calibration;
    const width = (f: Forecast[]): number =>
      f.reduce((a, x) => a + x.p90.reduce((b, v, j) => b + v - x.p10[j], 0), 0);
    console.log(
      `[globalq] calibration lower ×${cal.lower.toFixed(3)} upper ×${cal.upper.toFixed(3)} on ${cal.points} validation points (coverage ${cal.coverageBefore.toFixed(3)} → ${cal.coverageAfter.toFixed(3)}); holdout coverage raw ${mRaw.coverage80.toFixed(3)} → calibrated ${mCal.coverage80.toFixed(3)}, meanWql ${mRaw.meanWql.toFixed(4)} → ${mCal.meanWql.toFixed(4)}, total width ${width(raw).toFixed(0)} → ${width(fc).toFixed(0)}`,
    );
    assert.equal(model.fitInfo?.calibration, cal);
    assert.equal(cal.points, 60 * H);
    assert.ok(
      mRaw.coverage80 < 0.75,
      `raw coverage ${mRaw.coverage80} (the known too-narrow case)`,
    );
    assert.ok(cal.lower > 1 || cal.upper > 1, `factors ${cal.lower}, ${cal.upper}`);
    // 1680 points: 4 bands of scale; the small SKUs need far more widening than the large ones
    console.log(
      `[globalq] calibration bands: ${cal.bands.map((b) => `scale ≥ ${b.fromScale.toFixed(1)}: ×${b.lower.toFixed(2)}/×${b.upper.toFixed(2)} (${b.points} points)`).join(', ')}`,
    );
    assert.equal(cal.bands.length, 4);
    assert.ok(cal.bands[0].lower > cal.bands[3].lower && cal.bands[0].upper > cal.bands[3].upper);
    // banding keeps the wQL cost of the wider interval small (one pooled factor cost 5.5 %)
    assert.ok(mCal.meanWql < 1.02 * mRaw.meanWql, `meanWql ${mCal.meanWql} vs raw ${mRaw.meanWql}`);
    assert.ok(Math.abs(cal.coverageAfter - 0.8) < 0.01, `validation coverage ${cal.coverageAfter}`);
    assert.ok(
      Math.abs(mCal.coverage80 - 0.8) < Math.abs(mRaw.coverage80 - 0.8),
      `holdout coverage ${mCal.coverage80} should be nearer 0.8 than ${mRaw.coverage80}`,
    );
    assert.ok(mCal.coverage80 >= 0.72 && mCal.coverage80 <= 0.88, `coverage ${mCal.coverage80}`);
    assert.ok(width(fc) > width(raw));
    fc.forEach((f, i) => assert.deepEqual(f.p50, raw[i].p50));
    assert.equal(mCal.wape, mRaw.wape);
  });

  void it('learns the promo effect: promo = 1 on a target day raises its forecast', () => {
    // the highest-volume series: the lift is clearest there
    const idx = train.reduce((b, s, i) => (s.y[CUT - 1] > train[b].y[CUT - 1] ? i : b), 0);
    const base = train[idx];
    const noPromo: DemandSeries = {
      ...base,
      promo: Float64Array.from(base.promo ?? [], (v, i) => (i >= CUT ? 0 : v)),
      price: Float64Array.from(base.price ?? [], (v, i) => (i >= CUT ? 1 : v)),
    };
    const promoDays = new Set([CUT + 3, CUT + 10, CUT + 17]);
    const withPromo: DemandSeries = {
      ...noPromo,
      id: `${base.id}-promo`,
      promo: Float64Array.from(noPromo.promo ?? [], (v, i) => (promoDays.has(i) ? 1 : v)),
      price: Float64Array.from(noPromo.price ?? [], (v, i) => (promoDays.has(i) ? 0.8 : v)),
    };
    const [a, b] = model.forecast(tf, [noPromo, withPromo], H);
    for (const d of promoDays) {
      const j = d - CUT;
      console.log(
        `[globalq] ${base.id} day +${j}: p50 without promo ${a.p50[j].toFixed(1)}, with promo ${b.p50[j].toFixed(1)}`,
      );
      assert.ok(b.p50[j] > 1.2 * a.p50[j], `step ${j}: ${b.p50[j]} vs ${a.p50[j]}`);
    }
  });

  void it('save/load round-trips: identical forecasts, vocabularies and shape', async () => {
    const buf = await model.save(tf, { trainedOn: 'synthetic' });
    const loaded = await GlobalQuantileModel.load(tf, buf);
    try {
      assert.deepEqual(loaded.forecast(tf, train, H), fc);
      assert.deepEqual(loaded.shape, model.shape);
      assert.deepEqual(loaded.calibration, model.calibration);
      assert.deepEqual(loaded.categories.values, ['cat-0', 'cat-1', 'cat-2']);
      assert.equal(loaded.fitInfo, null);
    } finally {
      loaded.dispose();
    }
    await assert.rejects(model.save(tf, { 'globalq.shape': 'x' }), /reserved prefix 'globalq\.'/);
  });

  void it('cold start: short or empty histories and unknown categories still get a flagged forecast', () => {
    const src = train[5];
    const short: DemandSeries = {
      id: 'NEW-1',
      category: 'never-seen',
      startDay: src.startDay + CUT - 20,
      y: src.y.slice(CUT - 20, CUT),
      price: src.price?.slice(CUT - 20),
      promo: src.promo?.slice(CUT - 20),
    };
    const empty: DemandSeries = {
      id: 'NEW-2',
      category: 'cat-0',
      startDay: 20000,
      y: new Float64Array(0),
    };
    const out = model.forecast(tf, [short, empty, train[5]], H);
    assertValid(out, 'cold');
    assert.deepEqual(
      out.map((f) => f.coldStart),
      [true, true, false],
    );
    const histMean = short.y.reduce((a, v) => a + v, 0) / short.y.length;
    const fcMean = out[0].p50.reduce((a, v) => a + v, 0) / H;
    console.log(
      `[globalq] cold start: history mean ${histMean.toFixed(1)}, p50 mean ${fcMean.toFixed(1)}`,
    );
    assert.ok(
      fcMean > 0.5 * histMean && fcMean < 2 * histMean,
      `p50 mean ${fcMean} vs ${histMean}`,
    );
  });

  void it('the ForecastModel adapter forecasts one series like forecast()', () => {
    const s = train[2];
    const { y, ...meta } = s;
    const m = GlobalQuantileModel.asForecastModel(tf, model, meta);
    const got = m.fit(y).predict(14);
    const want = model.forecast(tf, [s], 14)[0];
    assert.deepEqual(got, { mean: want.mean, p10: want.p10, p50: want.p50, p90: want.p90 });
    assert.throws(() => m.predict(14, 90), /level must be 80/);
  });

  void it('rejects bad inputs precisely', () => {
    assert.throws(
      () => model.forecast(tf, train, H + 1),
      (e: unknown) =>
        e instanceof ForecastInputError && /h must be an integer in \[1, 28\]/.test(e.message),
    );
    const shortPrice = { ...train[0], price: train[0].price?.slice(0, CUT + 5) };
    assert.throws(
      () => model.forecast(tf, [shortPrice], H),
      /series 0 \('SKU-00000'\): price has 127 values, needs 150/,
    );
    const neg = { ...train[1], y: Float64Array.from(train[1].y, (v, i) => (i === 9 ? -1 : v)) };
    assert.throws(
      () => model.forecast(tf, [train[0], neg], H),
      /series 1 \('SKU-00001'\): y\[9\] is -1/,
    );
    assert.throws(
      () => model.forecast(tf, [train[0], train[0]], H),
      /series 1 \('SKU-00000'\): duplicate id/,
    );
  });

  void it('warm start continues from the weights: fewer epochs to the cold fit’s validation loss', async () => {
    // 28 more days arrive: refit on the full 150 days, from scratch and from the model above
    const logCold: number[] = [];
    const logWarm: number[] = [];
    const cold = await GlobalQuantileModel.fit(tf, full, {
      ...OPTS,
      epochs: 6,
      onEpoch: (p) => logCold.push(p.valLoss),
    });
    const warm = await GlobalQuantileModel.fit(tf, full, {
      ...OPTS,
      epochs: 6,
      warmStart: model,
      onEpoch: (p) => logWarm.push(p.valLoss),
    });
    try {
      const target = Math.min(...logCold) * 1.02;
      const reach = (log: number[]): number => log.findIndex((v) => v <= target) + 1;
      console.log(
        `[globalq] epochs to val loss ≤ ${target.toFixed(4)}: cold ${reach(logCold)} (of ${logCold.length}), warm ${reach(logWarm)} (of ${logWarm.length}); first epoch cold ${logCold[0].toFixed(4)} warm ${logWarm[0].toFixed(4)}`,
      );
      assert.ok(reach(logWarm) >= 1, 'the warm fit never reached the cold fit’s loss');
      assert.ok(
        reach(logWarm) < reach(logCold),
        `warm ${reach(logWarm)} vs cold ${reach(logCold)}`,
      );
      assert.ok(logWarm[0] < logCold[0]);
      assert.equal(warm.fitInfo?.warmStarted, true);
      // the champion is untouched
      assert.deepEqual(model.forecast(tf, train, H), fc);
    } finally {
      cold.dispose();
      warm.dispose();
    }
  });

  void it('is deterministic for a seed and leaks no tensors', async () => {
    const small = train.slice(0, 12);
    const o: GlobalModelOptions = { ...OPTS, epochs: 2, hidden: [16], windowsPerSeries: 8 };
    const before = tf.memory().numTensors;
    const a = await GlobalQuantileModel.fit(tf, small, o);
    const fa = a.forecast(tf, small, H);
    a.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors left after fit + forecast + dispose');
    const b = await GlobalQuantileModel.fit(tf, small, o);
    const c = await GlobalQuantileModel.fit(tf, small, { ...o, seed: 8 });
    try {
      assert.deepEqual(b.forecast(tf, small, H), fa);
      assert.notDeepEqual(c.forecast(tf, small, H), fa);
      assert.deepEqual(
        b.fitInfo?.history.map((e) => e.valLoss),
        a.fitInfo?.history.map((e) => e.valLoss),
      );
    } finally {
      b.dispose();
      c.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  void it('fit rejects too-short data and a warm start with another horizon', async () => {
    const tiny = train.map((s) => truncateSeries(s, 30, H));
    await assert.rejects(
      GlobalQuantileModel.fit(tf, tiny, OPTS),
      /no series has the 42 days needed for a validation window/,
    );
    await assert.rejects(
      GlobalQuantileModel.fit(tf, train, { ...OPTS, horizon: 14, warmStart: model }),
      /horizon = 14 differs from the warm-start model's 28/,
    );
  });
});

void describe('rollingOriginBacktestGlobal', () => {
  const data = syntheticDemand({ series: 8, days: 120, seed: 11 });
  data.push({ id: 'short', category: 'cat-0', startDay: 20000, y: new Float64Array(50).fill(3) });

  void it('fits once per origin on truncated series and scores like the per-series backtest', async () => {
    const seen: { origin: number; lengths: number[]; covariates: number[] }[] = [];
    const r = await rollingOriginBacktestGlobal(
      data,
      (trainSet, origin) => {
        seen.push({
          origin,
          lengths: trainSet.map((s) => s.y.length),
          covariates: trainSet.map((s) => s.price?.length ?? -1),
        });
        return Promise.resolve({
          name: 'GlobalSeasonalNaive',
          forecast: (series: DemandSeries[], h: number) =>
            series.map((s) => new SeasonalNaive(7).fit(s.y).predict(h)),
        });
      },
      { origins: 3, horizon: 28 },
    );
    assert.deepEqual(
      seen.map((s) => s.origin),
      [1, 2, 3],
    );
    assert.deepEqual(seen[0].lengths, [...new Array<number>(8).fill(92), 22]);
    assert.deepEqual(seen[2].lengths, new Array<number>(8).fill(36));
    assert.deepEqual(seen[2].covariates, new Array<number>(8).fill(64));
    assert.equal(r.globalFits, 3);
    assert.equal(r.fits, 9 + 8 + 8);
    assert.deepEqual(
      r.origins.map((o) => o.skippedIds),
      [[], ['short'], ['short']],
    );
    const ref = rollingOriginBacktest(data, () => new SeasonalNaive(7), {
      origins: 3,
      horizon: 28,
    });
    assert.deepEqual(r.total, ref.total);
    assert.deepEqual(
      r.origins.map((o) => o.metrics),
      ref.origins.map((o) => o.metrics),
    );
    await assert.rejects(
      rollingOriginBacktestGlobal(
        data,
        () => Promise.reject(new Error('makeGlobal must not run')),
        {
          origins: 3,
          horizon: 28,
          level: 90,
        },
      ),
      /level must be 80/,
    );
  });

  void it('runs GlobalQuantileModel through forecaster(): valid forecasts, model disposed', async () => {
    const tf = (await getTf({ backend: 'cpu', log: () => undefined })).tf;
    // origin 3 trains on 160 − 3·28 = 76 days: a training window needs 2·28 + 14 = 70
    const long = syntheticDemand({ series: 8, days: 160, seed: 12 });
    const before = tf.memory().numTensors;
    const r = await rollingOriginBacktestGlobal(
      long,
      async (trainSet) =>
        (
          await GlobalQuantileModel.fit(tf, trainSet, {
            hidden: [8],
            decoderUnits: 4,
            epochs: 2,
            windowsPerSeries: 4,
            seed: 3,
          })
        ).forecaster(tf),
      { origins: 3, horizon: 28, keepForecasts: true },
    );
    assert.equal(r.model, 'GlobalQuantile');
    assert.equal(r.globalFits, 3);
    assert.equal(r.total.n, 3 * 8 * 28);
    assert.ok(Number.isFinite(r.total.meanWql));
    assertValid(
      r.origins.flatMap((o) => (o.forecasts ?? []).map((f) => f.forecast)),
      'backtest',
    );
    assert.equal(tf.memory().numTensors, before, 'every origin’s model is disposed');
  });
});

void describe('calibrateInterval', () => {
  const normals = (n: number, seed: number): Float64Array => {
    const rnd = seededRandom(seed);
    return Float64Array.from(
      { length: n },
      () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd()),
    );
  };
  const cover = (y: Float64Array, lo: number, hi: number): number =>
    y.reduce((a, v) => a + (v >= lo && v <= hi ? 1 : 0), 0) / y.length;

  void it('stretches a too-narrow interval to the target on held-out draws, and shrinks a too-wide one', () => {
    // y = 5 + N(0, 1): the true P10/P90 are 5 ∓ 1.2816
    const fit = Float64Array.from(normals(4000, 1), (v) => 5 + v);
    const held = Float64Array.from(normals(4000, 2), (v) => 5 + v);
    const n = fit.length;
    const c = (w: number): ReturnType<typeof calibrateInterval> =>
      calibrateInterval(
        new Float64Array(n).fill(5 - w),
        new Float64Array(n).fill(5),
        new Float64Array(n).fill(5 + w),
        fit,
        0.8,
      );
    const narrow = c(0.5);
    assert.ok(narrow.coverageBefore < 0.45, `before ${narrow.coverageBefore}`);
    assert.ok(Math.abs(narrow.coverageAfter - 0.8) < 0.002, `after ${narrow.coverageAfter}`);
    assert.ok(Math.abs(narrow.lower * 0.5 - 1.2816) < 0.1, `lower ${narrow.lower}`);
    assert.ok(Math.abs(narrow.upper * 0.5 - 1.2816) < 0.1, `upper ${narrow.upper}`);
    const [lo, hi] = applyCalibration(narrow, 4.5, 5, 5.5);
    const heldCov = cover(held, lo, hi);
    assert.ok(heldCov >= 0.77 && heldCov <= 0.83, `held-out coverage ${heldCov}`);
    const wide = c(3);
    assert.ok(wide.lower < 1 && wide.upper < 1, `${wide.lower}, ${wide.upper}`);
    assert.ok(Math.abs(wide.coverageAfter - 0.8) < 0.002);
  });

  void it('handles asymmetric misses per side and keeps quantiles ordered and non-negative', () => {
    // skewed: exponential demand with mean 2, predicted interval [1.5, 2.5] around p50 2
    const rnd = seededRandom(9);
    const y = Float64Array.from({ length: 3000 }, () => -2 * Math.log(Math.max(rnd(), 1e-12)));
    const n = y.length;
    const c = calibrateInterval(
      new Float64Array(n).fill(1.5),
      new Float64Array(n).fill(2),
      new Float64Array(n).fill(2.5),
      y,
      0.8,
    );
    // true P10 = 0.21, P90 = 4.61: the lower side stretches to ≈ 1.79/0.5, the upper to ≈ 2.61/0.5
    assert.ok(Math.abs(2 - c.lower * 0.5 - 0.211) < 0.05, `p10 ${2 - c.lower * 0.5}`);
    assert.ok(Math.abs(2 + c.upper * 0.5 - 4.605) < 0.3, `p90 ${2 + c.upper * 0.5}`);
    const [p10, p90] = applyCalibration({ ...c, lower: 10 }, 1.5, 2, 2.5);
    assert.equal(p10, 0);
    assert.ok(p90 >= 2);
  });

  void it('bands of row scale get their own factors: each band reaches the target', () => {
    // small rows (scale 2) have noise sd 1 around a predicted ±0.5; large rows (scale 100) sd 1 around
    // a predicted ±1.2816 (already right). One pooled factor would over-widen the large rows.
    const n = 2000;
    const e = normals(2 * n, 4);
    const p10: number[] = [];
    const p50: number[] = [];
    const p90: number[] = [];
    const y: number[] = [];
    const scale: number[] = [];
    for (let i = 0; i < 2 * n; i++) {
      const small = i < n;
      const w = small ? 0.5 : 1.2816;
      p10.push(5 - w);
      p50.push(5);
      p90.push(5 + w);
      y.push(5 + e[i]);
      scale.push(small ? 2 : 100);
    }
    const c = calibrateInterval(p10, p50, p90, y, 0.8, scale, 4);
    // 4000 points allow 4 bands, but there are only two distinct scales
    assert.deepEqual(
      c.bands.map((b) => [b.fromScale, b.points]),
      [
        [0, n],
        [100, n],
      ],
    );
    assert.ok(Math.abs(c.bands[0].lower * 0.5 - 1.2816) < 0.1, `small ${c.bands[0].lower}`);
    assert.ok(Math.abs(c.bands[1].lower - 1) < 0.08, `large ${c.bands[1].lower}`);
    assert.ok(Math.abs(c.bands[1].upper - 1) < 0.08, `large ${c.bands[1].upper}`);
    assert.ok(Math.abs(c.coverageAfter - 0.8) < 0.005, `after ${c.coverageAfter}`);
    const [lo, hi] = applyCalibration(c, 4.5, 5, 5.5, 2);
    assert.ok(Math.abs(hi - lo - 2 * c.bands[0].upper * 0.5) < 1.5, `${lo}, ${hi}`);
    const [lo2, hi2] = applyCalibration(c, 5 - 1.2816, 5, 5 + 1.2816, 150);
    assert.ok(hi2 - lo2 < 1.15 * 2 * 1.2816, `large band width ${hi2 - lo2}`);
    // too few points for a second band: pooled factors only
    const few = calibrateInterval(
      p10.slice(0, 500),
      p50.slice(0, 500),
      p90.slice(0, 500),
      y.slice(0, 500),
      0.8,
      scale.slice(0, 500),
      4,
    );
    assert.deepEqual(few.bands, []);
  });

  void it('rejects bad arguments', () => {
    const a = new Float64Array(3);
    assert.throws(() => calibrateInterval(a, a, a, a, 1), /targetCoverage = 1/);
    assert.throws(() => calibrateInterval(a, a, a, new Float64Array(2), 0.8), /same length/);
    const e = new Float64Array(0);
    assert.throws(() => calibrateInterval(e, e, e, e, 0.8), /no calibration points/);
  });
});
