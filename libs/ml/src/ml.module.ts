import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { createTfBackendGauge } from './tf-metrics';
import { getTf, getTfBackendInfo } from './tf-provider';

/**
 * Loads the TensorFlow provider once at start-up (native → wasm → cpu, or TF_BACKEND), logs the
 * choice, exports `storepulse_tf_backend_info{backend}` and a `tensorflow` health check with it.
 */
@Injectable()
export class TfRuntime implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    createTfBackendGauge(metrics.registry);
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
