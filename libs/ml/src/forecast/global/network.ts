// The TF.js network of the global quantile demand model and its loss. Encoder: lag features +
// category / SKU embeddings → dense ReLU stack → context. Decoder (MQ-RNN/MQ-CNN style): a
// horizon-specific projection of the context plus a shared projection of each target day's
// covariates (day of week, price, promo) → ReLU → 3 softplus increments per step. The quantiles are
// their cumulative sums, p10 = a, p50 = a + b, p90 = a + b + c: non-negative and non-crossing by
// construction.
import { seededRandom } from '../../models';
import type { LayersModel, Tensor, Tf } from '../../tf-provider';
import {
  decoderFeatureCount,
  encoderFeatureNames,
  type FeatureLayout,
  type RowBlock,
} from './features';

type SymbolicTensor = ReturnType<Tf['input']>;
type Scalar = ReturnType<Tf['scalar']>;

export const QUANTILES = [0.1, 0.5, 0.9] as const;

export interface NetworkShape {
  layout: FeatureLayout;
  hidden: number[];
  decoderUnits: number;
  categoryEmbedding: number;
  skuEmbedding: number;
  /** Embedding table sizes (including the unknown row 0). */
  categoryRows: number;
  skuRows: number;
}

export function buildNetwork(tf: Tf, shape: NetworkShape, seed: number): LayersModel {
  const { layout } = shape;
  const H = layout.horizon;
  const E = encoderFeatureNames(layout).length;
  const F = decoderFeatureCount(layout);
  const rnd = seededRandom(seed);
  const nextSeed = (): number => Math.floor(rnd() * 2147483647);
  const glorot = (): ReturnType<Tf['initializers']['glorotUniform']> =>
    tf.initializers.glorotUniform({ seed: nextSeed() });
  const inputs: SymbolicTensor[] = [];
  const enc = tf.input({ shape: [E], name: 'enc' });
  inputs.push(enc);
  const parts: SymbolicTensor[] = [enc];
  const embed = (name: string, rows: number, dim: number): void => {
    const idx = tf.input({ shape: [1], name });
    inputs.push(idx);
    const e = tf.layers
      .embedding({
        inputDim: rows,
        outputDim: dim,
        embeddingsInitializer: tf.initializers.randomUniform({
          minval: -0.05,
          maxval: 0.05,
          seed: nextSeed(),
        }),
        name: `${name}_embedding`,
      })
      .apply(idx) as SymbolicTensor;
    parts.push(tf.layers.flatten({ name: `${name}_flat` }).apply(e) as SymbolicTensor);
  };
  if (shape.categoryEmbedding > 0) embed('cat', shape.categoryRows, shape.categoryEmbedding);
  if (shape.skuEmbedding > 0) embed('sku', shape.skuRows, shape.skuEmbedding);
  const dec = tf.input({ shape: [H, F], name: 'dec' });
  inputs.push(dec);
  let h: SymbolicTensor =
    parts.length > 1
      ? (tf.layers.concatenate({ name: 'enc_concat' }).apply(parts) as SymbolicTensor)
      : enc;
  shape.hidden.forEach((units, i) => {
    h = tf.layers
      .dense({ units, activation: 'relu', kernelInitializer: glorot(), name: `enc_dense_${i}` })
      .apply(h) as SymbolicTensor;
  });
  const D = shape.decoderUnits;
  const horizonSpecific = tf.layers
    .dense({ units: H * D, kernelInitializer: glorot(), name: 'horizon_context' })
    .apply(h) as SymbolicTensor;
  const perStep = tf.layers
    .reshape({ targetShape: [H, D], name: 'horizon_context_steps' })
    .apply(horizonSpecific) as SymbolicTensor;
  const future = tf.layers
    .dense({ units: D, useBias: false, kernelInitializer: glorot(), name: 'future_proj' })
    .apply(dec) as SymbolicTensor;
  const joined = tf.layers.add({ name: 'decoder_add' }).apply([perStep, future]) as SymbolicTensor;
  const act = tf.layers
    .activation({ activation: 'relu', name: 'decoder_relu' })
    .apply(joined) as SymbolicTensor;
  const out = tf.layers
    .dense({
      units: QUANTILES.length,
      activation: 'softplus',
      kernelInitializer: glorot(),
      name: 'quantile_increments',
    })
    .apply(act) as SymbolicTensor;
  return tf.model({ inputs, outputs: out, name: 'global_quantile_demand' });
}

/** The network inputs of rows [start, start + nb) of a block, in the model's input order. */
export function inputTensors(
  tf: Tf,
  shape: NetworkShape,
  b: RowBlock,
  start: number,
  nb: number,
): Tensor[] {
  const H = shape.layout.horizon;
  const E = encoderFeatureNames(shape.layout).length;
  const F = decoderFeatureCount(shape.layout);
  const ts: Tensor[] = [tf.tensor2d(b.enc.subarray(start * E, (start + nb) * E), [nb, E])];
  if (shape.categoryEmbedding > 0) ts.push(tf.tensor2d(b.cat.subarray(start, start + nb), [nb, 1]));
  if (shape.skuEmbedding > 0) ts.push(tf.tensor2d(b.sku.subarray(start, start + nb), [nb, 1]));
  ts.push(tf.tensor3d(b.dec.subarray(start * H * F, (start + nb) * H * F), [nb, H, F]));
  return ts;
}

/**
 * Row-weighted mean pinball loss over steps and τ of increments `out` [B, H, 3]. `y3` [B, H, 3] holds
 * each scaled target repeated for the three τ and `tau3` [B, H, 3] the τ pattern (same shapes, so the
 * cpu backend stays on its fast non-broadcasting path); w [B] are the row weights (mean 1).
 * pinball_τ(d) = max(τ·d, (τ − 1)·d) = τ·d + relu(−d), with d = y − q.
 */
export function pinballLoss(tf: Tf, out: Tensor, y3: Tensor, tau3: Tensor, w: Tensor): Scalar {
  const d = tf.sub(y3, tf.cumsum(out, 2));
  const pin = tf.add(tf.mul(d, tau3), tf.relu(tf.neg(d)));
  return tf.mean<Scalar>(tf.mul(tf.mean(pin, [1, 2]), w));
}

/** Targets repeated per τ (y3) and the τ pattern (tau3) of the first nb rows of a block. */
export function lossTargets(
  b: RowBlock,
  nb: number,
  horizon: number,
  y3: Float32Array,
  tau3: Float32Array,
): void {
  const K = QUANTILES.length;
  for (let i = 0; i < nb * horizon; i++) {
    const y = b.y[i];
    for (let k = 0; k < K; k++) {
      y3[i * K + k] = y;
      tau3[i * K + k] = QUANTILES[k];
    }
  }
}

/** Quantile increments (n × H × 3) of every row of a block, predicted in batches. */
export function predictIncrements(
  tf: Tf,
  model: LayersModel,
  shape: NetworkShape,
  b: RowBlock,
  batch = 4096,
): Float32Array {
  const H = shape.layout.horizon;
  const out = new Float32Array(b.n * H * QUANTILES.length);
  for (let start = 0; start < b.n; start += batch) {
    const nb = Math.min(batch, b.n - start);
    const part = tf.tidy(() => {
      const r = model.predict(inputTensors(tf, shape, b, start, nb), { batchSize: nb });
      return (Array.isArray(r) ? r[0] : r).dataSync() as Float32Array;
    });
    out.set(part, start * H * QUANTILES.length);
  }
  return out;
}

/** Same loss as pinballLoss, in float64 on the CPU, from predicted increments. */
export function pinballLossJs(
  inc: Float32Array,
  b: RowBlock,
  w: Float32Array,
  horizon: number,
): number {
  let total = 0;
  for (let r = 0; r < b.n; r++) {
    let row = 0;
    for (let j = 0; j < horizon; j++) {
      const y = b.y[r * horizon + j];
      let q = 0;
      for (let k = 0; k < QUANTILES.length; k++) {
        q += inc[(r * horizon + j) * QUANTILES.length + k];
        const tau = QUANTILES[k];
        const d = y - q;
        row += d >= 0 ? tau * d : (tau - 1) * d;
      }
    }
    total += (row / (horizon * QUANTILES.length)) * w[r];
  }
  return total / b.n;
}
