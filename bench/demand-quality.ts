// Quality part of the demand benchmark: the rolling-origin backtest of every demand model on one
// data set (same origins, same scoring), the median ensemble from the members' kept forecasts, the
// global model's raw (uncalibrated) quantiles beside its calibrated ones, the champion (best mean
// wQL) and the issue's targets.
import {
  AutoEts,
  Croston,
  GlobalQuantileModel,
  SeasonalNaive,
  Tsb,
  addSums,
  emptySums,
  metricsFromSums,
  rollingOriginBacktest,
  rollingOriginBacktestGlobal,
  seriesSums,
  type BacktestOptions,
  type BacktestResult,
  type DemandSeries,
  type Forecast,
  type ForecastMetrics,
  type ForecastModel,
  type GlobalCalibration,
  type GlobalModelOptions,
  type MetricSums,
  type Tf,
} from '@storepulse/ml';
import { progress } from './support';

export interface QualityRow {
  model: string;
  metrics: ForecastMetrics;
  /** Fit time per fitted (series, origin) for per-series models; per origin for the global model. */
  fitMs: number;
  fitUnit: 'per series' | 'per origin (all SKUs)' | 'members';
  predictMs: number;
}

export interface QualityResult {
  rows: QualityRow[];
  champion: QualityRow;
  targets: { name: string; value: string; pass: boolean }[];
  calibrations: GlobalCalibration[];
  globalEpochs: { epochs: number; bestEpoch: number; ms: number }[];
  /** The global model of origin 1 (the latest), kept for the speed part; the caller disposes it. */
  latestGlobal: GlobalQuantileModel | null;
}

/** Members of the median ensemble (names as in the rows). */
export const ENSEMBLE_MEMBERS = ['AutoETS', 'TSB', 'Global (calibrated)'] as const;

type Keyed = Map<string, { cutoff: number; forecast: Forecast }>;

function keyed(r: BacktestResult): Keyed {
  const out: Keyed = new Map();
  for (const o of r.origins)
    for (const f of o.forecasts ?? [])
      out.set(`${o.origin}:${f.id}`, { cutoff: f.cutoff, forecast: f.forecast });
  return out;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Per-step median of the members' mean and quantiles, then non-crossing (MedianEnsemble's rule). */
function medianForecast(fcs: Forecast[]): Forecast {
  const h = fcs[0].p50.length;
  const out: Forecast = {
    mean: new Float64Array(h),
    p10: new Float64Array(h),
    p50: new Float64Array(h),
    p90: new Float64Array(h),
  };
  for (const k of ['mean', 'p10', 'p50', 'p90'] as const)
    for (let i = 0; i < h; i++) out[k][i] = Math.max(0, median(fcs.map((f) => f[k][i])));
  for (let i = 0; i < h; i++) {
    out.p10[i] = Math.min(out.p10[i], out.p50[i]);
    out.p90[i] = Math.max(out.p90[i], out.p50[i]);
  }
  return out;
}

function score(
  series: DemandSeries[],
  forecasts: Keyed,
  horizon: number,
  m: number,
): ForecastMetrics {
  const byId = new Map(series.map((s) => [s.id, s]));
  const sums: MetricSums = emptySums();
  for (const [key, { cutoff, forecast }] of forecasts) {
    const id = key.slice(key.indexOf(':') + 1);
    const s = byId.get(id);
    if (!s) throw new Error(`score: forecast for unknown series ${id}`);
    addSums(
      sums,
      seriesSums(s.y.subarray(cutoff, cutoff + horizon), forecast, s.y.subarray(0, cutoff), m, id),
    );
  }
  return metricsFromSums(sums);
}

export async function runQuality(
  tf: Tf,
  label: string,
  series: DemandSeries[],
  bt: BacktestOptions,
  globalOpts: GlobalModelOptions,
): Promise<QualityResult> {
  const opts: BacktestOptions = { ...bt, keepForecasts: true };
  const perSeries: [string, () => ForecastModel][] = [
    ['SeasonalNaive(7)', () => new SeasonalNaive(7)],
    ['AutoETS', () => new AutoEts({ seasonLength: 7 })],
    ['Croston', () => new Croston()],
    ['TSB', () => new Tsb()],
  ];
  const rows: QualityRow[] = [];
  const kept = new Map<string, Keyed>();
  for (const [name, make] of perSeries) {
    progress(`${label}: backtest ${name} (${series.length} series × ${bt.origins} origins)`);
    const r = rollingOriginBacktest(series, make, opts);
    rows.push({
      model: name,
      metrics: r.total,
      fitMs: r.fitMsPerSeries,
      fitUnit: 'per series',
      predictMs: r.predictMs,
    });
    kept.set(name, keyed(r));
  }

  const raw: Keyed = new Map();
  const calibrations: GlobalCalibration[] = [];
  const globalEpochs: QualityResult['globalEpochs'] = [];
  let latestGlobal: GlobalQuantileModel | null = null;
  const g = await rollingOriginBacktestGlobal(
    series,
    async (train, origin) => {
      progress(`${label}: fitting the global model at origin ${origin} (${train.length} series)`);
      const model = await GlobalQuantileModel.fit(tf, train, {
        ...globalOpts,
        onEpoch: (p) => {
          if (p.epoch % 5 === 0)
            progress(
              `${label}: origin ${origin} epoch ${p.epoch}/${p.maxEpochs} train ${p.trainLoss.toFixed(4)} val ${p.valLoss.toFixed(4)} (${p.ms.toFixed(0)} ms)`,
            );
        },
      });
      const info = model.fitInfo;
      if (info) {
        calibrations.push(info.calibration);
        globalEpochs.push({ epochs: info.epochs, bestEpoch: info.bestEpoch, ms: info.ms });
      }
      if (origin === 1) latestGlobal = model;
      return {
        name: 'GlobalQuantile',
        forecast: (s: DemandSeries[], h: number) => {
          const uncal = model.forecast(tf, s, h, { calibrated: false });
          uncal.forEach((f, i) =>
            raw.set(`${origin}:${f.id}`, { cutoff: s[i].y.length, forecast: f }),
          );
          return model.forecast(tf, s, h);
        },
        // origin 1's model is kept for the speed part
        dispose: () => (origin === 1 ? undefined : model.dispose()),
      };
    },
    opts,
  );
  rows.push({
    model: 'Global (calibrated)',
    metrics: g.total,
    fitMs: g.fitMs / g.globalFits,
    fitUnit: 'per origin (all SKUs)',
    predictMs: g.predictMs,
  });
  kept.set('Global (calibrated)', keyed(g));
  rows.push({
    model: 'Global (raw quantiles)',
    metrics: score(series, raw, bt.horizon, bt.seasonLength ?? 7),
    fitMs: g.fitMs / g.globalFits,
    fitUnit: 'per origin (all SKUs)',
    predictMs: g.predictMs,
  });

  const ens: Keyed = new Map();
  const first: Keyed = kept.get(ENSEMBLE_MEMBERS[0]) ?? (new Map() as Keyed);
  for (const [key, v] of first) {
    const fcs = ENSEMBLE_MEMBERS.map((n) => kept.get(n)?.get(key)?.forecast);
    if (fcs.some((f) => f === undefined)) continue;
    ens.set(key, { cutoff: v.cutoff, forecast: medianForecast(fcs as Forecast[]) });
  }
  rows.push({
    model: `Median(${ENSEMBLE_MEMBERS.join(', ')})`,
    metrics: score(series, ens, bt.horizon, bt.seasonLength ?? 7),
    fitMs: Number.NaN,
    fitUnit: 'members',
    predictMs: Number.NaN,
  });

  // champion: best mean wQL among the candidate models (the raw global row is a diagnostic)
  const candidates = rows.filter((r) => r.model !== 'Global (raw quantiles)');
  const champion = candidates.reduce((b, r) => (r.metrics.meanWql < b.metrics.meanWql ? r : b));
  const sn = rows[0].metrics;
  const ets = rows[1].metrics;
  const c = champion.metrics;
  const targets = [
    {
      name: `champion WAPE ≤ 0.8 × seasonal naive (${(0.8 * sn.wape).toFixed(4)})`,
      value: c.wape.toFixed(4),
      pass: c.wape <= 0.8 * sn.wape,
    },
    {
      name: `champion WAPE ≤ AutoETS (${ets.wape.toFixed(4)})`,
      value: c.wape.toFixed(4),
      pass: c.wape <= ets.wape,
    },
    {
      name: `champion mean wQL ≤ AutoETS (${ets.meanWql.toFixed(4)})`,
      value: c.meanWql.toFixed(4),
      pass: c.meanWql <= ets.meanWql,
    },
    {
      name: 'champion P10–P90 coverage in [0.75, 0.85]',
      value: c.coverage80.toFixed(3),
      pass: c.coverage80 >= 0.75 && c.coverage80 <= 0.85,
    },
  ];
  return { rows, champion, targets, calibrations, globalEpochs, latestGlobal };
}

const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** The quality table as markdown. */
export function qualityMarkdown(q: QualityResult): string {
  const lines = [
    '| model | WAPE | MASE | wQL10 | wQL50 | wQL90 | mean wQL | P10–P90 coverage | bias | fit time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of q.rows) {
    const m = r.metrics;
    const name = r === q.champion ? `**${r.model}** (champion)` : r.model;
    const fit =
      r.fitUnit === 'members'
        ? 'its members'
        : r.fitUnit === 'per series'
          ? `${f(r.fitMs, 2)} ms/series`
          : `${f(r.fitMs / 1000, 1)} s/origin`;
    lines.push(
      `| ${name} | ${f(m.wape)} | ${f(m.mase, 3)} | ${f(m.wql10)} | ${f(m.wql50)} | ${f(m.wql90)} | ${f(m.meanWql)} | ${f(m.coverage80, 3)} | ${f(m.bias, 3)} | ${fit} |`,
    );
  }
  lines.push('', '| target | value | result |', '| --- | --- | --- |');
  for (const t of q.targets) lines.push(`| ${t.name} | ${t.value} | ${t.pass ? 'PASS' : 'FAIL'} |`);
  lines.push(
    '',
    `Global model per origin (1 = latest): ${q.globalEpochs
      .map(
        (e, i) =>
          `origin ${i + 1}: ${e.epochs} epochs (best ${e.bestEpoch}), ${f(e.ms / 1000, 1)} s, calibration lower ×${f(q.calibrations[i]?.lower ?? NaN, 3)} upper ×${f(q.calibrations[i]?.upper ?? NaN, 3)} (validation coverage ${f(q.calibrations[i]?.coverageBefore ?? NaN, 3)} → ${f(q.calibrations[i]?.coverageAfter ?? NaN, 3)})`,
      )
      .join('; ')}`,
  );
  return lines.join('\n');
}
