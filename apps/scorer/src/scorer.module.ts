// The scorer app: live propensity scores to predictions.propensity.v1 (exactly once) and the
// predictions API. Needs the global APP_CONFIG, KAFKA, CLICKHOUSE, LOGGER, PipelineMetrics providers.
import { Module } from '@nestjs/common';
import { FeaturesModule } from '@storepulse/features';
import { MlModule, RegistryModule } from '@storepulse/ml';
import { PredictionsController } from './predictions.controller';
import { ScorerEventsController } from './scorer.controller';
import { ScorerService } from './scorer.service';

@Module({
  imports: [FeaturesModule, MlModule, RegistryModule],
  controllers: [ScorerEventsController, PredictionsController],
  providers: [ScorerService],
  exports: [ScorerService],
})
export class ScorerModule {}
