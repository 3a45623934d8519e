// Agreement of the baselines with statsforecast's reference outputs (shared/golden, see its README):
// exact for SeasonalNaive, Croston and TSB; AICc, mean sMAPE and 80 % width for AutoEts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AutoEts } from './auto-ets';
import { Croston } from './croston';
import { Ets } from './ets';
import { SeasonalNaive } from './seasonal-naive';
import { loadGolden, type GoldenSeries } from './testing/golden';
import { Tsb } from './tsb';
import type { Forecast } from './types';

const golden = loadGolden(__dirname);
const byName = (name: string): GoldenSeries =>
  golden.series.find((s) => s.name === name) ?? assert.fail(`golden series ${name} missing`);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** sMAPE in percent: mean of 2|a − b|/(|a| + |b|). */
function smape(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const den = Math.abs(x) + Math.abs(y);
    s += den === 0 ? 0 : (2 * Math.abs(x - y)) / den;
  }
  return (100 * s) / a.length;
}

/** Mean width of our [p10, p90] over the reference's mean 80 % width. */
function widthRatio(fc: Forecast, g: GoldenSeries): number {
  let ours = 0;
  let ref = 0;
  for (let i = 0; i < fc.mean.length; i++) {
    ours += fc.p90[i] - fc.p10[i];
    ref += g.auto_ets.hi_80[i] - g.auto_ets.lo_80[i];
  }
  return ours / ref;
}

const horizon = (g: GoldenSeries): number => g.seasonal_naive.length;

void describe(`forecast baselines vs ${golden.generated_with}`, () => {
  for (const g of golden.series) {
    void it(`SeasonalNaive(${g.season_length}) matches seasonal_naive on ${g.name} to 1e-6`, () => {
      const fc = new SeasonalNaive(g.season_length).fit(g.y).predict(horizon(g));
      const d = maxAbsDiff(fc.mean, g.seasonal_naive);
      console.log(`[golden] ${g.name} SeasonalNaive max |diff| = ${d.toExponential(2)}`);
      assert.ok(d <= 1e-6, `max |diff| ${d}`);
    });
    const croston = g.croston_classic;
    const tsb = g['tsb_alpha_d_0.2_alpha_p_0.2'];
    if (croston && tsb) {
      void it(`Croston matches croston_classic and Tsb(0.2, 0.2) matches tsb on ${g.name} to 1e-6`, () => {
        const c = new Croston().fit(g.y).predict(horizon(g));
        const t = new Tsb(0.2, 0.2).fit(g.y).predict(horizon(g));
        const dc = maxAbsDiff(c.mean, croston);
        const dt = maxAbsDiff(t.mean, tsb);
        console.log(
          `[golden] ${g.name} Croston |diff| = ${dc.toExponential(2)}, TSB |diff| = ${dt.toExponential(2)}`,
        );
        assert.ok(dc <= 1e-6, `Croston max |diff| ${dc}`);
        assert.ok(dt <= 1e-6, `TSB max |diff| ${dt}`);
      });
    }
  }

  // AICc on one definition for both sides: lik = n·log(SSE) for additive errors and
  // n·log(Σ(e/ŷ)²) + 2·Σ log|ŷ| for statsforecast's multiplicative errors — both are −2·log L of y
  // minus the same constant n·(1 + log(2π/n)), so they compare across error types.
  const close = [
    'daily_level_weekly',
    'daily_trend_weekly',
    'daily_multiplicative_weekly',
    'daily_intermittent',
  ];
  // Both fitting modes: seasonal initial states estimated (default, as statsforecast) or kept at
  // the decomposition values (fitInitialSeason: false, the fast mode).
  for (const fitInitialSeason of [true, false]) {
    const tag = fitInitialSeason ? '' : ' (fitInitialSeason: false)';
    for (const name of close) {
      void it(`AutoEts${tag} on ${name}: AICc ≤ reference + 1 %, mean sMAPE < 3 %, 80 % width within 25 %`, () => {
        const g = byName(name);
        const model = new AutoEts({
          seasonLength: g.season_length,
          nonNegative: false,
          fitInitialSeason,
        }).fit(g.y);
        const fc = model.predict(horizon(g), golden.level);
        const sel = model.selected;
        const rel = (sel.aicc - g.auto_ets.aicc) / Math.abs(g.auto_ets.aicc);
        const sm = smape(fc.mean, g.auto_ets.mean);
        const w = widthRatio(fc, g);
        console.log(
          `[golden]${tag} ${name} AutoEts chose ${sel.name} AICc ${sel.aicc.toFixed(2)} vs ${g.auto_ets.chosen} ${g.auto_ets.aicc} ` +
            `(${(100 * rel).toFixed(3)} %), mean sMAPE ${sm.toFixed(2)} %, width ratio ${w.toFixed(3)}`,
        );
        assert.ok(
          rel <= 0.01,
          `AICc ${sel.aicc} is ${(100 * rel).toFixed(2)} % worse than ${g.auto_ets.aicc}`,
        );
        assert.ok(sm < 3, `mean sMAPE ${sm} %`);
        assert.ok(w > 0.75 && w < 1.25, `80 % width ratio ${w}`);
      });
    }

    void it(`AutoEts${tag} on air_passengers_monthly: AICc ≤ reference + 1 % (it picks a trended ETS(A,A,M), the reference ETS(M,N,M))`, () => {
      const g = byName('air_passengers_monthly');
      const model = new AutoEts({ seasonLength: 12, nonNegative: false, fitInitialSeason }).fit(
        g.y,
      );
      const fc = model.predict(horizon(g), golden.level);
      const sel = model.selected;
      const rel = (sel.aicc - g.auto_ets.aicc) / Math.abs(g.auto_ets.aicc);
      console.log(
        `[golden]${tag} air_passengers_monthly AutoEts chose ${sel.name} AICc ${sel.aicc.toFixed(2)} vs ${g.auto_ets.chosen} ${g.auto_ets.aicc} ` +
          `(${(100 * rel).toFixed(3)} %), mean sMAPE ${smape(fc.mean, g.auto_ets.mean).toFixed(2)} %, width ratio ${widthRatio(fc, g).toFixed(3)}`,
      );
      assert.ok(
        rel <= 0.01,
        `AICc ${sel.aicc} is ${(100 * rel).toFixed(2)} % worse than ${g.auto_ets.aicc}`,
      );
    });

    // KNOWN DIFFERENCE, stated rather than loosened: our chosen ETS(A,A,M) has a lower AICc than the
    // reference but, being a different (trended, additive-error) model, its mean is 6–6.5 % sMAPE away and its
    // 80 % interval 15–27 % narrower. The forecast comparison is therefore made with the same structure as
    // the reference: ETS(A,N,M), the additive-error counterpart of ETS(M,N,M).
    void it(`air_passengers_monthly forecast${tag} (the automatic choice differs: compared via ETS(A,N,M)): sMAPE < 3 %, width within 25 %`, () => {
      const g = byName('air_passengers_monthly');
      const model = new Ets({
        trend: 'N',
        season: 'M',
        seasonLength: 12,
        nonNegative: false,
        fitInitialSeason,
      }).fit(g.y);
      const fc = model.predict(horizon(g), golden.level);
      const sm = smape(fc.mean, g.auto_ets.mean);
      const w = widthRatio(fc, g);
      console.log(
        `[golden]${tag} air_passengers_monthly ETS(A,N,M) AICc ${model.fitted.aicc.toFixed(2)}, mean sMAPE ${sm.toFixed(2)} %, width ratio ${w.toFixed(3)}`,
      );
      assert.ok(sm < 3, `mean sMAPE ${sm} %`);
      assert.ok(w > 0.75 && w < 1.25, `80 % width ratio ${w}`);
    });
  }

  void it('default nonNegative clips the intermittent series’ AutoEts interval at 0 (the reference’s lower bound is negative)', () => {
    const g = byName('daily_intermittent');
    assert.ok(g.auto_ets.lo_80[0] < 0);
    const fc = new AutoEts({ seasonLength: 7 }).fit(g.y).predict(horizon(g));
    for (let i = 0; i < fc.mean.length; i++) {
      assert.equal(fc.p10[i], 0);
      assert.ok(fc.p10[i] <= fc.p50[i] && fc.p50[i] <= fc.p90[i]);
    }
  });
});
