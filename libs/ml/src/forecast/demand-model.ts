// The demand model of a training run: a rolling-origin backtest of every method (seasonal naive,
// AutoETS, Croston, TSB, the global TF.js quantile model and their median ensemble) on the same
// origins, the champion method (best mean wQL), the final global model fitted on all the data
// (warm-started from the previous version's), and the artifact that loadDemandForecaster turns
// back into a DemandForecaster. Documented in apps/trainer/src/demand/README.md.
import { getTf, type Tf } from '../tf-provider';
import { AutoEts } from './auto-ets';
import { rollingOriginBacktest, type BacktestForecast, type BacktestResult } from './backtest';
import {
  DEMAND_METHODS,
  type DemandBacktestRow,
  type DemandForecaster,
  type DemandForecastOptions,
  type DemandMethod,
  type DemandModelMetrics,
  type LoadDemandForecaster,
  type SkuDemandForecast,
} from './demand-forecaster';
import { rollingOriginBacktestGlobal } from './global/backtest';
import { encoderFeatureNames, type DemandSeries } from './global/features';
import { GlobalQuantileModel, type GlobalFitInfo, type GlobalModelOptions } from './global/model';
import { addSums, emptySums, metricsFromSums, seriesSums, type MetricSums } from './metrics';
import {
  InProcessPerSkuFitter,
  PER_SKU_MODELS,
  etsKey,
  isPerSkuMethod,
  parseEtsKey,
  type PerSkuFitJob,
  type PerSkuFitter,
  type PerSkuMethod,
} from './per-sku-fit';
import { ForecastInputError, finaliseForecast, type Forecast, type ForecastModel } from './types';

/** Season length of the daily series (weekly) and the MASE lag. */
export const DEMAND_SEASON_LENGTH = 7;
/** An SKU is intermittent when its average inter-demand interval (days / days with a sale) exceeds this (Syntetos–Boylan). */
export const INTERMITTENT_ADI = 1.32;
/** The members of the ensemble: the per-step median of their mean, p10, p50 and p90. */
export const ENSEMBLE_MEMBERS: readonly DemandMethod[] = ['auto_ets', 'global', 'seasonal_naive'];
/** Shortest history a backtest origin scores (shorter series are skipped there): 2 weeks. */
const MIN_TRAIN = 2 * DEMAND_SEASON_LENGTH;
/** Days of training prefix the global model needs: one training and one validation window. */
const globalPrefix = (horizon: number) => 2 * horizon + 14;

export class NotEnoughDemandHistoryError extends Error {
  constructor(
    readonly haveDays: number,
    readonly needDays: number,
  ) {
    super(
      `trainDemandModel: the longest SKU history is ${haveDays} days since its first sale, the backtest needs at least ${needDays} (${needDays - haveDays} missing)`,
    );
    this.name = 'NotEnoughDemandHistoryError';
  }
}

/**
 * Minimum history (days since the first sale of the longest series): the earliest origin must leave
 * the global model 2·horizon + 14 days of training prefix, and origins are at least 1 day apart:
 * 3·horizon + 14 + (origins − 1). 100 days for horizon 28 and 3 origins.
 */
export function minimumDemandHistory(horizon: number, origins: number): number {
  return horizon + globalPrefix(horizon) + (origins - 1);
}

/** Origin spacing: `horizon` when the history allows it, else the widest step ≥ 1 that does. */
export function backtestStep(longest: number, horizon: number, origins: number): number {
  const need = minimumDemandHistory(horizon, origins);
  if (longest < need) throw new NotEnoughDemandHistoryError(longest, need);
  const room = longest - horizon - globalPrefix(horizon);
  return Math.min(horizon, Math.floor(room / (origins - 1)));
}

export interface DemandTrainOptions {
  horizon: number;
  /** ≥ 3. */
  origins: number;
  timeZone: string;
  /** The global model's options (horizon, warm start and progress are set here). */
  global?: Omit<GlobalModelOptions, 'horizon' | 'warmStart' | 'onEpoch'>;
  /** The previous version's global model: the final fit starts from it when the layout matches. */
  warmStart?: GlobalQuantileModel | null;
}

export interface DemandTrainProgress {
  phase: string;
  /** 0..1 over the whole training. */
  fraction: number;
  detail?: Record<string, number | string>;
}

/** DemandModelMetrics plus what the run adds (origin spacing, intermittent subset). */
export interface DemandTrainingMetrics extends DemandModelMetrics {
  /** Days between origins (horizon when the history allows it). */
  step: number;
  /** Every method scored on the intermittent SKUs only (ADI > INTERMITTENT_ADI). */
  intermittent: {
    rule: string;
    skus: number;
    backtest: Partial<Record<DemandMethod, DemandBacktestRow>>;
  };
  ensembleMembers: DemandMethod[];
  /** SKUs left out: no sale in the window. */
  skippedNoSales: number;
}

export interface TrainedDemandModel {
  metrics: DemandTrainingMetrics;
  artifact: Buffer;
  /** The global model's encoder feature names (registry featureNames). */
  featureNames: string[];
  warmStarted: boolean;
  globalFit: GlobalFitInfo | null;
}

/** y from its first sale on (the days before it, the SKU was not on sale); price/promo alike. */
export function fromFirstSale(s: DemandSeries): DemandSeries {
  let first = 0;
  while (first < s.y.length && s.y[first] <= 0) first++;
  if (first === 0) return s;
  const out: DemandSeries = {
    id: s.id,
    category: s.category,
    startDay: s.startDay + first,
    y: s.y.slice(first),
  };
  if (s.price) out.price = s.price.slice(first);
  if (s.promo) out.promo = s.promo.slice(first);
  return out;
}

/** Average inter-demand interval: days / days with a sale (Infinity without a sale). */
export function adi(y: ArrayLike<number>): number {
  let nz = 0;
  for (let i = 0; i < y.length; i++) if (y[i] > 0) nz++;
  return nz > 0 ? y.length / nz : Infinity;
}

function toRow(sums: MetricSums, fits: number, fitMs: number): DemandBacktestRow {
  const m = metricsFromSums(sums);
  return {
    wape: m.wape,
    mase: m.mase,
    wql10: m.wql10,
    wql50: m.wql50,
    wql90: m.wql90,
    meanWql: m.meanWql,
    coverage80: m.coverage80,
    bias: m.bias,
    fits,
    fitMsPerSeries: fits > 0 ? fitMs / fits : 0,
  };
}

function medianForecast(fcs: Forecast[]): Forecast {
  const h = fcs[0].p50.length;
  const out: Forecast = {
    mean: new Float64Array(h),
    p10: new Float64Array(h),
    p50: new Float64Array(h),
    p90: new Float64Array(h),
  };
  const col = new Float64Array(fcs.length);
  for (const k of ['mean', 'p10', 'p50', 'p90'] as const)
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < fcs.length; j++) col[j] = fcs[j][k][i];
      col.sort();
      const c = col.length >> 1;
      out[k][i] = col.length % 2 ? col[c] : (col[c - 1] + col[c]) / 2;
    }
  return finaliseForecast(out, true);
}

interface MethodRun {
  /** forecasts[originIndex] : id → forecast */
  forecasts: Map<string, BacktestForecast>[];
  fitMs: number[];
}

function keep(result: BacktestResult): MethodRun {
  return {
    forecasts: result.origins.map(
      (o) => new Map((o.forecasts ?? []).map((f) => [f.id, f] as const)),
    ),
    fitMs: result.origins.map((o) => o.fitMs),
  };
}

const STAT_MODELS: Record<PerSkuMethod, () => ForecastModel> = {
  seasonal_naive: () => PER_SKU_MODELS.seasonal_naive(DEMAND_SEASON_LENGTH),
  auto_ets: () => PER_SKU_MODELS.auto_ets(DEMAND_SEASON_LENGTH),
  croston: () => PER_SKU_MODELS.croston(DEMAND_SEASON_LENGTH),
  tsb: () => PER_SKU_MODELS.tsb(DEMAND_SEASON_LENGTH),
};

/**
 * Backtests every method on the same origins (origins × horizon, step from backtestStep), picks the
 * champion (best total mean wQL), fits the final global model on all the data and encodes the
 * artifact. Series are cut to start at their first sale; SKUs without a sale are left out.
 */
export async function trainDemandModel(
  tf: Tf,
  input: DemandSeries[],
  opts: DemandTrainOptions,
  onProgress: (p: DemandTrainProgress) => void = () => undefined,
): Promise<TrainedDemandModel> {
  const { horizon, origins } = opts;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new ForecastInputError(
      `trainDemandModel: horizon must be an integer ≥ 1, got ${horizon}`,
    );
  if (!Number.isInteger(origins) || origins < 3)
    throw new ForecastInputError(
      `trainDemandModel: origins must be an integer ≥ 3, got ${origins}`,
    );
  const series = input.map(fromFirstSale).filter((s) => s.y.length > 0 && s.y[0] > 0);
  const skippedNoSales = input.length - series.length;
  const longest = series.reduce((a, s) => Math.max(a, s.y.length), 0);
  const step = backtestStep(longest, horizon, origins);
  const bt = {
    origins,
    horizon,
    step,
    seasonLength: DEMAND_SEASON_LENGTH,
    minTrain: MIN_TRAIN,
    keepForecasts: true,
  };
  const runs = new Map<DemandMethod, MethodRun>();
  const statNames = Object.keys(STAT_MODELS) as (keyof typeof STAT_MODELS)[];
  const statShare = 0.3;
  statNames.forEach((name, i) => {
    onProgress({
      phase: `backtest ${name}`,
      fraction: (statShare * i) / statNames.length,
      detail: { series: series.length, origins, step },
    });
    runs.set(name, keep(rollingOriginBacktest(series, STAT_MODELS[name], bt)));
  });
  const globalShare = 0.45;
  const globalOpts = opts.global ?? {};
  const maxEpochs = globalOpts.epochs ?? 60;
  const globalRun = await rollingOriginBacktestGlobal(
    series,
    async (train, origin) => {
      const model = await GlobalQuantileModel.fit(tf, train, {
        ...globalOpts,
        horizon,
        onEpoch: (p) =>
          onProgress({
            phase: 'backtest global',
            fraction:
              statShare + (globalShare * (origin - 1 + Math.min(1, p.epoch / maxEpochs))) / origins,
            detail: { origin, epoch: p.epoch, maxEpochs: p.maxEpochs, valLoss: p.valLoss },
          }),
      });
      return model.forecaster(tf);
    },
    bt,
  );
  runs.set('global', keep(globalRun));

  // Ensemble and every row from the kept forecasts, so each method is scored on the same pairs.
  const members = ENSEMBLE_MEMBERS.map((m) => runs.get(m)!);
  const ensemble: MethodRun = {
    forecasts: members[0].forecasts.map((byId, k) => {
      const out = new Map<string, BacktestForecast>();
      for (const [id, f] of byId) {
        const fcs = members.map((r) => r.forecasts[k].get(id)?.forecast);
        if (fcs.every((x): x is Forecast => x !== undefined))
          out.set(id, { id, cutoff: f.cutoff, forecast: medianForecast(fcs) });
      }
      return out;
    }),
    fitMs: members[0].fitMs.map((_, k) => members.reduce((a, r) => a + r.fitMs[k], 0)),
  };
  runs.set('ensemble', ensemble);

  const byId = new Map(series.map((s) => [s.id, s]));
  const intermittentIds = new Set(
    series.filter((s) => adi(s.y) > INTERMITTENT_ADI).map((s) => s.id),
  );
  const score = (run: MethodRun, k: number, only?: Set<string>) => {
    const sums = emptySums();
    let fits = 0;
    for (const [id, f] of run.forecasts[k]) {
      if (only && !only.has(id)) continue;
      const s = byId.get(id)!;
      addSums(
        sums,
        seriesSums(
          s.y.subarray(f.cutoff, f.cutoff + horizon),
          f.forecast,
          s.y.subarray(0, f.cutoff),
          DEMAND_SEASON_LENGTH,
          id,
        ),
      );
      fits++;
    }
    return { sums, fits };
  };
  const backtest: Partial<Record<DemandMethod, DemandBacktestRow>> = {};
  const intermittent: Partial<Record<DemandMethod, DemandBacktestRow>> = {};
  const perOrigin: Partial<Record<DemandMethod, DemandBacktestRow>>[] = Array.from(
    { length: origins },
    () => ({}),
  );
  for (const method of DEMAND_METHODS) {
    const run = runs.get(method)!;
    const total = emptySums();
    const sub = emptySums();
    let fits = 0;
    let subFits = 0;
    let fitMs = 0;
    for (let k = 0; k < origins; k++) {
      const o = score(run, k);
      perOrigin[k][method] = toRow(o.sums, o.fits, run.fitMs[k]);
      addSums(total, o.sums);
      fits += o.fits;
      fitMs += run.fitMs[k];
      const i = score(run, k, intermittentIds);
      addSums(sub, i.sums);
      subFits += i.fits;
    }
    backtest[method] = toRow(total, fits, fitMs);
    intermittent[method] = toRow(sub, subFits, fits > 0 ? (fitMs * subFits) / fits : 0);
  }
  let champion: DemandMethod = 'seasonal_naive';
  for (const m of DEMAND_METHODS) {
    const w = backtest[m]?.meanWql ?? NaN;
    const best = backtest[champion]?.meanWql ?? NaN;
    if (Number.isFinite(w) && (!Number.isFinite(best) || w < best)) champion = m;
  }

  // Final global model on all the data (cold starts always need it).
  const warm =
    opts.warmStart &&
    opts.warmStart.horizon === horizon &&
    opts.warmStart.lookback === (globalOpts.lookback ?? 56)
      ? opts.warmStart
      : null;
  const base = statShare + globalShare;
  const finalModel = await GlobalQuantileModel.fit(tf, series, {
    ...globalOpts,
    horizon,
    ...(warm ? { warmStart: warm } : {}),
    onEpoch: (p) =>
      onProgress({
        phase: 'final global fit',
        fraction: base + 0.2 * Math.min(1, p.epoch / maxEpochs),
        detail: { epoch: p.epoch, maxEpochs: p.maxEpochs, valLoss: p.valLoss, warm: warm ? 1 : 0 },
      }),
  });
  try {
    // Per-SKU ETS structure for the forecaster (it refits only that candidate's parameters).
    let ets: Record<string, string> | undefined;
    if (champion === 'auto_ets' || champion === 'ensemble') {
      onProgress({ phase: 'ets structures', fraction: 0.96 });
      ets = {};
      for (const s of series) {
        if (s.y.length < MIN_TRAIN) continue;
        const a = new AutoEts({ seasonLength: DEMAND_SEASON_LENGTH }).fit(s.y);
        if (a.candidates.length > 0) ets[s.id] = etsKey(a.selected.spec);
      }
    }
    onProgress({ phase: 'encode', fraction: 0.99 });
    const metrics: DemandTrainingMetrics = {
      champion,
      backtest,
      origins,
      horizonDays: horizon,
      skus: series.length,
      perOrigin,
      timeZone: opts.timeZone,
      step,
      intermittent: {
        rule: `ADI (days since first sale / days with a sale) > ${INTERMITTENT_ADI}`,
        skus: intermittentIds.size,
        backtest: intermittent,
      },
      ensembleMembers: [...ENSEMBLE_MEMBERS],
      skippedNoSales,
    };
    const header: DemandArtifactHeader = {
      format: DEMAND_ARTIFACT_FORMAT,
      champion,
      horizon,
      seasonLength: DEMAND_SEASON_LENGTH,
      minTrain: MIN_TRAIN,
      timeZone: opts.timeZone,
      ensembleMembers: [...ENSEMBLE_MEMBERS],
      ets: ets ?? {},
    };
    const artifact = encodeDemandArtifact(header, await finalModel.save(tf));
    return {
      metrics,
      artifact,
      featureNames: encoderFeatureNames(finalModel.shape.layout),
      warmStarted: warm !== null,
      globalFit: finalModel.fitInfo,
    };
  } finally {
    finalModel.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Artifact: 8-byte magic, uint32 (big endian) header length, the JSON header, the global model.

export const DEMAND_ARTIFACT_FORMAT = 'storepulse.demand/1';
const MAGIC = Buffer.from('SPDEMAND', 'ascii');

export interface DemandArtifactHeader {
  format: typeof DEMAND_ARTIFACT_FORMAT;
  champion: DemandMethod;
  horizon: number;
  seasonLength: number;
  /** Shortest history (days since first sale) a statistical model is fitted on; shorter = cold start. */
  minTrain: number;
  timeZone: string;
  ensembleMembers: DemandMethod[];
  /** Per SKU: the ETS structure AutoETS chose on the full training history ("trend,season"). */
  ets: Record<string, string>;
}

export function encodeDemandArtifact(header: DemandArtifactHeader, global: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json, global]);
}

export class DemandArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemandArtifactError';
  }
}

function isMethod(v: unknown): v is DemandMethod {
  return typeof v === 'string' && (DEMAND_METHODS as readonly string[]).includes(v);
}

export function decodeDemandArtifact(buf: Buffer): {
  header: DemandArtifactHeader;
  global: Buffer;
} {
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC))
    throw new DemandArtifactError('demand artifact: missing the SPDEMAND magic bytes');
  const len = buf.readUInt32BE(8);
  if (12 + len > buf.length)
    throw new DemandArtifactError(
      `demand artifact: header length ${len} exceeds the artifact (${buf.length} bytes)`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(12, 12 + len).toString('utf8'));
  } catch {
    throw new DemandArtifactError('demand artifact: the header is not JSON');
  }
  const h = raw as Partial<Record<keyof DemandArtifactHeader, unknown>>;
  const fail = (field: string, why: string) => {
    throw new DemandArtifactError(`demand artifact: header.${field} ${why}`);
  };
  if (h.format !== DEMAND_ARTIFACT_FORMAT) fail('format', `must be '${DEMAND_ARTIFACT_FORMAT}'`);
  if (!isMethod(h.champion)) fail('champion', `must be one of ${DEMAND_METHODS.join(', ')}`);
  for (const k of ['horizon', 'seasonLength', 'minTrain'] as const)
    if (typeof h[k] !== 'number' || !Number.isInteger(h[k]) || h[k] < 1)
      fail(k, 'must be an integer ≥ 1');
  if (typeof h.timeZone !== 'string') fail('timeZone', 'must be a string');
  if (!Array.isArray(h.ensembleMembers) || !h.ensembleMembers.every(isMethod))
    fail('ensembleMembers', 'must be a list of methods');
  if (typeof h.ets !== 'object' || h.ets === null || Array.isArray(h.ets))
    fail('ets', 'must be an object');
  for (const [sku, k] of Object.entries(h.ets as Record<string, unknown>))
    if (typeof k !== 'string' || !parseEtsKey(k)) fail(`ets.${sku}`, `is not "trend,season"`);
  return { header: h as DemandArtifactHeader, global: buf.subarray(12 + len) };
}

// ---------------------------------------------------------------------------------------------
// Forecaster

const DAY_MS = 86_400_000;
/** The fitter of a forecast() call without one: the fits in the calling thread. */
const IN_PROCESS_FITTER: PerSkuFitter = new InProcessPerSkuFitter();
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

class ChampionDemandForecaster implements DemandForecaster {
  readonly method: DemandMethod;
  constructor(
    private readonly tf: Tf,
    readonly name: string,
    readonly version: number,
    private readonly header: DemandArtifactHeader,
    private readonly global: GlobalQuantileModel,
  ) {
    this.method = header.champion;
  }

  forecast(input: DemandSeries[], opts: DemandForecastOptions): Promise<SkuDemandForecast[]> {
    return this.forecastWith(input, opts);
  }

  private async forecastWith(
    input: DemandSeries[],
    opts: DemandForecastOptions,
  ): Promise<SkuDemandForecast[]> {
    const { originDay, horizon, minHistoryDays } = opts;
    const h = this.header;
    if (!Number.isInteger(horizon) || horizon < 1 || horizon > h.horizon)
      throw new ForecastInputError(
        `demand forecaster: horizon must be an integer in [1, ${h.horizon}], got ${horizon}`,
      );
    if (!Number.isInteger(originDay))
      throw new ForecastInputError(
        `demand forecaster: originDay must be an integer, got ${originDay}`,
      );
    const method = this.method;
    // the per-SKU models of the champion: itself, or the ensemble's statistical members
    const statMethods: PerSkuMethod[] = [];
    if (method === 'ensemble')
      for (const m of h.ensembleMembers) {
        if (m === 'global') continue;
        if (!isPerSkuMethod(m))
          throw new ForecastInputError(`demand forecaster: ${m} is not a per-SKU model`);
        statMethods.push(m);
      }
    else if (isPerSkuMethod(method)) statMethods.push(method);
    const minDays = Math.max(minHistoryDays, h.minTrain);
    const series = input.map((s, i) => {
      if (s.startDay + s.y.length !== originDay)
        throw new ForecastInputError(
          `demand forecaster: series ${i} ('${s.id}') ends on day ${s.startDay + s.y.length - 1}, expected the day before originDay ${originDay}`,
        );
      return fromFirstSale(s);
    });
    const cold = series.map((s) => s.y.length < minDays);

    // per-SKU fits (on the fitter's threads) while the global model forecasts here
    const jobs: PerSkuFitJob[] = [];
    const jobOf = new Int32Array(series.length).fill(-1);
    if (statMethods.length > 0)
      series.forEach((s, i) => {
        if (cold[i]) return;
        jobOf[i] = jobs.length;
        const ets = statMethods.includes('auto_ets') ? h.ets[s.id] : undefined;
        jobs.push({
          sku: s.id,
          y: s.y,
          methods: statMethods,
          ...(ets !== undefined ? { ets } : {}),
        });
      });
    const fitter = opts.fitter ?? IN_PROCESS_FITTER;
    const fitting = fitter.fit(jobs, { seasonLength: h.seasonLength, horizon }, opts.onProgress);
    const globalFc = new Map<number, Forecast>();
    try {
      const needGlobal = series
        .map((s, i) => ({ s, i }))
        .filter(({ i }) => cold[i] || method === 'global' || method === 'ensemble');
      if (needGlobal.length > 0) {
        const fcs = this.global.forecast(
          this.tf,
          needGlobal.map(({ s }) => s),
          horizon,
        );
        needGlobal.forEach(({ i }, j) => globalFc.set(i, fcs[j]));
      }
    } catch (e) {
      await fitting.catch(() => undefined);
      throw e;
    }
    const stat = await fitting;

    return series.map((s, i): SkuDemandForecast => {
      let fc: Forecast;
      let used: DemandMethod;
      if (cold[i] || method === 'global') {
        fc = globalFc.get(i)!;
        used = 'global';
      } else if (method === 'ensemble') {
        const mine = stat[jobOf[i]];
        fc = medianForecast(
          h.ensembleMembers.map((m) =>
            m === 'global' ? globalFc.get(i)! : mine[statMethods.indexOf(m as PerSkuMethod)],
          ),
        );
        used = 'ensemble';
      } else {
        fc = stat[jobOf[i]][0];
        used = method;
      }
      finaliseForecast(fc, true);
      const days = Array.from({ length: horizon }, (_, j) => {
        const p10 = fc.p10[j];
        const p50 = fc.p50[j];
        const p90 = fc.p90[j];
        if (![p10, p50, p90].every(Number.isFinite))
          throw new ForecastInputError(
            `demand forecaster: ${used} gave a non-finite quantile for '${s.id}' on day ${j + 1}`,
          );
        return { date: isoDay(originDay + j), p10, p50, p90 };
      });
      return { sku: s.id, category: s.category, method: used, coldStart: cold[i], days };
    });
  }
}

/** Decodes a demand artifact (see encodeDemandArtifact) into the champion's forecaster. */
export const loadDemandForecaster: LoadDemandForecaster = async (version, artifact) => {
  const { header, global } = decodeDemandArtifact(artifact);
  const { tf } = await getTf();
  const model = await GlobalQuantileModel.load(tf, global);
  return new ChampionDemandForecaster(tf, version.name, version.version, header, model);
};

/** The same, with an explicit TF.js instance (tests, benchmarks). */
export async function loadDemandForecasterWith(
  tf: Tf,
  meta: { name: string; version: number },
  artifact: Buffer,
): Promise<DemandForecaster> {
  const { header, global } = decodeDemandArtifact(artifact);
  const model = await GlobalQuantileModel.load(tf, global);
  return new ChampionDemandForecaster(tf, meta.name, meta.version, header, model);
}
