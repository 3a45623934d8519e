// Reference architectures and deterministic synthetic data, used by tests and the benchmark.
import type { LayersModel, Tf } from './tf-provider';

export const MLP_INPUTS = 40;
export const GRU_STEPS = 28;
export const GRU_FEATURES = 8;
export const GRU_UNITS = 32;
export const GRU_OUTPUTS = 7;

/** mulberry32: a tiny seeded PRNG so every process/backend gets the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomNormals(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rnd(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  }
  return out;
}

/** MLP: inputs -> dense 64 relu -> dense 32 relu -> dense 1 sigmoid (binary classifier). */
export function buildMlp(tf: Tf, inputs = MLP_INPUTS, seed = 1): LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [inputs],
      units: 64,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 32,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  return model;
}

/** GRU: [steps, features] -> GRU 32 -> dense 7 (multi-horizon regression). */
export function buildGru(
  tf: Tf,
  steps = GRU_STEPS,
  features = GRU_FEATURES,
  seed = 11,
): LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.gru({
      inputShape: [steps, features],
      units: GRU_UNITS,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: GRU_OUTPUTS,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return model;
}

export interface Dataset {
  x: Float32Array;
  y: Float32Array;
  n: number;
}

/** Linearly separable-ish binary labels from a fixed random projection of standard-normal features. */
export function mlpData(n: number, inputs = MLP_INPUTS, seed = 7): Dataset {
  const x = randomNormals(n * inputs, seed);
  const w = randomNormals(inputs, seed + 1000);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < inputs; j++) s += (x[i * inputs + j] ?? 0) * (w[j] ?? 0);
    y[i] = s > 0 ? 1 : 0;
  }
  return { x, y, n };
}

/** Sequences whose 7 targets are the means of features 0..6 over the last k steps (k = 4..28). */
export function gruData(n: number, steps = GRU_STEPS, features = GRU_FEATURES, seed = 17): Dataset {
  const x = randomNormals(n * steps * features, seed);
  const y = new Float32Array(n * GRU_OUTPUTS);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < GRU_OUTPUTS; k++) {
      const window = 4 * (k + 1);
      let s = 0;
      for (let t = steps - window; t < steps; t++) s += x[(i * steps + t) * features + k] ?? 0;
      y[i * GRU_OUTPUTS + k] = s / Math.sqrt(window);
    }
  }
  return { x, y, n };
}
