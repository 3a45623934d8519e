// The one TensorFlow provider for the platform. Nothing else imports a @tensorflow/* package:
// code asks getTf() for the tf namespace, and the provider picks the backend once per process.
//
// Fallback order in `auto`: native (@tensorflow/tfjs-node, libtensorflow provisioned by
// scripts/tf/provision.mjs) -> wasm (@tensorflow/tfjs-backend-wasm, binaries from node_modules) ->
// cpu (pure JS). A forced choice (native|wasm|cpu) never falls back: it fails instead.
//
// One backend per process: tfjs-node, tfjs and tfjs-backend-wasm all share one @tensorflow/tfjs-core
// instance (same 4.22.0 version, deduped), so loading a second backend would register it on the same
// engine. The provider is a process-wide singleton; to compare backends, run one child per backend.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { applyNativeTfEnvDefaults, readTfBackendEnv } from './tf-env';

/** The tf namespace (the @tensorflow/tfjs API; tfjs-node re-exports it unchanged). */
export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;
export type Rank = tfjs.Rank;
export type LayersModel = tfjs.LayersModel;
export type Sequential = tfjs.Sequential;
export type ModelArtifacts = tfjs.io.ModelArtifacts;
export type WeightsManifestEntry = tfjs.io.WeightsManifestEntry;

export type TfBackendName = 'native' | 'wasm' | 'cpu';
export type TfBackendChoice = TfBackendName | 'auto';
export const TF_BACKEND_CHOICES: readonly TfBackendChoice[] = ['auto', 'native', 'wasm', 'cpu'];

export interface TfBackendInfo {
  /** Platform name of the backend: native | wasm | cpu. */
  backend: TfBackendName;
  /** tfjs' own backend name: tensorflow | wasm | cpu. */
  tfBackend: string;
  /** @tensorflow/tfjs version. */
  version: string;
  /** libtensorflow version behind the native backend, else null. */
  nativeVersion: string | null;
  /** What was asked for. */
  requested: TfBackendChoice;
  /** Why a better backend was not used (auto mode), else null. */
  fallbackReason: string | null;
}

export interface TfProvider {
  readonly tf: Tf;
  readonly info: TfBackendInfo;
}

export interface GetTfOptions {
  /** Backend to use; default: TF_BACKEND from the environment, else auto. */
  backend?: TfBackendChoice;
  /** Where the one "chosen backend" line goes; default stderr. */
  log?: (line: string) => void;
}

export class TfBackendUnavailableError extends Error {
  constructor(
    readonly backend: TfBackendName,
    readonly reason: string,
  ) {
    super(`TensorFlow backend '${backend}' is unavailable: ${reason}`);
    this.name = 'TfBackendUnavailableError';
  }
}

export function parseTfBackendChoice(value: string | undefined): TfBackendChoice {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if ((TF_BACKEND_CHOICES as readonly string[]).includes(v)) return v as TfBackendChoice;
  throw new Error(
    `invalid TensorFlow backend '${value}': expected one of ${TF_BACKEND_CHOICES.join('|')}`,
  );
}

const req = createRequire(__filename);

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]?.trim() ?? msg;
}

interface Loaded {
  tf: Tf;
  nativeVersion: string | null;
}

async function loadNative(): Promise<Loaded> {
  applyNativeTfEnvDefaults();
  let tf: Tf;
  try {
    const mod: unknown = req('@tensorflow/tfjs-node');
    tf = mod as Tf;
  } catch (e) {
    throw new TfBackendUnavailableError(
      'native',
      `${firstLine(e)} (provision it: node scripts/tf/provision.mjs)`,
    );
  }
  if (!(await tf.setBackend('tensorflow')))
    throw new TfBackendUnavailableError('native', "tf.setBackend('tensorflow') failed");
  await tf.ready();
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: unknown } }).binding;
  const nativeVersion = typeof binding?.TF_Version === 'string' ? binding.TF_Version : null;
  return { tf, nativeVersion };
}

function wasmFiles(): Record<string, string> {
  const dist = join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const names = [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ];
  return Object.fromEntries(names.map((n) => [n, join(dist, n)]));
}

async function loadWasm(): Promise<Loaded> {
  let tf: Tf;
  try {
    const core: unknown = req('@tensorflow/tfjs');
    tf = core as Tf;
    const wasmMod: unknown = req('@tensorflow/tfjs-backend-wasm');
    // Local files from node_modules: no CDN.
    (wasmMod as typeof tfjsWasm).setWasmPaths(wasmFiles());
  } catch (e) {
    throw new TfBackendUnavailableError('wasm', firstLine(e));
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    throw new TfBackendUnavailableError('wasm', firstLine(e));
  }
  if (!ok) throw new TfBackendUnavailableError('wasm', "tf.setBackend('wasm') failed");
  await tf.ready();
  return { tf, nativeVersion: null };
}

async function loadCpu(): Promise<Loaded> {
  const core: unknown = req('@tensorflow/tfjs');
  const tf = core as Tf;
  if (!(await tf.setBackend('cpu')))
    throw new TfBackendUnavailableError('cpu', "tf.setBackend('cpu') failed");
  await tf.ready();
  return { tf, nativeVersion: null };
}

const loaders: Record<TfBackendName, () => Promise<Loaded>> = {
  native: loadNative,
  wasm: loadWasm,
  cpu: loadCpu,
};

async function init(requested: TfBackendChoice, log: (line: string) => void): Promise<TfProvider> {
  const order: TfBackendName[] = requested === 'auto' ? ['native', 'wasm', 'cpu'] : [requested];
  const reasons: string[] = [];
  for (const backend of order) {
    try {
      const { tf, nativeVersion } = await loaders[backend]();
      const info: TfBackendInfo = {
        backend,
        tfBackend: tf.getBackend(),
        version: tf.version.tfjs,
        nativeVersion,
        requested,
        fallbackReason: reasons.length > 0 ? reasons.join('; ') : null,
      };
      const native = nativeVersion ? `, libtensorflow ${nativeVersion}` : '';
      const why = info.fallbackReason ? ` (fallback: ${info.fallbackReason})` : '';
      log(`[tf] backend=${backend} requested=${requested} tfjs=${info.version}${native}${why}`);
      return { tf, info };
    } catch (e) {
      if (requested !== 'auto') throw e;
      reasons.push(
        e instanceof TfBackendUnavailableError
          ? `${backend}: ${e.reason}`
          : `${backend}: ${firstLine(e)}`,
      );
    }
  }
  throw new Error(`no TensorFlow backend could be loaded: ${reasons.join('; ')}`);
}

let current: { requested: TfBackendChoice; promise: Promise<TfProvider> } | null = null;
let resolved: TfProvider | null = null;

const stderrLog = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * The process-wide TensorFlow provider. The first call picks the backend (and logs it once); later
 * calls return the same provider. Asking later for a different explicit backend is an error.
 */
export function getTf(options: GetTfOptions = {}): Promise<TfProvider> {
  let requested: TfBackendChoice;
  try {
    requested = options.backend ?? parseTfBackendChoice(readTfBackendEnv());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  if (current) {
    const first = current;
    return first.promise.then((p) => {
      if (requested !== 'auto' && requested !== p.info.backend) {
        throw new Error(
          `TensorFlow provider already initialised with backend '${p.info.backend}' (requested ${first.requested}); ` +
            `cannot switch to '${requested}' in the same process`,
        );
      }
      return p;
    });
  }
  const promise = init(requested, options.log ?? stderrLog).then(
    (p) => {
      resolved = p;
      return p;
    },
    (e: unknown) => {
      current = null; // allow a retry with another choice
      throw e;
    },
  );
  current = { requested, promise };
  return promise;
}

/**
 * Tensors and bytes the loaded backend holds (`tf.memory()`); null until getTf() has resolved. With
 * the native backend the bytes are native memory outside the V8 heap: a tensor never disposed shows
 * here as a count that only grows.
 */
export function getTfMemory(): { numTensors: number; numBytes: number } | null {
  if (!resolved) return null;
  const m = resolved.tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

/** The chosen backend for health output and metrics; null until getTf() has resolved. */
export function getTfBackendInfo(): TfBackendInfo | null {
  return resolved ? { ...resolved.info } : null;
}
