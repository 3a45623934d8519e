// The replenishment consumer and its API. Needs the global APP_CONFIG, KAFKA, CLICKHOUSE, LOGGER,
// PipelineMetrics and HealthRegistry providers; the app connects ReplenishmentService.transport()
// as a microservice (as the scorer's).
import { Module } from '@nestjs/common';
import { ReplenishmentApiController } from './replenishment-api.controller';
import { ReplenishmentEventsController } from './replenishment-events.controller';
import { ReplenishmentService, replenishmentAdapters } from './replenishment.service';

@Module({
  controllers: [ReplenishmentEventsController, ReplenishmentApiController],
  providers: [...replenishmentAdapters, ReplenishmentService],
  exports: [ReplenishmentService],
})
export class ReplenishmentModule {}
