// Unit tests of the demand model (backtest of every method, champion, artifact, forecaster routing)
// on the cpu backend with a small global model and a 7-day horizon (cheap on a shared machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getTf, type Tf } from '../tf-provider';
import { AutoEts } from './auto-ets';
import { DEMAND_METHODS, type DemandForecaster, type SkuDemandForecast } from './demand-forecaster';
import {
  DemandArtifactError,
  NotEnoughDemandHistoryError,
  backtestStep,
  decodeDemandArtifact,
  encodeDemandArtifact,
  fromFirstSale,
  loadDemandForecasterWith,
  minimumDemandHistory,
  trainDemandModel,
  type TrainedDemandModel,
} from './demand-model';
import type { DemandSeries } from './global/features';
import { GlobalQuantileModel } from './global/model';
import { PerSkuWorkerPool } from './per-sku-pool';
import { syntheticDemand } from './global/synthetic';
import { SeasonalNaive } from './seasonal-naive';

const H = 7;
const DAYS = 60;
const GLOBAL = {
  hidden: [16],
  decoderUnits: 4,
  epochs: 3,
  patience: 2,
  windowsPerSeries: 6,
  lookback: 21,
  seed: 5,
};

function assertValid(fcs: SkuDemandForecast[], originDay: number, horizon: number): void {
  for (const f of fcs) {
    assert.equal(f.days.length, horizon, `${f.sku}: ${f.days.length} days`);
    f.days.forEach((d, j) => {
      const at = `${f.sku} day ${j}`;
      assert.equal(d.date, new Date((originDay + j) * 86_400_000).toISOString().slice(0, 10), at);
      assert.ok(d.p10 >= 0 && Number.isFinite(d.p90), `${at}: ${JSON.stringify(d)}`);
      assert.ok(d.p10 <= d.p50 && d.p50 <= d.p90, `${at}: crossing ${JSON.stringify(d)}`);
    });
  }
}

describe('demand model: minimum history and origin spacing', () => {
  it('needs 3·horizon + 14 + (origins − 1) days; origins are spaced by horizon when possible', () => {
    assert.equal(minimumDemandHistory(28, 3), 100);
    assert.equal(backtestStep(100, 28, 3), 1);
    assert.equal(backtestStep(120, 28, 3), 11);
    assert.equal(backtestStep(182, 28, 3), 28);
    assert.equal(backtestStep(365, 28, 3), 28);
    assert.throws(
      () => backtestStep(99, 28, 3),
      (e: unknown) =>
        e instanceof NotEnoughDemandHistoryError &&
        e.needDays === 100 &&
        /99 days since its first sale, the backtest needs at least 100 \(1 missing\)/.test(
          e.message,
        ),
    );
  });

  it('cuts a series to its first sale, covariates alike', () => {
    const s = fromFirstSale({
      id: 'a',
      category: 'c',
      startDay: 10,
      y: Float64Array.from([0, 0, 3, 0, 1]),
      price: Float64Array.from([1, 1, 0.9, 1, 1, 1]),
    });
    assert.equal(s.startDay, 12);
    assert.deepEqual([...s.y], [3, 0, 1]);
    assert.deepEqual([...(s.price ?? [])], [0.9, 1, 1, 1]);
  });
});

describe('demand model: training, artifact and forecaster', () => {
  let tf: Tf;
  let series: DemandSeries[];
  let trained: TrainedDemandModel;
  let forecaster: DemandForecaster;
  const originDay = 20_000 + DAYS;

  before(async () => {
    tf = (await getTf({ backend: 'cpu', log: () => undefined })).tf;
    series = syntheticDemand({ series: 12, days: DAYS, futureDays: H, seed: 11, startDay: 20_000 });
    // an intermittent SKU: a sale every third day
    series.push({
      id: 'slow',
      category: series[0].category,
      startDay: 20_000,
      y: Float64Array.from({ length: DAYS }, (_, i) => (i % 3 === 0 ? 2 : 0)),
    });
    const phases: string[] = [];
    trained = await trainDemandModel(
      tf,
      series,
      { horizon: H, origins: 3, timeZone: 'UTC', global: GLOBAL },
      (p) => phases.push(p.phase),
    );
    assert.ok(phases.includes('backtest auto_ets') && phases.includes('final global fit'));
    forecaster = await loadDemandForecasterWith(
      tf,
      { name: 'demand', version: 1 },
      trained.artifact,
    );
  });
  after(() => undefined);

  it('scores every method on the same (series, origin) pairs and names the best mean wQL the champion', () => {
    const m = trained.metrics;
    assert.equal(m.origins, 3);
    assert.equal(m.step, H, 'enough history for non-overlapping origins');
    assert.equal(m.perOrigin.length, 3);
    const fits = m.backtest.seasonal_naive?.fits;
    assert.equal(fits, 13 * 3);
    for (const method of DEMAND_METHODS) {
      const row = m.backtest[method];
      assert.ok(row, method);
      assert.equal(row.fits, fits, `${method} fits`);
      assert.ok(
        Number.isFinite(row.meanWql) && row.meanWql > 0,
        `${method} meanWql ${row.meanWql}`,
      );
      assert.ok(row.coverage80 >= 0 && row.coverage80 <= 1);
      for (const o of m.perOrigin) assert.equal(o[method]?.fits, 13, `${method} per origin`);
    }
    const best = Math.min(...DEMAND_METHODS.map((x) => m.backtest[x]!.meanWql));
    assert.equal(m.backtest[m.champion]!.meanWql, best);
    assert.equal(m.intermittent.skus, 1, 'only "slow" has ADI > 1.32');
    assert.equal(m.intermittent.backtest.croston?.fits, 3);
    assert.ok(trained.featureNames.includes('lag_21'));
  });

  it('round-trips the artifact: the header and identical forecasts from two loads', async () => {
    const { header } = decodeDemandArtifact(trained.artifact);
    assert.equal(header.champion, trained.metrics.champion);
    assert.equal(header.horizon, H);
    const again = await loadDemandForecasterWith(
      tf,
      { name: 'demand', version: 2 },
      trained.artifact,
    );
    assert.equal(again.version, 2);
    assert.equal(again.method, trained.metrics.champion);
    const opts = { originDay, horizon: H, minHistoryDays: 28 };
    const a = await forecaster.forecast(series, opts);
    const b = await again.forecast(series, opts);
    assert.deepEqual(a, b);
    assertValid(a, originDay, H);
  });

  it('routes SKUs with fewer than minHistoryDays since their first sale to the global model (cold start)', async () => {
    const young: DemandSeries = {
      id: 'new',
      category: 'never-seen',
      startDay: 20_000,
      y: Float64Array.from({ length: DAYS }, (_, i) => (i >= DAYS - 5 ? 4 : 0)),
    };
    const { header, global } = decodeDemandArtifact(trained.artifact);
    const naive = await loadDemandForecasterWith(
      tf,
      { name: 'demand', version: 3 },
      encodeDemandArtifact({ ...header, champion: 'seasonal_naive' }, global),
    );
    const fcs = await naive.forecast([series[0], young], {
      originDay,
      horizon: H,
      minHistoryDays: 28,
    });
    assertValid(fcs, originDay, H);
    assert.equal(fcs[1].coldStart, true);
    assert.equal(fcs[1].method, 'global');
    assert.equal(fcs[0].coldStart, false);
    assert.equal(fcs[0].method, 'seasonal_naive');
    // seasonal naive on the latest history: the last week repeated
    const expect = new SeasonalNaive(7).fit(series[0].y).predict(H);
    assert.deepEqual(
      fcs[0].days.map((d) => d.p50),
      [...expect.p50],
    );
    assert.deepEqual(
      fcs[0].days.map((d) => d.p50),
      [...series[0].y.slice(DAYS - 7)],
    );
  });

  it('the ensemble is the per-day median of AutoETS, global and seasonal naive', async () => {
    const { header, global } = decodeDemandArtifact(trained.artifact);
    const mk = (champion: 'ensemble' | 'global' | 'auto_ets') =>
      loadDemandForecasterWith(
        tf,
        { name: 'demand', version: 4 },
        encodeDemandArtifact({ ...header, champion, ets: {} }, global),
      );
    const s = [series[1]];
    const opts = { originDay, horizon: H, minHistoryDays: 28 };
    const [ens] = await (await mk('ensemble')).forecast(s, opts);
    const [glo] = await (await mk('global')).forecast(s, opts);
    const [ets] = await (await mk('auto_ets')).forecast(s, opts);
    const auto = new AutoEts({ seasonLength: 7 }).fit(series[1].y).predict(H);
    const naive = new SeasonalNaive(7).fit(series[1].y).predict(H);
    ens.days.forEach((d, j) => {
      const vals = [glo.days[j].p50, auto.p50[j], naive.p50[j]].sort((x, y) => x - y);
      assert.ok(Math.abs(d.p50 - vals[1]) < 1e-9, `day ${j}: ${d.p50} vs median ${vals[1]}`);
      assert.ok(Math.abs(ets.days[j].p50 - auto.p50[j]) < 1e-9);
    });
    assert.equal(ens.method, 'ensemble');
  });

  it('forecasts the same on a worker pool as in-process (AutoETS and ensemble champions)', async () => {
    const { header, global } = decodeDemandArtifact(trained.artifact);
    const pool = new PerSkuWorkerPool({ size: 2, batchSkus: 3 });
    try {
      for (const champion of ['auto_ets', 'ensemble'] as const) {
        const f = await loadDemandForecasterWith(
          tf,
          { name: 'demand', version: 5 },
          encodeDemandArtifact({ ...header, champion }, global),
        );
        const opts = { originDay, horizon: H, minHistoryDays: 28 };
        const progress: number[] = [];
        const pooled = await f.forecast(series, {
          ...opts,
          fitter: pool,
          onProgress: (d) => progress.push(d),
        });
        assert.deepEqual(pooled, await f.forecast(series, opts), champion);
        assert.equal(progress.at(-1), series.length, `${champion}: every SKU fitted`);
      }
    } finally {
      await pool.close();
    }
  });

  it('rejects a forecast whose series do not end the day before the origin, and a bad artifact', async () => {
    await assert.rejects(
      forecaster.forecast(series.slice(0, 1), {
        originDay: originDay + 1,
        horizon: H,
        minHistoryDays: 28,
      }),
      /series 0 \('.*'\) ends on day 20059, expected the day before originDay 20061/,
    );
    await assert.rejects(
      forecaster.forecast(series.slice(0, 1), { originDay, horizon: H + 1, minHistoryDays: 28 }),
      /horizon must be an integer in \[1, 7\]/,
    );
    assert.throws(() => decodeDemandArtifact(Buffer.from('nope')), DemandArtifactError);
    const { header, global } = decodeDemandArtifact(trained.artifact);
    const bad = encodeDemandArtifact({ ...header, champion: 'prophet' as 'global' }, global);
    assert.throws(() => decodeDemandArtifact(bad), /header.champion must be one of/);
  });

  it('a warm start from the previous global model is used when the layout matches', async () => {
    const { global } = decodeDemandArtifact(trained.artifact);
    const prev = await GlobalQuantileModel.load(tf, global);
    try {
      const warm = await trainDemandModel(tf, series, {
        horizon: H,
        origins: 3,
        timeZone: 'UTC',
        global: { ...GLOBAL, epochs: 1 },
        warmStart: prev,
      });
      assert.equal(warm.warmStarted, true);
      assert.equal(warm.globalFit?.warmStarted, true);
      const other = await trainDemandModel(tf, series, {
        horizon: H,
        origins: 3,
        timeZone: 'UTC',
        global: { ...GLOBAL, epochs: 1, lookback: 14 },
        warmStart: prev,
      });
      assert.equal(other.warmStarted, false, 'a different lookback trains from scratch');
    } finally {
      prev.dispose();
    }
  });
});
