import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Counter } from 'prom-client';
import type { AppConfig } from '@storepulse/config';
import { PipelineMetrics } from '@storepulse/observability';
import { ACCESS_CONFIG, ACCESS_DENIED_COUNTER, ApiKeyGuard } from './api-key.guard';

const DENIED = 'storepulse_http_access_denied_total';

/**
 * API keys for every app: imported once by each app's root module, registers {@link ApiKeyGuard}
 * as the global guard (APP_GUARD) and `storepulse_http_access_denied_total{status,class}`.
 * Needs ObservabilityModule (PipelineMetrics) in the same app.
 */
@Module({})
export class AccessModule {
  static forRoot(config: Pick<AppConfig, 'access'>): DynamicModule {
    return {
      module: AccessModule,
      providers: [
        { provide: ACCESS_CONFIG, useValue: config.access },
        {
          provide: ACCESS_DENIED_COUNTER,
          inject: [PipelineMetrics],
          useFactory: (metrics: PipelineMetrics): Counter<'status' | 'class'> => {
            const existing = metrics.registry.getSingleMetric(DENIED);
            if (existing instanceof Counter) return existing;
            return new Counter({
              name: DENIED,
              help: 'HTTP requests refused by the API key guard (401 missing/unknown key, 403 read key on an admin route), by route class',
              labelNames: ['status', 'class'],
              registers: [metrics.registry],
            });
          },
        },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
