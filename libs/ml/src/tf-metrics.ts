import { Gauge, type Registry } from 'prom-client';
import { getTfBackendInfo, type TfBackendInfo } from './tf-provider';

export const TF_BACKEND_METRIC = 'storepulse_tf_backend_info';

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
