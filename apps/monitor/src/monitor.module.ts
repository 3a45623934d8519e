import { Module } from '@nestjs/common';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { DashboardController } from './dashboard/dashboard.controller';
import { DemandDashboardController } from './dashboard/demand-page.controller';
import { DEMAND_READS, DemandDashboardService } from './dashboard/demand-page.service';
import { MODELS_READS, ModelsDashboardController } from './dashboard/models-page.controller';
import { ClickHouseDemandReads } from './demand-reads';
import { ClickHouseModelsReads } from './models-reads';
import { MonitorController } from './monitor.controller';
import { MonitorService } from './monitor.service';

/**
 * Lag, statuses, alerts, /api/lag, /api/alerts, /api/stream and the dashboard at `/` (plus /models
 * and /demand). Needs the global APP_CONFIG, KAFKA, LOGGER, PipelineMetrics and HealthRegistry
 * providers; uses CLICKHOUSE when present (dead-letter reasons, the Demand page's reads, the Models
 * page's stored live AUC).
 */
@Module({
  controllers: [
    MonitorController,
    DashboardController,
    DemandDashboardController,
    ModelsDashboardController,
  ],
  providers: [
    MonitorService,
    DemandDashboardService,
    {
      provide: DEMAND_READS,
      useFactory: (ch?: ClickHouseHandle) => (ch ? new ClickHouseDemandReads(ch.client) : null),
      inject: [{ token: CLICKHOUSE, optional: true }],
    },
    {
      provide: MODELS_READS,
      useFactory: (config: AppConfig, ch?: ClickHouseHandle) =>
        ch
          ? new ClickHouseModelsReads(ch.client, {
              windowMs: config.trainer.drift.liveAucWindowMs,
              maxSamples: config.trainer.drift.liveAucMaxSamples,
            })
          : null,
      inject: [APP_CONFIG, { token: CLICKHOUSE, optional: true }],
    },
  ],
  exports: [MonitorService],
})
export class MonitorModule {}
