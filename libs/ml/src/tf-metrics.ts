import { Gauge, type Registry } from 'prom-client';
import { getTfBackendInfo, getTfMemory, type TfBackendInfo } from './tf-provider';

export const TF_BACKEND_METRIC = 'storepulse_tf_backend_info';
export const TF_TENSORS_METRIC = 'storepulse_tf_tensors';
export const TF_BYTES_METRIC = 'storepulse_tf_tensor_bytes';

/**
 * `storepulse_tf_tensors` and `storepulse_tf_tensor_bytes`: what the backend holds (`tf.memory()`),
 * read at scrape time; no series before TensorFlow is loaded. A count that keeps growing under a
 * steady load is a tensor leak (native memory with tfjs-node).
 */
export function createTfMemoryGauges(
  registry: Registry,
  memory: () => { numTensors: number; numBytes: number } | null = getTfMemory,
  backend: () => string | undefined = () => getTfBackendInfo()?.backend,
): { tensors: Gauge<'backend'>; bytes: Gauge<'backend'> } {
  // labelled by backend, so that there is no series before TF is loaded (an unlabelled gauge
  // always prints one)
  const gauge = (
    name: string,
    help: string,
    pick: (m: { numTensors: number; numBytes: number }) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['backend'] as const,
      registers: [registry],
      collect() {
        const m = memory();
        this.reset();
        if (m) this.set({ backend: backend() ?? 'unknown' }, pick(m));
      },
    });
  const tensors = gauge(
    TF_TENSORS_METRIC,
    'Tensors the TensorFlow backend holds (models, their weights and any tensor not disposed)',
    (m) => m.numTensors,
  );
  const bytes = gauge(
    TF_BYTES_METRIC,
    'Bytes of the tensors the TensorFlow backend holds (native memory with the native backend)',
    (m) => m.numBytes,
  );
  return { tensors, bytes };
}

/**
 * `storepulse_tf_backend_info{backend="native|wasm|cpu"} 1`, registered on the given registry.
 * Reads the provider's chosen backend at scrape time (nothing is exported before getTf() resolves),
 * or the `info` passed in.
 */
export function createTfBackendGauge(registry: Registry, info?: TfBackendInfo): Gauge<'backend'> {
  return new Gauge({
    name: TF_BACKEND_METRIC,
    help: 'TensorFlow backend chosen by the provider (native = libtensorflow via tfjs-node, wasm, cpu = pure JS)',
    labelNames: ['backend'],
    registers: [registry],
    collect() {
      const current = info ?? getTfBackendInfo();
      this.reset();
      if (current) this.set({ backend: current.backend }, 1);
    },
  });
}
