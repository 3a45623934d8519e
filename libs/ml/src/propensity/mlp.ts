// The purchase-propensity model: a TF.js MLP (dense ReLU layers -> one logit) trained with a custom,
// deterministic loop (seeded glorot initialisers, seeded shuffles and dropout masks), weighted binary
// cross-entropy (sample weights x optional balanced class weights), Adam (or SGD), early stopping on
// the validation loss with the best weights restored, and a calibration fitted on validation
// (calibration.ts: Platt's slope on validation, the intercept from the training base rate; or Platt).
//
// The saved network outputs a logit, not a probability: score with predictPropensity(), which applies
// the stored standardisation, the network, the calibration and the sigmoid, in batches.
import {
  applyStandardizer,
  fitStandardizer,
  parseTransform,
  serializeTransform,
} from './standardize';
import type { FeatureTransform } from './standardize';
import { validateLabelledSet, type LabelledSet } from './labelled-set';
import { fitCalibration, type CalibrationMethod, type PlattCalibration } from './calibration';
import { rocAuc } from '../eval/binary-metrics';
import { seededRandom } from '../models';
import {
  cloneLayersModel,
  loadModelFromBuffer,
  saveModelToBuffer,
  type ModelMetadata,
  type NormalisationStats,
} from '../model-io';
import type { LayersModel, Tensor, Tf } from '../tf-provider';

type Variable = ReturnType<Tf['variable']>;
type Scalar = ReturnType<Tf['scalar']>;

export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  maxEpochs: number;
  /** Mean batch loss of the epoch (weighted cross-entropy, without the L2 term). */
  trainLoss: number;
  /** The training objective on validation: weighted cross-entropy of the uncalibrated model. */
  valLoss: number;
  /** Sample-weighted ROC AUC on validation. */
  valAuc: number;
  ms: number;
  /** In an ensemble: which member (1-based) of how many is training. */
  member?: number;
  members?: number;
}

export interface MlpWarmStart {
  model: LayersModel;
  normalisation: NormalisationStats;
  transform?: FeatureTransform | null;
}

export interface MlpOptions {
  /** Hidden layer widths; default [64, 32]. Ignored with warmStart (the champion's architecture). */
  hidden?: number[];
  /** Dropout rate after each hidden layer while training; default 0.1. */
  dropout?: number;
  /** L2 penalty on the kernels: l2 x sum of squared kernel weights; default 1e-5. */
  l2?: number;
  /** Default 1e-3 (Adam) / 1e-2 (SGD). */
  learningRate?: number;
  /** Default 'adam'; 'sgd' reproduces the article's floor. */
  optimizer?: 'adam' | 'sgd';
  /** Default 512. */
  batchSize?: number;
  /** Default 40. */
  maxEpochs?: number;
  /** Epochs without a validation-loss improvement before stopping; default 5. */
  patience?: number;
  /** 'balanced' (default): positives and negatives carry equal total weight; combined with sample weights. */
  classWeight?: 'balanced' | 'none';
  /** Seed of the initialisers, the shuffles and the dropout masks; default 42. */
  seed?: number;
  /** Continue from the champion's weights and standardisation (feature names must match, in order). */
  warmStart?: MlpWarmStart;
  /** Applied before standardising (ignored with warmStart, which keeps the champion's). */
  transform?: FeatureTransform | null;
  onEpoch?: (p: EpochProgress) => void;
  /**
   * Train this many networks (seeds seed, seed + 1, …; each early-stopped on validation) and merge
   * them into ONE network whose logit is their mean logit: block-diagonal hidden layers K times as
   * wide (`mergeMeanLogit`), so scoring, model I/O and a later warm start see a plain MLP. Averaging
   * independently seeded networks removes part of the seed-to-seed variance (docs/models.md,
   * "Quality benchmark"). Default 1; ignored with warmStart (which continues the merged champion).
   */
  ensemble?: number;
  /** Fit a calibration on validation (default true): class weighting biases the raw probabilities. */
  calibrate?: boolean;
  /**
   * 'base-rate' (default): Platt's slope on validation, the intercept matching the training base
   * rate; 'platt': both on validation. See calibration.ts.
   */
  calibrationMethod?: CalibrationMethod;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAuc: number;
  ms: number;
}

/** What scoring needs: the network, its standardisation, calibration and transform. */
export interface PropensityModel {
  model: LayersModel;
  normalisation: NormalisationStats;
  calibration: PlattCalibration | null;
  transform?: FeatureTransform | null;
}

export interface TrainedMlp extends PropensityModel {
  transform: FeatureTransform | null;
  /** Epochs run. */
  epochs: number;
  /** 1-based epoch whose weights were kept (lowest validation loss; an ensemble's first member's). */
  bestEpoch: number;
  /** An ensemble's members (seed, epochs run, best epoch); one entry for a single network. */
  members: { seed: number; epochs: number; bestEpoch: number }[];
  stoppedEarly: boolean;
  warmStarted: boolean;
  /** Class weights applied (before normalising all weights to mean 1). */
  classWeights: { positive: number; negative: number };
  /** Wall time of the whole call, and training samples processed per second of it. */
  ms: number;
  samplesPerSec: number;
  history: EpochRecord[];
}

export interface LoadedPropensityModel {
  model: LayersModel;
  normalisation: NormalisationStats;
  calibration: PlattCalibration | null;
  transform: FeatureTransform | null;
  /** The caller's metadata (the reserved `propensity.*` keys removed). */
  metadata: ModelMetadata;
  createdAt: string;
}

/** A warm start whose champion does not fit the training set. */
export class FeatureMismatchError extends Error {
  constructor(
    readonly missing: string[],
    readonly extra: string[],
    message: string,
  ) {
    super(message);
    this.name = 'FeatureMismatchError';
  }
}

const META_PREFIX = 'propensity.';
const META_FORMAT = 'propensity.format';
const META_OUTPUT = 'propensity.output';
const META_CALIBRATION = 'propensity.calibration';
const META_TRANSFORM = 'propensity.transform';
const PREDICT_BATCH = 8192;

function sigmoid(t: number): number {
  return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
}

function checkFeatureNames(champion: string[], train: string[]): void {
  const missing = champion.filter((f) => !train.includes(f));
  const extra = train.filter((f) => !champion.includes(f));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `missing from the training set: ${missing.join(', ')}` : '',
      extra.length > 0 ? `not in the champion: ${extra.join(', ')}` : '',
    ].filter((s) => s !== '');
    throw new FeatureMismatchError(
      missing,
      extra,
      `warm start: the champion's features do not match the training set (${parts.join('; ')})`,
    );
  }
  const moved = champion.filter((f, i) => train[i] !== f);
  if (moved.length > 0)
    throw new FeatureMismatchError(
      [],
      [],
      `warm start: same features in another order (${moved.join(', ')} moved); champion order: ${champion.join(', ')}`,
    );
}

function checkChampion(model: LayersModel, d: number): void {
  const input = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || input?.length !== 2 || input[1] !== d)
    throw new Error(
      `warm start: the champion takes input shape ${JSON.stringify(input)}, the training set has ${d} features`,
    );
  const last = model.layers[model.layers.length - 1];
  const cfg = last?.getConfig();
  if (!last || cfg?.['units'] !== 1 || cfg['activation'] !== 'linear')
    throw new Error(
      `warm start: the champion's last layer must be a 1-unit linear (logit) dense layer, got ${last?.getClassName() ?? 'none'} ${JSON.stringify({ units: cfg?.['units'], activation: cfg?.['activation'] })}`,
    );
}

function buildNetwork(tf: Tf, d: number, hidden: number[], seed: number): LayersModel {
  const model = tf.sequential();
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [d] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: 'zeros',
      }),
    );
  });
  model.add(
    tf.layers.dense({
      ...(hidden.length === 0 ? { inputShape: [d] } : {}),
      units: 1,
      activation: 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }),
      biasInitializer: 'zeros',
    }),
  );
  return model;
}

/** The calibration of a model's logit (standardised training and validation rows given). */
function calibrateModel(
  tf: Tf,
  model: LayersModel,
  method: CalibrationMethod = 'base-rate',
  t: { xs: Float32Array; train: LabelledSet },
  v: { xv: Float32Array; val: LabelledSet },
): PlattCalibration {
  const d = t.train.d;
  return fitCalibration(
    method,
    { z: logits(tf, model, v.xv, v.val.n, d), y: v.val.y, w: v.val.weight },
    // the training logits only for 'base-rate' (sample weights, not the class weights)
    method === 'base-rate'
      ? { z: logits(tf, model, t.xs, t.train.n, d), y: t.train.y, w: t.train.weight }
      : { z: [], y: [], w: [] },
  );
}

/** Logits of a standardised row-major matrix, batched, no tensor left behind. */
function logits(tf: Tf, model: LayersModel, xs: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const nb = Math.min(PREDICT_BATCH, n - start);
    const part = tf.tidy(() => {
      const t = model.predict(tf.tensor2d(xs.subarray(start * d, (start + nb) * d), [nb, d]), {
        batchSize: nb,
      });
      return (Array.isArray(t) ? t[0] : t).dataSync();
    });
    out.set(part, start);
  }
  return out;
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min)
    throw new Error(`trainPropensityMlp: ${name} = ${v}, expected an integer >= ${min}`);
  return v;
}

/** Train the propensity MLP on `train`, early-stopping and calibrating on `val`. */
export async function trainPropensityMlp(
  tf: Tf,
  train: LabelledSet,
  val: LabelledSet,
  opts: MlpOptions = {},
): Promise<TrainedMlp> {
  const ensemble = opts.ensemble ?? 1;
  if (!Number.isInteger(ensemble) || ensemble < 1)
    throw new Error(`trainPropensityMlp: ensemble = ${ensemble}, expected an integer >= 1`);
  if (ensemble > 1 && !opts.warmStart) return trainEnsemble(tf, train, val, opts, ensemble);
  const t0 = performance.now();
  validateLabelledSet(train, 'trainPropensityMlp: train');
  validateLabelledSet(val, 'trainPropensityMlp: val');
  const { d } = train;
  if (val.featureNames.join('\u0000') !== train.featureNames.join('\u0000'))
    throw new Error(
      `trainPropensityMlp: val features (${val.featureNames.join(', ')}) differ from train features (${train.featureNames.join(', ')})`,
    );
  const optimizerName = opts.optimizer ?? 'adam';
  const learningRate = opts.learningRate ?? (optimizerName === 'adam' ? 1e-3 : 1e-2);
  const batchSize = positiveInt('batchSize', opts.batchSize ?? 512);
  const maxEpochs = positiveInt('maxEpochs', opts.maxEpochs ?? 40);
  const patience = positiveInt('patience', opts.patience ?? 5);
  const dropout = opts.dropout ?? 0.1;
  const l2 = opts.l2 ?? 1e-5;
  const seed = opts.seed ?? 42;
  const calibrate = opts.calibrate ?? true;
  if (!(dropout >= 0 && dropout < 1))
    throw new Error(`trainPropensityMlp: dropout = ${dropout}, expected 0 <= dropout < 1`);
  if (!(l2 >= 0)) throw new Error(`trainPropensityMlp: l2 = ${l2}, expected >= 0`);
  if (!(learningRate > 0))
    throw new Error(`trainPropensityMlp: learningRate = ${learningRate}, expected > 0`);
  if (train.n === 0) throw new Error('trainPropensityMlp: the training set is empty');
  let valPos = 0;
  let valNeg = 0;
  for (let i = 0; i < val.n; i++) {
    if (val.y[i] === 1) valPos += val.weight[i];
    else valNeg += val.weight[i];
  }
  if (!(valPos > 0 && valNeg > 0))
    throw new Error(
      `trainPropensityMlp: the validation set needs both classes with weight > 0 (positives ${valPos}, negatives ${valNeg})`,
    );

  // standardisation: the champion's on a warm start, else fitted on train
  let normalisation: NormalisationStats;
  let transform: FeatureTransform | null;
  let model: LayersModel;
  if (opts.warmStart) {
    checkFeatureNames(opts.warmStart.normalisation.featureNames, train.featureNames);
    checkChampion(opts.warmStart.model, d);
    normalisation = {
      featureNames: [...opts.warmStart.normalisation.featureNames],
      means: [...opts.warmStart.normalisation.means],
      stds: [...opts.warmStart.normalisation.stds],
    };
    transform = opts.warmStart.transform ?? null;
    model = await cloneLayersModel(tf, opts.warmStart.model);
  } else {
    const hidden = opts.hidden ?? [64, 32];
    hidden.forEach((u, i) => positiveInt(`hidden[${i}]`, u));
    transform = opts.transform ?? null;
    normalisation = fitStandardizer(train, { transform });
    model = buildNetwork(tf, d, hidden, seed);
  }
  const xs = applyStandardizer(normalisation, train.x, train.n, d, { transform });
  const xv = applyStandardizer(normalisation, val.x, val.n, d, { transform });

  // weights: sample x class, normalised to mean 1 over the training rows
  let wPos = 0;
  let wNeg = 0;
  for (let i = 0; i < train.n; i++) {
    if (train.y[i] === 1) wPos += train.weight[i];
    else wNeg += train.weight[i];
  }
  if (!(wPos + wNeg > 0)) throw new Error('trainPropensityMlp: the training weights sum to 0');
  const balanced = (opts.classWeight ?? 'balanced') === 'balanced' && wPos > 0 && wNeg > 0;
  const classWeights = balanced
    ? { positive: (wPos + wNeg) / (2 * wPos), negative: (wPos + wNeg) / (2 * wNeg) }
    : { positive: 1, negative: 1 };
  const combined = (set: LabelledSet): Float32Array => {
    const out = new Float32Array(set.n);
    for (let i = 0; i < set.n; i++)
      out[i] = set.weight[i] * (set.y[i] === 1 ? classWeights.positive : classWeights.negative);
    return out;
  };
  const trainW = combined(train);
  let sumW = 0;
  for (let i = 0; i < train.n; i++) sumW += trainW[i];
  const norm = train.n / sumW;
  for (let i = 0; i < train.n; i++) trainW[i] = trainW[i] * norm;
  const valW = combined(val);
  let valSumW = 0;
  for (let i = 0; i < val.n; i++) valSumW += valW[i];

  const trainable = model.trainableWeights;
  const varList = trainable.map((v) => v.read() as Variable);
  const kernels = trainable.filter((v) => /kernel$/.test(v.originalName)).map((v) => v.read());
  const optimizer =
    optimizerName === 'adam' ? tf.train.adam(learningRate) : tf.train.sgd(learningRate);
  const shuffleRnd = seededRandom(seed ^ 0x5bd1e995);
  const dropoutRnd = seededRandom(seed ^ 0x27d4eb2f);
  const perm = new Uint32Array(train.n);
  for (let i = 0; i < train.n; i++) perm[i] = i;
  const xb = new Float32Array(batchSize * d);
  const yb = new Float32Array(batchSize);
  const wb = new Float32Array(batchSize);
  const layers = model.layers;

  const valLossOf = (z: Float32Array): number => {
    let s = 0;
    for (let i = 0; i < val.n; i++) {
      const zi = z[i];
      // softplus(z) - y z, computed stably
      const sp = zi > 0 ? zi + Math.log1p(Math.exp(-zi)) : Math.log1p(Math.exp(zi));
      s += valW[i] * (sp - val.y[i] * zi);
    }
    return s / valSumW;
  };

  const history: EpochRecord[] = [];
  let best: { epoch: number; loss: number; weights: Tensor[] } | null = null;
  let stoppedEarly = false;
  let samples = 0;
  try {
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      const te = performance.now();
      for (let i = train.n - 1; i > 0; i--) {
        const j = Math.floor(shuffleRnd() * (i + 1));
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < train.n; start += batchSize) {
        const nb = Math.min(batchSize, train.n - start);
        for (let k = 0; k < nb; k++) {
          const r = perm[start + k];
          xb.set(xs.subarray(r * d, (r + 1) * d), k * d);
          yb[k] = train.y[r];
          wb[k] = trainW[r];
        }
        const maskSeeds = layers.map(() => Math.floor(dropoutRnd() * 2147483647));
        let dataLoss: Scalar | null = null;
        tf.tidy(() => {
          const xt = tf.tensor2d(xb.subarray(0, nb * d), [nb, d]);
          const yt = tf.tensor1d(yb.subarray(0, nb));
          const wt = tf.tensor1d(wb.subarray(0, nb));
          optimizer.minimize(
            () => {
              let h: Tensor = xt;
              layers.forEach((layer, li) => {
                h = layer.apply(h) as Tensor;
                if (dropout > 0 && li < layers.length - 1)
                  h = tf.dropout(h, dropout, undefined, maskSeeds[li]);
              });
              const z = tf.reshape(h, [nb]);
              const ce = tf.add(
                tf.sub(tf.relu(z), tf.mul(z, yt)),
                tf.log1p(tf.exp(tf.neg(tf.abs(z)))),
              );
              const data = tf.mean<Scalar>(tf.mul(ce, wt));
              dataLoss = tf.keep(tf.clone(data));
              if (l2 <= 0 || kernels.length === 0) return data;
              const penalty = tf.addN(kernels.map((k) => tf.sum(tf.square(k))));
              return tf.add<Scalar>(data, tf.mul(penalty, l2));
            },
            false,
            varList,
          );
        });
        const held = dataLoss as Scalar | null;
        if (held) {
          lossSum += held.dataSync()[0];
          held.dispose();
        }
        batches++;
        samples += nb;
      }
      const trainLoss = lossSum / batches;
      if (!Number.isFinite(trainLoss))
        throw new Error(
          `trainPropensityMlp: training diverged at epoch ${epoch} (train loss ${trainLoss}); lower learningRate (${learningRate})`,
        );
      const z = logits(tf, model, xv, val.n, d);
      const valLoss = valLossOf(z);
      const valAuc = rocAuc(val.y, Array.from(z, sigmoid), val.weight);
      const ms = performance.now() - te;
      history.push({ epoch, trainLoss, valLoss, valAuc, ms });
      opts.onEpoch?.({ epoch, maxEpochs, trainLoss, valLoss, valAuc, ms });
      if (best === null || valLoss < best.loss) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, loss: valLoss, weights: model.getWeights().map((w) => tf.clone(w)) };
      } else if (epoch - best.epoch >= patience) {
        stoppedEarly = epoch < maxEpochs;
        break;
      }
    }
    if (best !== null && best.epoch !== history.length) model.setWeights(best.weights);
  } finally {
    best?.weights.forEach((w) => w.dispose());
    optimizer.dispose();
  }
  const bestEpoch = best?.epoch ?? history.length;

  const calibration = calibrate
    ? calibrateModel(tf, model, opts.calibrationMethod, { xs, train }, { xv, val })
    : null;
  const ms = performance.now() - t0;
  return {
    model,
    normalisation,
    transform,
    calibration,
    epochs: history.length,
    bestEpoch,
    members: [{ seed, epochs: history.length, bestEpoch }],
    stoppedEarly,
    warmStarted: opts.warmStart !== undefined,
    classWeights,
    ms,
    samplesPerSec: samples / (ms / 1000),
    history,
  };
}

/** Propensities for a raw row-major n x d matrix (columns = normalisation.featureNames). */
export function predictPropensity(
  tf: Tf,
  m: PropensityModel,
  x: Float32Array,
  n: number,
): Float32Array {
  const d = m.normalisation.featureNames.length;
  if (x.length !== n * d)
    throw new Error(
      `predictPropensity: x has ${x.length} values, expected n x d = ${n} x ${d} (${m.normalisation.featureNames.join(', ')})`,
    );
  const out = new Float32Array(n);
  const a = m.calibration?.a ?? 1;
  const b = m.calibration?.b ?? 0;
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const nb = Math.min(PREDICT_BATCH, n - start);
    const xs = applyStandardizer(m.normalisation, x.subarray(start * d, (start + nb) * d), nb, d, {
      transform: m.transform ?? null,
    });
    const z = logits(tf, m.model, xs, nb, d);
    for (let i = 0; i < nb; i++) out[start + i] = sigmoid(a * z[i] + b);
  }
  return out;
}

/** Serialise with model-io; calibration and transform go into the metadata as JSON strings. */
export async function savePropensityModel(
  tf: Tf,
  trained: PropensityModel,
  metadata: ModelMetadata = {},
): Promise<Buffer> {
  const reserved = Object.keys(metadata).filter((k) => k.startsWith(META_PREFIX));
  if (reserved.length > 0)
    throw new Error(
      `savePropensityModel: metadata keys ${reserved.join(', ')} use the reserved prefix '${META_PREFIX}'`,
    );
  return saveModelToBuffer(tf, trained.model, trained.normalisation, {
    ...metadata,
    [META_FORMAT]: 1,
    [META_OUTPUT]: 'logit',
    [META_CALIBRATION]: trained.calibration
      ? JSON.stringify({ a: trained.calibration.a, b: trained.calibration.b })
      : 'none',
    [META_TRANSFORM]: trained.transform ? serializeTransform(trained.transform) : 'none',
  });
}

function parseCalibration(v: string | number | boolean | undefined): PlattCalibration | null {
  if (v === 'none') return null;
  if (typeof v !== 'string')
    throw new Error(`loadPropensityModel: metadata '${META_CALIBRATION}' is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(v);
  } catch {
    throw new Error(`loadPropensityModel: metadata '${META_CALIBRATION}' is not JSON: ${v}`);
  }
  const obj = raw as { a?: unknown; b?: unknown } | null;
  if (
    typeof obj !== 'object' ||
    obj === null ||
    typeof obj.a !== 'number' ||
    typeof obj.b !== 'number' ||
    !Number.isFinite(obj.a) ||
    !Number.isFinite(obj.b)
  )
    throw new Error(
      `loadPropensityModel: metadata '${META_CALIBRATION}' must be {"a": number, "b": number}, got ${v}`,
    );
  return { a: obj.a, b: obj.b };
}

/** Load a buffer written by savePropensityModel. */
export async function loadPropensityModel(tf: Tf, buf: Uint8Array): Promise<LoadedPropensityModel> {
  const loaded = await loadModelFromBuffer(tf, buf);
  const meta = loaded.metadata;
  if (meta[META_FORMAT] !== 1 || meta[META_OUTPUT] !== 'logit')
    throw new Error(
      `loadPropensityModel: not a propensity model buffer (${META_FORMAT} = ${String(meta[META_FORMAT])}, ${META_OUTPUT} = ${String(meta[META_OUTPUT])}; expected 1 and 'logit')`,
    );
  const transformRaw = meta[META_TRANSFORM];
  if (typeof transformRaw !== 'string')
    throw new Error(`loadPropensityModel: metadata '${META_TRANSFORM}' is missing`);
  const metadata: ModelMetadata = {};
  for (const [k, v] of Object.entries(meta)) if (!k.startsWith(META_PREFIX)) metadata[k] = v;
  return {
    model: loaded.model,
    normalisation: loaded.normalisation,
    calibration: parseCalibration(meta[META_CALIBRATION]),
    transform: transformRaw === 'none' ? null : parseTransform(transformRaw),
    metadata,
    createdAt: loaded.createdAt,
  };
}

/**
 * K networks trained one after another with seeds seed + k, merged by {@link mergeMeanLogit}; the
 * calibration is fitted on the merged logit exactly as for one network.
 */
async function trainEnsemble(
  tf: Tf,
  train: LabelledSet,
  val: LabelledSet,
  opts: MlpOptions,
  k: number,
): Promise<TrainedMlp> {
  const t0 = performance.now();
  const seed = opts.seed ?? 42;
  const members: TrainedMlp[] = [];
  try {
    for (let m = 0; m < k; m++) {
      members.push(
        await trainPropensityMlp(tf, train, val, {
          ...opts,
          ensemble: 1,
          seed: seed + m,
          calibrate: false,
          ...(opts.onEpoch
            ? {
                onEpoch: (p: EpochProgress) => opts.onEpoch?.({ ...p, member: m + 1, members: k }),
              }
            : {}),
        }),
      );
    }
    const first = members[0];
    if (!first) throw new Error('trainPropensityMlp: an ensemble without members');
    const model = mergeMeanLogit(
      tf,
      members.map((m) => m.model),
    );
    const { normalisation, transform } = first;
    const d = train.d;
    const xs = applyStandardizer(normalisation, train.x, train.n, d, { transform });
    const xv = applyStandardizer(normalisation, val.x, val.n, d, { transform });
    let calibration: PlattCalibration | null = null;
    try {
      if (opts.calibrate ?? true)
        calibration = calibrateModel(tf, model, opts.calibrationMethod, { xs, train }, { xv, val });
    } catch (e) {
      model.dispose();
      throw e;
    }
    const ms = performance.now() - t0;
    const samples = members.reduce((a, m) => a + (m.samplesPerSec * m.ms) / 1000, 0);
    return {
      model,
      normalisation,
      transform,
      calibration,
      epochs: members.reduce((a, m) => a + m.epochs, 0),
      bestEpoch: first.bestEpoch,
      members: members.map((m, i) => ({
        seed: seed + i,
        epochs: m.epochs,
        bestEpoch: m.bestEpoch,
      })),
      stoppedEarly: members.every((m) => m.stoppedEarly),
      warmStarted: false,
      classWeights: first.classWeights,
      ms,
      samplesPerSec: samples / (ms / 1000),
      history: members.flatMap((m) => m.history),
    };
  } finally {
    for (const m of members) m.model.dispose();
  }
}

/**
 * One dense ReLU network computing the mean logit of K networks of the same architecture
 * (dense layers, ReLU hidden, 1-unit linear output): the first layer's kernels side by side, the
 * hidden layers' kernels on the block diagonal (zeros between members), the output kernels stacked
 * and divided by K, the output bias the members' mean. Exact: each block sees only its member's
 * activations.
 */
export function mergeMeanLogit(tf: Tf, models: readonly LayersModel[]): LayersModel {
  const k = models.length;
  const first = models[0];
  if (!first) throw new Error('mergeMeanLogit: no models');
  const shapes = (m: LayersModel) => m.getWeights().map((w) => w.shape.join('x'));
  const want = shapes(first).join(',');
  for (const m of models)
    if (shapes(m).join(',') !== want)
      throw new Error(`mergeMeanLogit: architectures differ (${shapes(m).join(',')} vs ${want})`);
  const ws = models.map((m) => m.getWeights().map((w) => w.dataSync()));
  const shape = first.getWeights().map((w) => w.shape);
  const layers = shape.length / 2;
  const d = shape[0]?.[0] ?? 0;
  const hidden = shape
    .slice(0, -2)
    .filter((_, i) => i % 2 === 0)
    .map((s) => s[1] ?? 0);
  const merged = buildNetwork(
    tf,
    d,
    hidden.map((h) => h * k),
    0,
  );
  const out: Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    const [a = 0, b = 0] = shape[2 * l] ?? [];
    const output = l === layers - 1;
    const rowsIn = l === 0 ? a : a * k; // the first layer reads the shared input
    const cols = output ? 1 : b * k;
    const kernel = new Float32Array(rowsIn * cols);
    const bias = new Float32Array(cols);
    for (let m = 0; m < k; m++) {
      const km = ws[m]?.[2 * l];
      const bm = ws[m]?.[2 * l + 1];
      if (!km || !bm) throw new Error('mergeMeanLogit: missing weights');
      const r0 = l === 0 ? 0 : m * a;
      const c0 = output ? 0 : m * b;
      for (let r = 0; r < a; r++)
        for (let c = 0; c < b; c++)
          kernel[(r0 + r) * cols + c0 + c] += (km[r * b + c] ?? 0) / (output ? k : 1);
      for (let c = 0; c < b; c++) bias[c0 + c] += (bm[c] ?? 0) / (output ? k : 1);
    }
    out.push(tf.tensor2d(kernel, [rowsIn, cols]), tf.tensor1d(bias));
  }
  merged.setWeights(out);
  out.forEach((t) => t.dispose());
  return merged;
}
