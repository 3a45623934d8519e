// The trainer app: training runs (schedule + API), evaluation against baselines, the registry's
// promotion gate. Needs the global APP_CONFIG, CLICKHOUSE, LOGGER, PipelineMetrics providers.
import { Module } from '@nestjs/common';
import { FeaturesModule } from '@storepulse/features';
import { MlModule, RegistryModule } from '@storepulse/ml';
import { ModelsController } from './models.controller';
import { TrainerService } from './trainer.service';

@Module({
  imports: [FeaturesModule, MlModule, RegistryModule],
  controllers: [ModelsController],
  providers: [TrainerService],
  exports: [TrainerService],
})
export class TrainerModule {}
