import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import { ClickHouseModule, type ClickHouseHandle } from '@storepulse/clickhouse';
import { KafkaModule } from '@storepulse/kafka';
import { ObservabilityModule, type PipelineMetrics } from '@storepulse/observability';
import { AggregatorModule, ONLINE_FEED_PROVIDER } from '@storepulse/aggregator';
import { SimulatorModule } from '@storepulse/simulator';
import { MlModule } from '@storepulse/ml';
import { FeaturesModule } from '@storepulse/features';
import { MonitorModule } from '@storepulse/monitor';
import { TrainerModule } from '@storepulse/trainer';
import { DemandModule, ScorerModule } from '@storepulse/scorer';
import { CollectorModule } from '@storepulse/collector';
import { AccessModule, type Infra } from '@storepulse/runtime';
import { StatusController } from './status/status.controller';
import { RawController } from './status/raw.controller';
import { StatusService } from './status/status.service';

export interface PlatformDeps {
  config: AppConfig;
  logger: Logger;
  metrics: PipelineMetrics;
  infra: Infra & { clickhouse: ClickHouseHandle };
  /** Extra modules composed into the process (simulator, later trainer/scorer/monitor). */
  extraModules?: DynamicModule[];
  extraProviders?: Provider[];
}

/** The all-in-one process: every app's module composed over one Kafka client and one ClickHouse engine. */
@Module({})
export class PlatformModule {
  static forRoot(d: PlatformDeps): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(d.config),
        ObservabilityModule.forRoot(d.logger, d.metrics),
        AccessModule.forRoot(d.config),
        KafkaModule.forRoot(d.infra.kafka, d.infra.kafkaInfo),
        ClickHouseModule.forRoot(d.infra.clickhouse),
        AggregatorModule,
        SimulatorModule,
        MlModule,
        FeaturesModule,
        MonitorModule,
        // propensity training (trainer.enabled) and demand training (demand.enabled) share the app
        ...(d.config.trainer.enabled || d.config.demand.enabled ? [TrainerModule] : []),
        ...(d.config.scorer.enabled ? [ScorerModule] : []),
        DemandModule.forConfig(d.config),
        // HTTP ingest (/v1/events, /v1/inventory); main.ts installs its body reader
        ...(d.config.collector.enabled ? [CollectorModule] : []),
        ...(d.extraModules ?? []),
      ],
      controllers: [StatusController, RawController],
      providers: [StatusService, ONLINE_FEED_PROVIDER, ...(d.extraProviders ?? [])],
    };
  }
}
