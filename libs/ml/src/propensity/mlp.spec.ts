// Unit tests of the propensity MLP on the cpu backend with small synthetic sets: it beats logistic
// regression on an interaction signal, early stopping on noise restores the best epoch, warm start
// converges faster, calibration lowers ECE under class weighting, the saved buffer round-trips,
// training is deterministic, nothing leaks tensors, and a feature mismatch fails precisely.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { getTf, type Tensor, type Tf } from '../tf-provider';
import { seededRandom, randomNormals } from '../models';
import { binaryMetrics, logLoss, rocAuc } from '../eval/binary-metrics';
import type { LabelledSet } from './labelled-set';
import { LogisticRegression } from './logistic';
import { applyStandardizer } from './standardize';
import {
  FeatureMismatchError,
  loadPropensityModel,
  mergeMeanLogit,
  predictPropensity,
  savePropensityModel,
  trainPropensityMlp,
  type MlpOptions,
  type TrainedMlp,
} from './mlp';

const D = 6;
const NAMES = ['x_a', 'x_b', 'x_c', 'x_d', 'x_e', 'x_missing'];

/**
 * Imbalanced labels (about 10 % positive) from logit = -3 + 2 x_a x_b + 0.7 x_c - 0.5 x_d: the
 * interaction is invisible to a linear model. x_missing is noise with 20 % NaN; x_a is scaled x 5.
 */
function synthetic(n: number, seed: number, noiseLabels = false): LabelledSet {
  const x = randomNormals(n * D, seed);
  const rnd = seededRandom(seed + 1);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * D, (i + 1) * D);
    const t = -3 + 2 * (r[0] ?? 0) * (r[1] ?? 0) + 0.7 * (r[2] ?? 0) - 0.5 * (r[3] ?? 0);
    const p = noiseLabels ? 0.15 : 1 / (1 + Math.exp(-t));
    y[i] = rnd() < p ? 1 : 0;
    r[0] = (r[0] ?? 0) * 5 + 3;
    if (rnd() < 0.2) r[5] = NaN;
  }
  return { x, n, d: D, featureNames: NAMES, y, weight: new Float32Array(n).fill(1) };
}

const BASE: MlpOptions = {
  hidden: [32, 16],
  learningRate: 0.01,
  batchSize: 256,
  maxEpochs: 20,
  patience: 4,
  dropout: 0,
  seed: 7,
};

void describe('propensity MLP', () => {
  let tf: Tf;
  let train: LabelledSet;
  let val: LabelledSet;
  let test: LabelledSet;
  let main: TrainedMlp;
  let tensorsBefore = 0;
  let tensorsAfter = 0;
  before(async () => {
    tf = (await getTf({ backend: 'cpu', log: () => undefined })).tf;
    train = synthetic(8000, 100);
    val = synthetic(3000, 200);
    test = synthetic(6000, 300);
    tensorsBefore = tf.memory().numTensors;
    main = await trainPropensityMlp(tf, train, val, { ...BASE, classWeight: 'balanced' });
    tensorsAfter = tf.memory().numTensors;
  });

  void it('beats logistic regression on a held-out set with an interaction signal', () => {
    const prevalence = binaryMetrics(test.y, new Float32Array(test.n).fill(0.5)).prevalence;
    assert.ok(prevalence > 0.05 && prevalence < 0.2, `prevalence ${prevalence}`);
    const mlpAuc = rocAuc(test.y, predictPropensity(tf, main, test.x, test.n), test.weight);
    const xs = applyStandardizer(main.normalisation, train.x, train.n, D);
    const lr = LogisticRegression.fit(xs, train.n, D, train.y, train.weight);
    const lrAuc = rocAuc(
      test.y,
      lr.predict(applyStandardizer(main.normalisation, test.x, test.n, D), test.n),
    );
    assert.ok(mlpAuc > lrAuc + 0.05, `MLP AUC ${mlpAuc} vs logistic ${lrAuc}`);
    assert.ok(mlpAuc > 0.8, `MLP AUC ${mlpAuc}`);
    assert.equal(main.history.length, main.epochs);
    assert.ok(main.samplesPerSec > 0);
  });

  void it('calibration lowers ECE under class weighting', () => {
    assert.ok(main.calibration !== null);
    assert.ok(main.classWeights.positive > 3 * main.classWeights.negative);
    // 'base-rate' (default): the mean calibrated score on the training rows is their base rate
    const p = predictPropensity(tf, main, train.x, train.n);
    let mean = 0;
    let rate = 0;
    let total = 0;
    for (let i = 0; i < train.n; i++) {
      mean += train.weight[i] * p[i];
      rate += train.weight[i] * train.y[i];
      total += train.weight[i];
    }
    assert.ok(Math.abs(mean / total - rate / total) < 1e-4, `${mean / total} vs ${rate / total}`);
    const calibrated = binaryMetrics(test.y, predictPropensity(tf, main, test.x, test.n));
    const raw = binaryMetrics(
      test.y,
      predictPropensity(tf, { ...main, calibration: null }, test.x, test.n),
    );
    assert.ok(calibrated.ece < raw.ece / 2, `ECE calibrated ${calibrated.ece} vs raw ${raw.ece}`);
    assert.ok(calibrated.ece < 0.05, `ECE calibrated ${calibrated.ece}`);
    assert.ok(calibrated.logLoss < raw.logLoss);
  });

  void it('leaks no tensors: training keeps only the model weights, prediction nothing', () => {
    assert.equal(tensorsAfter - tensorsBefore, main.model.weights.length);
    const before = tf.memory().numTensors;
    predictPropensity(tf, main, test.x, test.n);
    assert.equal(tf.memory().numTensors, before);
  });

  void it('round-trips through the model buffer to identical predictions', async () => {
    const buf = await savePropensityModel(tf, main, { name: 'propensity', trainedRows: train.n });
    const loaded = await loadPropensityModel(tf, buf);
    assert.deepEqual(loaded.calibration, main.calibration);
    assert.deepEqual(loaded.normalisation, main.normalisation);
    assert.equal(loaded.transform, null);
    assert.deepEqual(loaded.metadata, { name: 'propensity', trainedRows: train.n });
    assert.deepEqual(
      predictPropensity(tf, loaded, test.x, test.n),
      predictPropensity(tf, main, test.x, test.n),
    );
    loaded.model.dispose();
    await assert.rejects(
      savePropensityModel(tf, main, { 'propensity.calibration': 'x' }),
      /metadata keys propensity.calibration use the reserved prefix 'propensity.'/,
    );
  });

  void it('stores the feature transform and applies it when scoring', async () => {
    const small = synthetic(500, 800);
    const transform = { version: 1 as const, log1p: ['x_a', 'x_e'] };
    const r = await trainPropensityMlp(tf, small, val, { ...BASE, maxEpochs: 1, transform });
    assert.deepEqual(r.transform, transform);
    const loaded = await loadPropensityModel(tf, await savePropensityModel(tf, r));
    assert.deepEqual(loaded.transform, transform);
    const x = test.x.subarray(0, 100 * D);
    const p = predictPropensity(tf, loaded, x, 100);
    assert.deepEqual(p, predictPropensity(tf, r, x, 100));
    // scoring without the transform gives other numbers: it is really applied
    assert.notDeepEqual(predictPropensity(tf, { ...loaded, transform: null }, x, 100), p);
    r.model.dispose();
    loaded.model.dispose();
  });

  void it('warm start reaches the from-scratch validation loss within a few epochs, faster', async () => {
    const fresh = synthetic(8000, 400); // the next day's data, same distribution
    const scratchBest = Math.min(...main.history.map((h) => h.valLoss));
    const scratchReach = main.history.findIndex((h) => h.valLoss <= scratchBest * 1.02) + 1;
    const warm = await trainPropensityMlp(tf, fresh, val, {
      ...BASE,
      maxEpochs: 2,
      warmStart: { model: main.model, normalisation: main.normalisation },
    });
    const warmBest = Math.min(...warm.history.map((h) => h.valLoss));
    assert.ok(warm.warmStarted);
    assert.ok(warmBest <= scratchBest * 1.02, `warm ${warmBest} vs scratch best ${scratchBest}`);
    assert.ok(scratchReach > warm.epochs, `scratch needed ${scratchReach} epochs`);
    assert.ok(warm.ms < main.ms, `warm ${warm.ms} ms vs scratch ${main.ms} ms`);
    assert.deepEqual(warm.normalisation, main.normalisation); // the champion's stats are kept
    // the champion itself is untouched
    assert.notEqual(warm.model, main.model);
    warm.model.dispose();
  });

  void it('warm start with other features throws naming them', async () => {
    const renamed: LabelledSet = {
      ...train,
      featureNames: ['x_a', 'x_b', 'x_c', 'x_d', 'x_e', 'orders_28d'],
    };
    await assert.rejects(
      trainPropensityMlp(
        tf,
        renamed,
        { ...val, featureNames: renamed.featureNames },
        {
          warmStart: { model: main.model, normalisation: main.normalisation },
        },
      ),
      (e: unknown) =>
        e instanceof FeatureMismatchError &&
        e.missing.join() === 'x_missing' &&
        e.extra.join() === 'orders_28d' &&
        /missing from the training set: x_missing; not in the champion: orders_28d/.test(e.message),
    );
    const reordered = [...NAMES.slice(1), 'x_a'];
    await assert.rejects(
      trainPropensityMlp(
        tf,
        { ...train, featureNames: reordered },
        { ...val, featureNames: reordered },
        {
          warmStart: { model: main.model, normalisation: main.normalisation },
        },
      ),
      /same features in another order/,
    );
  });

  void it('early stopping on pure-noise labels stops before maxEpochs and restores the best epoch', async () => {
    const noiseTrain = synthetic(600, 500, true);
    const noiseVal = synthetic(600, 600, true);
    const r = await trainPropensityMlp(tf, noiseTrain, noiseVal, {
      ...BASE,
      hidden: [32, 32],
      batchSize: 32,
      maxEpochs: 40,
      patience: 3,
      classWeight: 'none',
      calibrate: false,
    });
    assert.ok(r.stoppedEarly, `ran ${r.epochs} epochs`);
    assert.ok(r.epochs < 40);
    const losses = r.history.map((h) => h.valLoss);
    assert.equal(r.bestEpoch, losses.indexOf(Math.min(...losses)) + 1);
    assert.equal(r.epochs, r.bestEpoch + 3);
    assert.equal(r.calibration, null);
    // the returned weights are the best epoch's: its validation loss, not the last epoch's
    const p = predictPropensity(tf, r, noiseVal.x, noiseVal.n);
    const restored = logLoss(noiseVal.y, p, noiseVal.weight);
    assert.ok(
      Math.abs(restored - (losses[r.bestEpoch - 1] ?? NaN)) < 1e-4,
      `restored ${restored} vs best ${losses[r.bestEpoch - 1]}, last ${losses[losses.length - 1]}`,
    );
    r.model.dispose();
  });

  void it('is deterministic with a fixed seed (dropout included)', async () => {
    const small = synthetic(1000, 700);
    const opts: MlpOptions = { ...BASE, hidden: [8], maxEpochs: 2, dropout: 0.2 };
    const a = await trainPropensityMlp(tf, small, val, opts);
    const b = await trainPropensityMlp(tf, small, val, opts);
    assert.deepEqual(
      predictPropensity(tf, a, test.x.subarray(0, 200 * D), 200),
      predictPropensity(tf, b, test.x.subarray(0, 200 * D), 200),
    );
    assert.deepEqual(
      a.history.map((h) => h.valLoss),
      b.history.map((h) => h.valLoss),
    );
    a.model.dispose();
    b.model.dispose();
  });

  void it('an ensemble is the mean logit of its members, trained as they would be alone', async () => {
    const small = synthetic(2000, 900);
    const opts: MlpOptions = { ...BASE, hidden: [8, 4], maxEpochs: 3, dropout: 0.1 };
    const before = tf.memory().numTensors;
    const ens = await trainPropensityMlp(tf, small, val, { ...opts, ensemble: 3, seed: 11 });
    // its members alone: seeds 11, 12, 13, uncalibrated
    const alone = await Promise.all(
      [11, 12, 13].map((seed) =>
        trainPropensityMlp(tf, small, val, { ...opts, seed, calibrate: false }),
      ),
    );
    assert.deepEqual(
      ens.members,
      alone.map((m, i) => ({ seed: 11 + i, epochs: m.epochs, bestEpoch: m.bestEpoch })),
    );
    assert.equal(
      ens.epochs,
      alone.reduce((a, m) => a + m.epochs, 0),
    );
    // one plain MLP, three times as wide
    assert.deepEqual(
      ens.model.getWeights().map((w) => w.shape),
      [[D, 24], [24], [24, 12], [12], [12, 1], [1]],
    );
    const rows = 300;
    const xs = applyStandardizer(ens.normalisation, test.x.subarray(0, rows * D), rows, D);
    const logitsOf = (m: TrainedMlp) =>
      tf.tidy(() => Array.from((m.model.predict(tf.tensor2d(xs, [rows, D])) as Tensor).dataSync()));
    const mean = alone
      .map(logitsOf)
      .reduce((acc, z) => acc.map((v, i) => v + (z[i] ?? 0) / 3), new Array<number>(rows).fill(0));
    logitsOf(ens).forEach((z, i) =>
      assert.ok(Math.abs(z - (mean[i] ?? 0)) < 1e-4, `row ${i}: ${z} vs ${mean[i]}`),
    );
    // calibrated on the merged logit; a warm start continues the merged network
    assert.ok(ens.calibration);
    const warm = await trainPropensityMlp(tf, small, val, {
      ...opts,
      maxEpochs: 1,
      ensemble: 3,
      warmStart: ens,
    });
    assert.equal(warm.members.length, 1);
    assert.deepEqual(warm.model.getWeights()[0]?.shape, [D, 24]);
    for (const m of [ens, warm, ...alone]) m.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  });

  void it('merging networks of different shapes, or no ensemble at all, is a precise error', async () => {
    const a = await trainPropensityMlp(tf, synthetic(500, 5), val, {
      ...BASE,
      hidden: [4],
      maxEpochs: 1,
    });
    const b = await trainPropensityMlp(tf, synthetic(500, 6), val, {
      ...BASE,
      hidden: [5],
      maxEpochs: 1,
    });
    assert.throws(
      () => mergeMeanLogit(tf, [a.model, b.model]),
      /mergeMeanLogit: architectures differ/,
    );
    assert.throws(() => mergeMeanLogit(tf, []), /mergeMeanLogit: no models/);
    await assert.rejects(
      trainPropensityMlp(tf, train, val, { ...BASE, ensemble: 0 }),
      /ensemble = 0, expected an integer >= 1/,
    );
    a.model.dispose();
    b.model.dispose();
  });

  void it('rejects a validation set without positives', async () => {
    const negatives: LabelledSet = { ...val, y: new Float32Array(val.n) };
    await assert.rejects(
      trainPropensityMlp(tf, train, negatives, BASE),
      /the validation set needs both classes with weight > 0 \(positives 0, negatives 3000\)/,
    );
  });
});
