// One-backend-per-process worker used by the cross-backend tests:
//   node tf-child.js info    <backend>
//   node tf-child.js build   <backend> <dir>   save mlp.bin + gru.bin built with fixed seeds
//   node tf-child.js predict <backend> <dir>   load both buffers, predict fixed inputs
//   node tf-child.js train   <backend>         short training runs, report loss before/after
// Prints exactly one line "@@RESULT <json>" on stdout; exits 0 also when the backend is unavailable
// ({ unavailable: reason }), non-zero on any other error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFromBuffer, saveModelToBuffer, type NormalisationStats } from '../model-io';
import {
  GRU_FEATURES,
  GRU_STEPS,
  MLP_INPUTS,
  buildGru,
  buildMlp,
  gruData,
  mlpData,
  randomNormals,
} from '../models';
import { TfBackendUnavailableError, getTf, parseTfBackendChoice, type Tf } from '../tf-provider';

export const RESULT_PREFIX = '@@RESULT ';

function stats(names: string[]): NormalisationStats {
  return {
    featureNames: names,
    means: names.map((_, i) => i * 0.5),
    stds: names.map((_, i) => 1 + i * 0.25),
  };
}

async function predictArray(
  tf: Tf,
  model: import('../tf-provider').LayersModel,
  x: Float32Array,
  shape: number[],
): Promise<number[]> {
  const input = tf.tensor(x, shape);
  const out = model.predict(input);
  const t = Array.isArray(out) ? out[0] : out;
  if (!t) throw new Error('model produced no output');
  const data = Array.from(await t.data());
  tf.dispose([input, out]);
  return data;
}

async function lossAfter(
  tf: Tf,
  model: import('../tf-provider').LayersModel,
  x: Float32Array,
  xShape: number[],
  y: Float32Array,
  yShape: number[],
  epochs: number,
): Promise<{ initial: number; final: number }> {
  const xs = tf.tensor(x, xShape);
  const ys = tf.tensor(y, yShape);
  const evalLoss = async (): Promise<number> => {
    const r = model.evaluate(xs, ys, { batchSize: 256 });
    const t = Array.isArray(r) ? r[0] : r;
    if (!t) throw new Error('evaluate produced no loss');
    const v = (await t.data())[0] ?? Number.NaN;
    tf.dispose(r);
    return v;
  };
  const initial = await evalLoss();
  await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  const final = await evalLoss();
  tf.dispose([xs, ys]);
  return { initial, final };
}

async function main(): Promise<unknown> {
  const [cmd, backendArg, dir] = process.argv.slice(2);
  const backend = parseTfBackendChoice(backendArg);
  let provider;
  try {
    provider = await getTf({ backend, log: () => undefined });
  } catch (e) {
    if (e instanceof TfBackendUnavailableError) return { unavailable: e.reason };
    throw e;
  }
  const { tf, info } = provider;
  switch (cmd) {
    case 'info':
      return { info };
    case 'build': {
      if (!dir) throw new Error('build needs a directory');
      const mlp = buildMlp(tf);
      const gru = buildGru(tf);
      const mlpNames = Array.from({ length: MLP_INPUTS }, (_, i) => `f${i}`);
      const gruNames = Array.from({ length: GRU_FEATURES }, (_, i) => `s${i}`);
      writeFileSync(
        join(dir, 'mlp.bin'),
        await saveModelToBuffer(tf, mlp, stats(mlpNames), { kind: 'mlp' }),
      );
      writeFileSync(
        join(dir, 'gru.bin'),
        await saveModelToBuffer(tf, gru, stats(gruNames), { kind: 'gru' }),
      );
      return { info };
    }
    case 'predict': {
      if (!dir) throw new Error('predict needs a directory');
      const mlp = await loadModelFromBuffer(tf, readFileSync(join(dir, 'mlp.bin')));
      const gru = await loadModelFromBuffer(tf, readFileSync(join(dir, 'gru.bin')));
      const mlpOut = await predictArray(tf, mlp.model, randomNormals(64 * MLP_INPUTS, 101), [
        64,
        MLP_INPUTS,
      ]);
      const gruOut = await predictArray(
        tf,
        gru.model,
        randomNormals(16 * GRU_STEPS * GRU_FEATURES, 202),
        [16, GRU_STEPS, GRU_FEATURES],
      );
      return { info, mlp: mlpOut, gru: gruOut };
    }
    case 'train': {
      const m = mlpData(512);
      const mlp = await lossAfter(tf, buildMlp(tf), m.x, [m.n, MLP_INPUTS], m.y, [m.n, 1], 8);
      const g = gruData(256);
      const gru = await lossAfter(
        tf,
        buildGru(tf),
        g.x,
        [g.n, GRU_STEPS, GRU_FEATURES],
        g.y,
        [g.n, 7],
        4,
      );
      return { info, mlp, gru };
    }
    default:
      throw new Error(`unknown command '${cmd}'`);
  }
}

main().then(
  (r) => {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
  },
  (e: unknown) => {
    process.stderr.write(
      `tf-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
