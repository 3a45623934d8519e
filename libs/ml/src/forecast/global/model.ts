// GlobalQuantileModel: ONE TF.js network trained across all SKUs (lag-feature MLP encoder +
// MQ-CNN-style direct multi-horizon decoder), jointly on the pinball loss at τ = 0.1, 0.5, 0.9,
// with per-window scaling, time-based validation on the last `horizon` days of every series, early
// stopping with the best weights restored, seeded determinism, warm start, batched forecasting,
// save/load through model-io, a per-series ForecastModel adapter, and a split-conformal calibration
// of the P10–P90 interval on the validation rows (calibration.ts), stored with the model.
import { z } from 'zod';
import { seededRandom } from '../../models';
import {
  cloneLayersModel,
  loadModelFromBuffer,
  saveModelToBuffer,
  type ModelMetadata,
} from '../../model-io';
import type { LayersModel, Tensor, Tf } from '../../tf-provider';
import { ForecastInputError, type Forecast, type ForecastModel } from '../types';
import {
  IDENTITY_CALIBRATION,
  applyCalibration,
  calibrateInterval,
  type GlobalCalibration,
} from './calibration';
import {
  MIN_TRAIN_HISTORY,
  Vocabulary,
  allocRows,
  encoderFeatureNames,
  validateSeries,
  windowScale,
  writeRow,
  type DemandSeries,
  type RowBlock,
} from './features';
import {
  QUANTILES,
  buildNetwork,
  inputTensors,
  lossTargets,
  pinballLoss,
  pinballLossJs,
  predictIncrements,
  type NetworkShape,
} from './network';

type Variable = ReturnType<Tf['variable']>;
type Scalar = ReturnType<Tf['scalar']>;

export interface GlobalEpochProgress {
  /** 1-based. */
  epoch: number;
  maxEpochs: number;
  /** Mean batch loss of the epoch (scale-weighted pinball on scaled targets). */
  trainLoss: number;
  /** The same loss on the validation rows (last `horizon` days of every series). */
  valLoss: number;
  ms: number;
}

export interface GlobalModelOptions {
  /** Forecast horizon in days (outputs per row); default 28. */
  horizon?: number;
  /** Days of lags in the encoder; default 56. */
  lookback?: number;
  /** Encoder dense ReLU widths; default [64, 64]. */
  hidden?: number[];
  /** Width of the per-step decoder layer; default 16. */
  decoderUnits?: number;
  /** Category embedding size; default 4 (0 = none). */
  categoryEmbedding?: number;
  /** SKU embedding size; default 0 = none. Unknown SKUs use the shared 'unknown' row 0. */
  skuEmbedding?: number;
  /** Use price/promo features; default: true when any training series has price or promo. */
  covariates?: boolean;
  /** Maximum epochs; default 60. */
  epochs?: number;
  /** Epochs without a validation-loss improvement before stopping; default 6. */
  patience?: number;
  /** Default 256. */
  batchSize?: number;
  /** Adam learning rate; default 3e-3. */
  learningRate?: number;
  /** Seed of the initialisers, the window sampling and the shuffles; default 42. */
  seed?: number;
  /** Training windows (forecast origins) sampled per series, without replacement; default 48. */
  windowsPerSeries?: number;
  /**
   * Weight each row by its scale (normalised to mean 1), so the loss equals the pinball loss in
   * units, i.e. the wQL objective; default true. false = every SKU counts the same.
   */
  weightByScale?: boolean;
  /**
   * Calibrate the P10–P90 interval after training (split conformal on the validation rows: one
   * factor per side on the half-widths about p50, see calibration.ts); default true. p50 is
   * unchanged. false = the network's raw quantiles.
   */
  calibrate?: boolean;
  /** Coverage of [p10, p90] the calibration aims at, in (0, 1); default 0.8. */
  targetCoverage?: number;
  /**
   * Bands of row scale (quantiles of the validation rows' scale) with their own calibration
   * factors; default 4 (fewer when a band would have < MIN_BAND_POINTS points). 1 = pooled.
   */
  calibrationBands?: number;
  onEpoch?: (p: GlobalEpochProgress) => void;
  /**
   * Continue from this model's weights. Its horizon, lookback, architecture, covariates and
   * vocabularies are kept (SKUs / categories it has not seen map to the unknown row).
   */
  warmStart?: GlobalQuantileModel;
}

/** A forecast of the global model. mean = Swanson's rule 0.3·p10 + 0.4·p50 + 0.3·p90. */
export interface GlobalForecast extends Forecast {
  id: string;
  /** The history was shorter than `lookback` days: lags were padded with the history mean. */
  coldStart: boolean;
}

export interface GlobalFitInfo {
  epochs: number;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  warmStarted: boolean;
  trainRows: number;
  valRows: number;
  ms: number;
  history: { epoch: number; trainLoss: number; valLoss: number; ms: number }[];
  /** The interval calibration chosen on the validation rows (identity when `calibrate: false`). */
  calibration: GlobalCalibration;
}

/** Options of GlobalQuantileModel.forecast. */
export interface GlobalForecastOptions {
  /** Apply the model's interval calibration; default true. false = the network's raw quantiles. */
  calibrated?: boolean;
}

/** What a backtest needs from a global model: forecast a set of series from their ends. */
export interface GlobalForecaster {
  readonly name: string;
  forecast(series: DemandSeries[], h: number): Forecast[];
  dispose?(): void;
}

const META_FORMAT = 'globalq.format';
const META_SHAPE = 'globalq.shape';
const META_CATEGORIES = 'globalq.categories';
const META_SKUS = 'globalq.skus';
const META_SCALING = 'globalq.scaling';
/** Optional (absent in buffers saved before calibration existed: identity). */
const META_CALIBRATION = 'globalq.calibration';
const SCALING = 'mean of the last lookback history days + 1';

const shapeSchema = z.object({
  layout: z.object({
    horizon: z.number().int().min(1),
    lookback: z.number().int().min(1),
    covariates: z.boolean(),
  }),
  hidden: z.array(z.number().int().min(1)),
  decoderUnits: z.number().int().min(1),
  categoryEmbedding: z.number().int().min(0),
  skuEmbedding: z.number().int().min(0),
  categoryRows: z.number().int().min(1),
  skuRows: z.number().int().min(1),
});

const calibrationSchema = z.object({
  lower: z.number().min(0),
  upper: z.number().min(0),
  bands: z
    .array(
      z.object({
        fromScale: z.number().min(0),
        lower: z.number().min(0),
        upper: z.number().min(0),
        points: z.number().int().min(1),
      }),
    )
    .default([]),
  targetCoverage: z.number().min(0).max(1),
  coverageBefore: z.number().nullable(),
  coverageAfter: z.number().nullable(),
  points: z.number().int().min(0),
});

function posInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min)
    throw new ForecastInputError(
      `GlobalQuantileModel.fit: ${name} = ${v}, expected an integer ≥ ${min}`,
    );
  return v;
}

function parseJsonMeta(meta: ModelMetadata, key: string): unknown {
  const v = meta[key];
  if (typeof v !== 'string')
    throw new Error(`GlobalQuantileModel.load: metadata '${key}' is missing`);
  try {
    return JSON.parse(v);
  } catch {
    throw new Error(`GlobalQuantileModel.load: metadata '${key}' is not JSON: ${v}`);
  }
}

export class GlobalQuantileModel {
  private constructor(
    private readonly network: LayersModel,
    readonly shape: NetworkShape,
    readonly categories: Vocabulary,
    readonly skus: Vocabulary,
    /** How the model was fitted; null for a loaded model. */
    readonly fitInfo: GlobalFitInfo | null,
    /** The P10–P90 calibration applied by forecast() (identity when fitted with calibrate: false). */
    readonly calibration: GlobalCalibration = IDENTITY_CALIBRATION,
  ) {}

  get horizon(): number {
    return this.shape.layout.horizon;
  }
  get lookback(): number {
    return this.shape.layout.lookback;
  }

  /**
   * Fits one network on all series. Validation rows: origin n − horizon of every series (its last
   * `horizon` days); training windows: origins t ∈ [14, n − 2·horizon], targets ending before the
   * validation days. Early stopping on the validation loss; the best epoch's weights are kept.
   */
  static async fit(
    tf: Tf,
    series: DemandSeries[],
    opts: GlobalModelOptions = {},
  ): Promise<GlobalQuantileModel> {
    const t0 = performance.now();
    validateSeries('GlobalQuantileModel.fit', series, 0);
    const warm = opts.warmStart;
    let shape: NetworkShape;
    let categories: Vocabulary;
    let skus: Vocabulary;
    if (warm) {
      for (const key of ['horizon', 'lookback'] as const) {
        const v = opts[key];
        if (v !== undefined && v !== warm.shape.layout[key])
          throw new ForecastInputError(
            `GlobalQuantileModel.fit: ${key} = ${v} differs from the warm-start model's ${warm.shape.layout[key]}`,
          );
      }
      shape = warm.shape;
      categories = warm.categories;
      skus = warm.skus;
    } else {
      const horizon = posInt('horizon', opts.horizon ?? 28);
      const lookback = posInt('lookback', opts.lookback ?? 56);
      const hidden = opts.hidden ?? [64, 64];
      hidden.forEach((u, i) => posInt(`hidden[${i}]`, u));
      const covariates =
        opts.covariates ?? series.some((s) => s.price !== undefined || s.promo !== undefined);
      categories = Vocabulary.of(series.map((s) => s.category));
      const skuEmbedding = posInt('skuEmbedding', opts.skuEmbedding ?? 0, 0);
      skus = skuEmbedding > 0 ? Vocabulary.of(series.map((s) => s.id)) : new Vocabulary([]);
      shape = {
        layout: { horizon, lookback, covariates },
        hidden: [...hidden],
        decoderUnits: posInt('decoderUnits', opts.decoderUnits ?? 16),
        categoryEmbedding: posInt('categoryEmbedding', opts.categoryEmbedding ?? 4, 0),
        skuEmbedding,
        categoryRows: categories.size,
        skuRows: skus.size,
      };
    }
    const { layout } = shape;
    const H = layout.horizon;
    const maxEpochs = posInt('epochs', opts.epochs ?? 60);
    const patience = posInt('patience', opts.patience ?? 6);
    const batchSize = posInt('batchSize', opts.batchSize ?? 256);
    const wps = posInt('windowsPerSeries', opts.windowsPerSeries ?? 48);
    const seed = opts.seed ?? 42;
    const learningRate = opts.learningRate ?? 3e-3;
    if (!(learningRate > 0))
      throw new ForecastInputError(
        `GlobalQuantileModel.fit: learningRate = ${learningRate}, expected > 0`,
      );
    const calibrate = opts.calibrate ?? true;
    const targetCoverage = opts.targetCoverage ?? 0.8;
    const calibrationBands = posInt('calibrationBands', opts.calibrationBands ?? 4);
    if (!(targetCoverage > 0 && targetCoverage < 1))
      throw new ForecastInputError(
        `GlobalQuantileModel.fit: targetCoverage = ${targetCoverage}, expected a share in (0, 1)`,
      );

    // windows: validation = last H days of each series; training origins before them
    const rnd = seededRandom(seed ^ 0x9e3779b9);
    const trainRefs: [number, number][] = [];
    const valRefs: [number, number][] = [];
    series.forEach((s, si) => {
      const n = s.y.length;
      if (n - H >= MIN_TRAIN_HISTORY) valRefs.push([si, n - H]);
      const lo = MIN_TRAIN_HISTORY;
      const hi = n - 2 * H;
      if (hi < lo) return;
      const origins = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      const take = Math.min(wps, origins.length);
      for (let i = 0; i < take; i++) {
        const j = i + Math.floor(rnd() * (origins.length - i));
        const tmp = origins[i];
        origins[i] = origins[j];
        origins[j] = tmp;
        trainRefs.push([si, origins[i]]);
      }
    });
    if (valRefs.length === 0)
      throw new ForecastInputError(
        `GlobalQuantileModel.fit: no series has the ${H + MIN_TRAIN_HISTORY} days needed for a validation window (horizon ${H} + ${MIN_TRAIN_HISTORY} days of history)`,
      );
    if (trainRefs.length === 0)
      throw new ForecastInputError(
        `GlobalQuantileModel.fit: no series has the ${2 * H + MIN_TRAIN_HISTORY} days needed for a training window (2 × horizon ${H} + ${MIN_TRAIN_HISTORY})`,
      );
    // validation rows are built once; training rows are written batch by batch from their
    // (series, origin) references, so memory does not grow with windowsPerSeries × series
    const val = allocRows(layout, valRefs.length);
    valRefs.forEach(([si, t], r) => {
      const s = series[si];
      writeRow(layout, val, r, s, t, categories.lookup(s.category), skus.lookup(s.id));
    });
    const weightByScale = opts.weightByScale ?? true;
    let meanScale = 0;
    for (const [si, t] of trainRefs) meanScale += windowScale(series[si], t, layout.lookback);
    meanScale /= trainRefs.length;
    const weightOf = (scale: number): number => (weightByScale ? scale / meanScale : 1);
    const valW = Float32Array.from(val.scale, weightOf);
    const nTrain = trainRefs.length;

    const network = warm ? await cloneLayersModel(tf, warm.network) : buildNetwork(tf, shape, seed);
    const varList = network.trainableWeights.map((v) => v.read() as Variable);
    const optimizer = tf.train.adam(learningRate);
    const shuffle = seededRandom(seed ^ 0x5bd1e995);
    const perm = Uint32Array.from({ length: nTrain }, (_, i) => i);
    const bs = Math.min(batchSize, nTrain);
    const batch = allocRows(layout, bs);
    const batchW = new Float32Array(bs);
    const K = QUANTILES.length;
    const y3 = new Float32Array(bs * H * K);
    const tau3 = new Float32Array(bs * H * K);
    const history: GlobalFitInfo['history'] = [];
    let best: { epoch: number; loss: number; weights: Tensor[] } | null = null;
    let stoppedEarly = false;
    let calibration = IDENTITY_CALIBRATION;
    try {
      for (let epoch = 1; epoch <= maxEpochs; epoch++) {
        const te = performance.now();
        for (let i = nTrain - 1; i > 0; i--) {
          const j = Math.floor(shuffle() * (i + 1));
          const t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
        }
        let lossSum = 0;
        let batches = 0;
        for (let start = 0; start < nTrain; start += bs) {
          const nb = Math.min(bs, nTrain - start);
          for (let k = 0; k < nb; k++) {
            const [si, t] = trainRefs[perm[start + k]];
            const s = series[si];
            writeRow(layout, batch, k, s, t, categories.lookup(s.category), skus.lookup(s.id));
            batchW[k] = weightOf(batch.scale[k]);
          }
          lossTargets(batch, nb, H, y3, tau3);
          let held: Scalar | null = null;
          tf.tidy(() => {
            const xs = inputTensors(tf, shape, batch, 0, nb);
            const yt = tf.tensor3d(y3.subarray(0, nb * H * K), [nb, H, K]);
            const taut = tf.tensor3d(tau3.subarray(0, nb * H * K), [nb, H, K]);
            const wt = tf.tensor1d(batchW.subarray(0, nb));
            optimizer.minimize(
              () => {
                const out = network.apply(xs, { training: true }) as Tensor;
                const loss = pinballLoss(tf, out, yt, taut, wt);
                held = tf.keep(tf.clone(loss));
                return loss;
              },
              false,
              varList,
            );
          });
          const l = held as Scalar | null;
          if (l) {
            lossSum += l.dataSync()[0];
            l.dispose();
          }
          batches++;
        }
        const trainLoss = lossSum / batches;
        if (!Number.isFinite(trainLoss))
          throw new Error(
            `GlobalQuantileModel.fit: training diverged at epoch ${epoch} (train loss ${trainLoss}); lower learningRate (${learningRate})`,
          );
        const valLoss = pinballLossJs(predictIncrements(tf, network, shape, val), val, valW, H);
        const ms = performance.now() - te;
        history.push({ epoch, trainLoss, valLoss, ms });
        opts.onEpoch?.({ epoch, maxEpochs, trainLoss, valLoss, ms });
        if (best === null || valLoss < best.loss) {
          best?.weights.forEach((w) => w.dispose());
          best = { epoch, loss: valLoss, weights: network.getWeights().map((w) => tf.clone(w)) };
        } else if (epoch - best.epoch >= patience) {
          stoppedEarly = epoch < maxEpochs;
          break;
        }
      }
      if (best !== null && best.epoch !== history.length) network.setWeights(best.weights);
      if (calibrate)
        calibration = calibrateOnRows(
          predictIncrements(tf, network, shape, val),
          val,
          H,
          targetCoverage,
          calibrationBands,
        );
    } catch (e) {
      network.dispose();
      throw e;
    } finally {
      best?.weights.forEach((w) => w.dispose());
      optimizer.dispose();
    }
    const info: GlobalFitInfo = {
      epochs: history.length,
      bestEpoch: best?.epoch ?? history.length,
      bestValLoss: best?.loss ?? Number.NaN,
      stoppedEarly,
      warmStarted: warm !== undefined,
      trainRows: nTrain,
      valRows: val.n,
      ms: performance.now() - t0,
      history,
      calibration,
    };
    return new GlobalQuantileModel(network, shape, categories, skus, info, calibration);
  }

  /**
   * One forecast per series, h ≤ horizon days from the end of its history, batched. Covariates, when
   * given, must cover y.length + h days. p10/p90 carry the model's interval calibration unless
   * `opts.calibrated` is false.
   */
  forecast(
    tf: Tf,
    series: DemandSeries[],
    h: number,
    opts: GlobalForecastOptions = {},
  ): GlobalForecast[] {
    const cal = (opts.calibrated ?? true) ? this.calibration : IDENTITY_CALIBRATION;
    const identity = cal.lower === 1 && cal.upper === 1 && cal.bands.length === 0;
    const H = this.horizon;
    if (!Number.isInteger(h) || h < 1 || h > H)
      throw new ForecastInputError(
        `GlobalQuantileModel.forecast: h must be an integer in [1, ${H}] (the model's horizon), got ${h}`,
      );
    validateSeries('GlobalQuantileModel.forecast', series, h);
    const { layout } = this.shape;
    const chunk = 4096;
    const out: GlobalForecast[] = [];
    const K = QUANTILES.length;
    for (let start = 0; start < series.length; start += chunk) {
      const part = series.slice(start, start + chunk);
      const b = allocRows(layout, part.length);
      part.forEach((s, r) =>
        writeRow(
          layout,
          b,
          r,
          s,
          s.y.length,
          this.categories.lookup(s.category),
          this.skus.lookup(s.id),
        ),
      );
      const inc = predictIncrements(tf, this.network, this.shape, b);
      part.forEach((s, r) => {
        const mean = new Float64Array(h);
        const p10 = new Float64Array(h);
        const p50 = new Float64Array(h);
        const p90 = new Float64Array(h);
        const sc = b.scale[r];
        for (let j = 0; j < h; j++) {
          const o = (r * H + j) * K;
          const a = inc[o];
          const ab = a + inc[o + 1];
          const abc = ab + inc[o + 2];
          p10[j] = a * sc;
          p50[j] = ab * sc;
          p90[j] = abc * sc;
          if (!identity) [p10[j], p90[j]] = applyCalibration(cal, p10[j], p50[j], p90[j], sc);
          mean[j] = 0.3 * p10[j] + 0.4 * p50[j] + 0.3 * p90[j];
        }
        out.push({ id: s.id, mean, p10, p50, p90, coldStart: b.coldStart[r] === 1 });
      });
    }
    return out;
  }

  /** This model as a GlobalForecaster (for rollingOriginBacktestGlobal). */
  forecaster(tf: Tf): GlobalForecaster {
    return {
      name: 'GlobalQuantile',
      forecast: (series, h) => this.forecast(tf, series, h),
      dispose: () => this.dispose(),
    };
  }

  /**
   * A per-series ForecastModel over this (already fitted) global model: fit(y) only records the
   * history (y[0] on day meta.startDay; meta's covariates must cover y.length + h days), predict(h)
   * forecasts it with the shared weights. level must be 80 (the model's quantiles are fixed).
   */
  static asForecastModel(
    tf: Tf,
    model: GlobalQuantileModel,
    meta: Omit<DemandSeries, 'y'>,
  ): ForecastModel {
    return new GlobalSeriesAdapter(tf, model, meta);
  }

  /** Serialise through model-io; shape, vocabularies and scaling go into the metadata as JSON. */
  async save(tf: Tf, metadata: ModelMetadata = {}): Promise<Buffer> {
    const reserved = Object.keys(metadata).filter((k) => k.startsWith('globalq.'));
    if (reserved.length > 0)
      throw new Error(
        `GlobalQuantileModel.save: metadata keys ${reserved.join(', ')} use the reserved prefix 'globalq.'`,
      );
    const names = encoderFeatureNames(this.shape.layout);
    return saveModelToBuffer(
      tf,
      this.network,
      // the features are scaled per window, not standardised: identity statistics
      { featureNames: names, means: names.map(() => 0), stds: names.map(() => 1) },
      {
        ...metadata,
        [META_FORMAT]: 1,
        [META_SHAPE]: JSON.stringify(this.shape),
        [META_CATEGORIES]: JSON.stringify(this.categories.values),
        [META_SKUS]: JSON.stringify(this.skus.values),
        [META_SCALING]: SCALING,
        [META_CALIBRATION]: JSON.stringify(this.calibration),
      },
    );
  }

  static async load(tf: Tf, buf: Uint8Array): Promise<GlobalQuantileModel> {
    const loaded = await loadModelFromBuffer(tf, buf);
    const meta = loaded.metadata;
    if (meta[META_FORMAT] !== 1) {
      loaded.model.dispose();
      throw new Error(
        `GlobalQuantileModel.load: not a global quantile model buffer (${META_FORMAT} = ${String(meta[META_FORMAT])}, expected 1)`,
      );
    }
    try {
      const parsed = shapeSchema.safeParse(parseJsonMeta(meta, META_SHAPE));
      if (!parsed.success)
        throw new Error(
          `GlobalQuantileModel.load: metadata '${META_SHAPE}' is invalid: ${z.prettifyError(parsed.error)}`,
        );
      const strings = (key: string): string[] => {
        const p = z.array(z.string()).safeParse(parseJsonMeta(meta, key));
        if (!p.success)
          throw new Error(`GlobalQuantileModel.load: metadata '${key}' must be a string array`);
        return p.data;
      };
      const categories = new Vocabulary(strings(META_CATEGORIES));
      const skus = new Vocabulary(strings(META_SKUS));
      const shape = parsed.data;
      if (categories.size !== shape.categoryRows || skus.size !== shape.skuRows)
        throw new Error(
          `GlobalQuantileModel.load: vocabularies (${categories.size} category rows, ${skus.size} SKU rows) do not match the shape (${shape.categoryRows}, ${shape.skuRows})`,
        );
      let calibration = IDENTITY_CALIBRATION;
      if (meta[META_CALIBRATION] !== undefined) {
        const c = calibrationSchema.safeParse(parseJsonMeta(meta, META_CALIBRATION));
        if (!c.success)
          throw new Error(
            `GlobalQuantileModel.load: metadata '${META_CALIBRATION}' is invalid: ${z.prettifyError(c.error)}`,
          );
        calibration = {
          ...c.data,
          coverageBefore: c.data.coverageBefore ?? Number.NaN,
          coverageAfter: c.data.coverageAfter ?? Number.NaN,
        };
      }
      return new GlobalQuantileModel(loaded.model, shape, categories, skus, null, calibration);
    } catch (e) {
      loaded.model.dispose();
      throw e;
    }
  }

  /** Frees the network's tensors. */
  dispose(): void {
    this.network.dispose();
  }
}

/** One series seen through a fitted global model (see GlobalQuantileModel.asForecastModel). */
class GlobalSeriesAdapter implements ForecastModel {
  readonly name = 'GlobalQuantile';
  private history: Float64Array | null = null;
  constructor(
    private readonly tf: Tf,
    private readonly model: GlobalQuantileModel,
    private readonly meta: Omit<DemandSeries, 'y'>,
  ) {}

  fit(y: ArrayLike<number>): this {
    this.history = Float64Array.from(y);
    return this;
  }

  predict(h: number, level = 80): Forecast {
    if (this.history === null)
      throw new ForecastInputError('GlobalQuantile.predict: call fit() first');
    if (level !== 80)
      throw new ForecastInputError(
        `GlobalQuantile.predict: level must be 80 (the model predicts p10/p50/p90), got ${level}`,
      );
    const fc = this.model.forecast(this.tf, [{ ...this.meta, y: this.history }], h)[0];
    return { mean: fc.mean, p10: fc.p10, p50: fc.p50, p90: fc.p90 };
  }
}

/** Calibration on a block's rows from their predicted increments (scaled units) and targets. */
function calibrateOnRows(
  inc: Float32Array,
  rows: RowBlock,
  horizon: number,
  targetCoverage: number,
  bands: number,
): GlobalCalibration {
  const K = QUANTILES.length;
  const n = rows.n * horizon;
  const p10 = new Float64Array(n);
  const p50 = new Float64Array(n);
  const p90 = new Float64Array(n);
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    p10[i] = inc[i * K];
    p50[i] = p10[i] + inc[i * K + 1];
    p90[i] = p50[i] + inc[i * K + 2];
    scale[i] = rows.scale[Math.floor(i / horizon)];
  }
  return calibrateInterval(p10, p50, p90, rows.y, targetCoverage, scale, bands);
}
