import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODEL_BUFFER_MAGIC,
  ModelBufferError,
  loadModelFromBuffer,
  readModelBuffer,
  saveModelToBuffer,
  type NormalisationStats,
} from './model-io';
import { GRU_FEATURES, GRU_STEPS, MLP_INPUTS, buildGru, buildMlp, randomNormals } from './models';
import { getTf, type LayersModel, type Tf } from './tf-provider';

const names = Array.from({ length: MLP_INPUTS }, (_, i) => `feature_${i}`);
const stats: NormalisationStats = {
  featureNames: names,
  means: names.map((_, i) => i / 3),
  stds: names.map((_, i) => 0.5 + i / 7),
};

function predict(tf: Tf, model: LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor(x, shape));
    const t = Array.isArray(out) ? out[0] : out;
    return (t ?? assert.fail('no output')).dataSync() as Float32Array;
  });
}

function expectCode(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelBufferError, `expected ModelBufferError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

void describe('model buffer', () => {
  let tf: Tf;
  let buf: Buffer;
  let model: LayersModel;
  before(async () => {
    tf = (await getTf({ backend: 'cpu', log: () => undefined })).tf;
    model = buildMlp(tf);
    buf = await saveModelToBuffer(tf, model, stats, { name: 'conversion', version: 3 });
  });

  void it('round-trips an MLP: identical predictions, stats and metadata preserved', async () => {
    assert.equal(buf.subarray(0, 8).toString('latin1'), MODEL_BUFFER_MAGIC);
    const loaded = await loadModelFromBuffer(tf, buf);
    const x = randomNormals(32 * MLP_INPUTS, 5);
    assert.deepEqual(
      predict(tf, loaded.model, x, [32, MLP_INPUTS]),
      predict(tf, model, x, [32, MLP_INPUTS]),
    );
    assert.deepEqual(loaded.normalisation, stats);
    assert.deepEqual(loaded.metadata, { name: 'conversion', version: 3 });
    assert.equal(loaded.tfjsVersion, '4.22.0');
    // a second save of the loaded model gives the same weights
    const again = readModelBuffer(await saveModelToBuffer(tf, loaded.model, loaded.normalisation));
    assert.deepEqual(
      new Uint8Array(again.weightData),
      new Uint8Array(readModelBuffer(buf).weightData),
    );
  });

  void it('round-trips a GRU from a sub-view of a larger buffer', async () => {
    const gru = buildGru(tf);
    const gStats: NormalisationStats = {
      featureNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
      means: new Array<number>(8).fill(0),
      stds: new Array<number>(8).fill(1),
    };
    const b = await saveModelToBuffer(tf, gru, gStats);
    const padded = Buffer.concat([Buffer.from('xxxx'), b]).subarray(4);
    const loaded = await loadModelFromBuffer(tf, padded);
    const x = randomNormals(4 * GRU_STEPS * GRU_FEATURES, 9);
    assert.deepEqual(
      predict(tf, loaded.model, x, [4, GRU_STEPS, GRU_FEATURES]),
      predict(tf, gru, x, [4, GRU_STEPS, GRU_FEATURES]),
    );
    assert.deepEqual(loaded.normalisation, gStats);
  });

  void it('rejects a truncated buffer precisely', () => {
    expectCode(
      () => readModelBuffer(buf.subarray(0, 10)),
      'TRUNCATED',
      /truncated: 10 bytes, smaller than the 24-byte envelope/,
    );
    expectCode(
      () => readModelBuffer(buf.subarray(0, buf.length - 1)),
      'TRUNCATED',
      new RegExp(
        `truncated: envelope declares ${buf.length} bytes \\(header \\d+, weights \\d+\\), got ${buf.length - 1}`,
      ),
    );
  });

  void it('rejects corruption: magic, version, trailing bytes, flipped byte', () => {
    const magic = Buffer.from(buf);
    magic.write('NOTAMODL', 0, 'latin1');
    expectCode(
      () => readModelBuffer(magic),
      'BAD_MAGIC',
      /bad magic "NOTAMODL", expected "SPTFMODL"/,
    );
    const version = Buffer.from(buf);
    version.writeUInt16LE(9, 8);
    expectCode(
      () => readModelBuffer(version),
      'UNSUPPORTED_VERSION',
      /format version 9 is not supported \(this build reads 1\)/,
    );
    expectCode(
      () => readModelBuffer(Buffer.concat([buf, Buffer.alloc(3)])),
      'TRAILING_BYTES',
      /3 unexpected bytes after the envelope/,
    );
    const flipped = Buffer.from(buf);
    const at = buf.length - 100;
    flipped[at] = (flipped[at] ?? 0) ^ 0xff;
    expectCode(
      () => readModelBuffer(flipped),
      'CHECKSUM_MISMATCH',
      /CRC-32 mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+ \(corrupt buffer\)/,
    );
  });

  void it('rejects invalid normalisation stats at save time', async () => {
    await assert.rejects(
      saveModelToBuffer(tf, model, { ...stats, stds: stats.stds.slice(1) }),
      (e: unknown) =>
        e instanceof ModelBufferError &&
        e.code === 'INVALID_STATS' &&
        /40 feature names but 40 means and 39 stds/.test(e.message),
    );
    await assert.rejects(
      saveModelToBuffer(tf, model, { ...stats, stds: stats.stds.map((s, i) => (i === 2 ? 0 : s)) }),
      /std of 'feature_2' must be finite and > 0 \(got 0\)/,
    );
  });
});
