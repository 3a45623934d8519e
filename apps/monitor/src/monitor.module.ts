import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard/dashboard.controller';
import { MonitorController } from './monitor.controller';
import { MonitorService } from './monitor.service';

/**
 * Lag, statuses, alerts, /api/lag, /api/alerts, /api/stream and the dashboard at `/`.
 * Needs the global APP_CONFIG, KAFKA, LOGGER, PipelineMetrics and HealthRegistry providers;
 * uses CLICKHOUSE when present (dead-letter reasons).
 */
@Module({
  controllers: [MonitorController, DashboardController],
  providers: [MonitorService],
  exports: [MonitorService],
})
export class MonitorModule {}
