import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { createTfBackendGauge, createTfMemoryGauges } from './tf-metrics';
import { getTf, getTfBackendInfo } from './tf-provider';

/**
 * Loads the TensorFlow provider once at start-up (native → wasm → cpu, or TF_BACKEND), logs the
 * choice, exports `storepulse_tf_backend_info{backend}`, the backend's tensors and bytes
 * (`storepulse_tf_tensors`, `storepulse_tf_tensor_bytes`) and a `tensorflow` health check.
 */
@Injectable()
export class TfRuntime implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    createTfBackendGauge(metrics.registry);
    createTfMemoryGauges(metrics.registry);
    health.register({
      name: 'tensorflow',
      check: () => {
        const info = getTfBackendInfo();
        return Promise.resolve({
          ok: info !== null,
          details: info ? { ...info } : { loaded: false },
        });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const t0 = Date.now();
    const { info } = await getTf({
      log: (line) => this.logger.info({ component: 'tensorflow' }, line),
    });
    this.logger.info({ component: 'tensorflow', ...info, ms: Date.now() - t0 }, 'TensorFlow ready');
  }
}

@Module({ providers: [TfRuntime] })
export class MlModule {}
