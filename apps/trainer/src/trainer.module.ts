// The trainer app: training runs (schedule + API), evaluation against baselines, the registry's
// promotion gate. Needs the global APP_CONFIG, CLICKHOUSE, LOGGER, PipelineMetrics providers.
// Demand training (DemandTrainerService) is provided only when config.demand.enabled; otherwise the
// provider resolves to null and POST /api/models/demand/train answers 404.
import { Module, type FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { ClickHouseDemandSeries, FeaturesModule } from '@storepulse/features';
import { KAFKA } from '@storepulse/kafka';
import { MlModule, ModelRegistry, RegistryModule } from '@storepulse/ml';
import { LOGGER, type Logger } from '@storepulse/observability';
import type { Kafka } from 'kafkajs';
import { DemandTrainerService } from './demand/demand-trainer.service';
import { aggregatorLag } from './ingest-lag';
import { ModelsController } from './models.controller';
import { TrainerService } from './trainer.service';

const demandTrainerProvider: FactoryProvider<DemandTrainerService | null> = {
  provide: DemandTrainerService,
  inject: [APP_CONFIG, CLICKHOUSE, LOGGER, ModelRegistry, TrainerService, KAFKA],
  useFactory: (
    config: AppConfig,
    ch: ClickHouseHandle,
    logger: Logger,
    registry: ModelRegistry,
    trainer: TrainerService,
    kafka: Kafka,
  ) =>
    config.demand.enabled
      ? new DemandTrainerService(
          config,
          new ClickHouseDemandSeries(ch.client),
          registry,
          trainer.runs,
          aggregatorLag(kafka, config),
          logger,
          { firstRunAfter: () => trainer.firstRunsPending() },
        )
      : null,
};

@Module({
  imports: [FeaturesModule, MlModule, RegistryModule],
  controllers: [ModelsController],
  providers: [TrainerService, demandTrainerProvider],
  exports: [TrainerService, DemandTrainerService],
})
export class TrainerModule {}
