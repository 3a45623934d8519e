// Model <-> one byte buffer, so a registry can keep a model in ClickHouse or on disk.
//
// Envelope v1 (little-endian):
//   0  8 bytes  magic "SPTFMODL"
//   8  u16      format version (1)
//  10  u16      flags (0, reserved)
//  12  u32      header length H
//  16  u32      weight data length W
//  20  H bytes  header: UTF-8 JSON {modelTopology, weightSpecs, trainingConfig?, normalisation, metadata, ...}
//  20+H W bytes weight data (tf.io ModelArtifacts.weightData, concatenated)
//  20+H+W u32   CRC-32 of every byte before it
// The content is backend-independent (JSON topology + raw little-endian weights), so a buffer saved
// on one backend loads identically on every other.
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import type { LayersModel, ModelArtifacts, Tf } from './tf-provider';

export const MODEL_BUFFER_MAGIC = 'SPTFMODL';
export const MODEL_BUFFER_VERSION = 1;
const PREFIX = 20;
const TRAILER = 4;

/** Feature normalisation the model was trained with: x' = (x - mean) / std, per named feature. */
export interface NormalisationStats {
  featureNames: string[];
  means: number[];
  stds: number[];
}

export type ModelMetadata = Record<string, string | number | boolean>;

export interface LoadedModel {
  model: LayersModel;
  normalisation: NormalisationStats;
  metadata: ModelMetadata;
  createdAt: string;
  tfjsVersion: string;
}

export type ModelBufferErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRAILING_BYTES'
  | 'CHECKSUM_MISMATCH'
  | 'BAD_HEADER'
  | 'WEIGHTS_MISMATCH'
  | 'INVALID_STATS';

export class ModelBufferError extends Error {
  constructor(
    readonly code: ModelBufferErrorCode,
    message: string,
  ) {
    super(`model buffer: ${message}`);
    this.name = 'ModelBufferError';
  }
}

const statsSchema = z.object({
  featureNames: z.array(z.string().min(1)).min(1),
  means: z.array(z.number()),
  stds: z.array(z.number()),
});

const weightSpecSchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  quantization: z.optional(z.looseObject({ dtype: z.enum(['uint16', 'uint8', 'float16']) })),
});

const headerSchema = z.object({
  format: z.literal('storepulse-tf-model'),
  createdAt: z.string(),
  tfjsVersion: z.string(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(weightSpecSchema),
  trainingConfig: z.optional(z.record(z.string(), z.unknown())),
  normalisation: statsSchema,
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
type Header = z.infer<typeof headerSchema>;

export function validateNormalisationStats(stats: NormalisationStats): void {
  const parsed = statsSchema.safeParse(stats);
  if (!parsed.success)
    throw new ModelBufferError(
      'INVALID_STATS',
      `normalisation stats: ${z.prettifyError(parsed.error)}`,
    );
  const n = stats.featureNames.length;
  if (stats.means.length !== n || stats.stds.length !== n) {
    throw new ModelBufferError(
      'INVALID_STATS',
      `normalisation stats: ${n} feature names but ${stats.means.length} means and ${stats.stds.length} stds`,
    );
  }
  if (new Set(stats.featureNames).size !== n)
    throw new ModelBufferError('INVALID_STATS', 'normalisation stats: duplicate feature names');
  stats.means.forEach((m, i) => {
    if (!Number.isFinite(m))
      throw new ModelBufferError(
        'INVALID_STATS',
        `normalisation stats: mean of '${stats.featureNames[i]}' is not finite`,
      );
  });
  stats.stds.forEach((s, i) => {
    if (!Number.isFinite(s) || s <= 0) {
      throw new ModelBufferError(
        'INVALID_STATS',
        `normalisation stats: std of '${stats.featureNames[i]}' must be finite and > 0 (got ${s})`,
      );
    }
  });
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint16: 2,
  uint8: 1,
  float16: 2,
};

function expectedWeightBytes(specs: Header['weightSpecs']): number | null {
  let total = 0;
  for (const s of specs) {
    if (s.dtype === 'string') return null; // variable length
    const size = s.shape.reduce((a, b) => a * b, 1);
    total += size * (BYTES[s.quantization?.dtype ?? s.dtype] ?? 0);
  }
  return total;
}

function weightBytes(tf: Tf, artifacts: ModelArtifacts): Uint8Array {
  const wd = artifacts.weightData;
  if (wd === undefined) return new Uint8Array(0);
  const joined = Array.isArray(wd) ? tf.io.CompositeArrayBuffer.join(wd) : wd;
  return new Uint8Array(joined);
}

/** The model's artifacts (JSON topology + weights) through an in-memory save handler. */
async function captureArtifacts(model: LayersModel, tf: Tf): Promise<ModelArtifacts | null> {
  let captured: ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler((artifacts: ModelArtifacts) => {
      captured = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
  return captured;
}

/** An independent copy of a model (topology + weights): training the copy never changes the original. */
export async function cloneLayersModel(tf: Tf, model: LayersModel): Promise<LayersModel> {
  const artifacts = await captureArtifacts(model, tf);
  if (!artifacts) throw new Error('cloneLayersModel: model.save produced no artifacts');
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Serialise a model (topology + weights + normalisation stats + metadata) into one buffer. */
export async function saveModelToBuffer(
  tf: Tf,
  model: LayersModel,
  normalisation: NormalisationStats,
  metadata: ModelMetadata = {},
): Promise<Buffer> {
  validateNormalisationStats(normalisation);
  const artifacts = await captureArtifacts(model, tf);
  if (
    !artifacts ||
    !artifacts.modelTopology ||
    artifacts.modelTopology instanceof ArrayBuffer ||
    !artifacts.weightSpecs
  ) {
    throw new Error('model.save produced no JSON topology / weight specs');
  }
  const header: Header = {
    format: 'storepulse-tf-model',
    createdAt: new Date().toISOString(),
    tfjsVersion: tf.version.tfjs,
    modelTopology: artifacts.modelTopology,
    weightSpecs: artifacts.weightSpecs as Header['weightSpecs'],
    ...(artifacts.trainingConfig
      ? { trainingConfig: artifacts.trainingConfig as unknown as Record<string, unknown> }
      : {}),
    normalisation: {
      featureNames: [...normalisation.featureNames],
      means: [...normalisation.means],
      stds: [...normalisation.stds],
    },
    metadata: { ...metadata },
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const weights = weightBytes(tf, artifacts);
  const out = Buffer.alloc(PREFIX + headerBytes.length + weights.length + TRAILER);
  out.write(MODEL_BUFFER_MAGIC, 0, 'ascii');
  out.writeUInt16LE(MODEL_BUFFER_VERSION, 8);
  out.writeUInt16LE(0, 10);
  out.writeUInt32LE(headerBytes.length, 12);
  out.writeUInt32LE(weights.length, 16);
  headerBytes.copy(out, PREFIX);
  out.set(weights, PREFIX + headerBytes.length);
  const body = out.subarray(0, out.length - TRAILER);
  out.writeUInt32LE(crc32(body), out.length - TRAILER);
  return out;
}

/** Parse and check a model buffer without loading the model (no TensorFlow needed). */
export function readModelBuffer(buf: Uint8Array): { header: Header; weightData: ArrayBuffer } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < PREFIX + TRAILER) {
    throw new ModelBufferError(
      'TRUNCATED',
      `truncated: ${b.length} bytes, smaller than the ${PREFIX + TRAILER}-byte envelope`,
    );
  }
  const magic = b.toString('latin1', 0, 8);
  if (magic !== MODEL_BUFFER_MAGIC)
    throw new ModelBufferError(
      'BAD_MAGIC',
      `bad magic ${JSON.stringify(magic)}, expected "${MODEL_BUFFER_MAGIC}"`,
    );
  const version = b.readUInt16LE(8);
  if (version !== MODEL_BUFFER_VERSION) {
    throw new ModelBufferError(
      'UNSUPPORTED_VERSION',
      `format version ${version} is not supported (this build reads ${MODEL_BUFFER_VERSION})`,
    );
  }
  const headerLen = b.readUInt32LE(12);
  const weightLen = b.readUInt32LE(16);
  const expected = PREFIX + headerLen + weightLen + TRAILER;
  if (b.length < expected) {
    throw new ModelBufferError(
      'TRUNCATED',
      `truncated: envelope declares ${expected} bytes (header ${headerLen}, weights ${weightLen}), got ${b.length}`,
    );
  }
  if (b.length > expected)
    throw new ModelBufferError(
      'TRAILING_BYTES',
      `${b.length - expected} unexpected bytes after the envelope (${expected} bytes)`,
    );
  const stored = b.readUInt32LE(expected - TRAILER);
  const actual = crc32(b.subarray(0, expected - TRAILER));
  if (stored !== actual) {
    throw new ModelBufferError(
      'CHECKSUM_MISMATCH',
      `CRC-32 mismatch: stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)} (corrupt buffer)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(b.toString('utf8', PREFIX, PREFIX + headerLen));
  } catch (e) {
    throw new ModelBufferError(
      'BAD_HEADER',
      `header is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success)
    throw new ModelBufferError('BAD_HEADER', `invalid header: ${z.prettifyError(parsed.error)}`);
  const header = parsed.data;
  validateNormalisationStats(header.normalisation);
  const want = expectedWeightBytes(header.weightSpecs);
  if (want !== null && want !== weightLen) {
    throw new ModelBufferError(
      'WEIGHTS_MISMATCH',
      `weight specs need ${want} bytes, envelope has ${weightLen}`,
    );
  }
  const start = b.byteOffset + PREFIX + headerLen;
  const weightData = b.buffer.slice(start, start + weightLen) as ArrayBuffer;
  return { header, weightData };
}

/** Load a model saved by saveModelToBuffer, on whichever backend `tf` runs. */
export async function loadModelFromBuffer(tf: Tf, buf: Uint8Array): Promise<LoadedModel> {
  const { header, weightData } = readModelBuffer(buf);
  const artifacts: ModelArtifacts = {
    modelTopology: header.modelTopology,
    weightSpecs: header.weightSpecs,
    weightData,
    ...(header.trainingConfig
      ? { trainingConfig: header.trainingConfig as unknown as ModelArtifacts['trainingConfig'] }
      : {}),
  };
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return {
    model,
    normalisation: header.normalisation,
    metadata: header.metadata,
    createdAt: header.createdAt,
    tfjsVersion: header.tfjsVersion,
  };
}
