import type { DynamicModule, Type } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { ClickHouseModule, type ClickHouseHandle } from '@storepulse/clickhouse';
import { ConfigModule, loadConfig, type AppConfig } from '@storepulse/config';
import { KafkaModule } from '@storepulse/kafka';
import { createLogger, ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import { AccessModule, type Infra } from '@storepulse/runtime';
import { AggregatorModule } from '@storepulse/aggregator';
import { FeaturesModule } from '@storepulse/features';
import { CollectorModule } from '@storepulse/collector';
import { MonitorModule } from '@storepulse/monitor';
import { DemandModule, ScorerModule } from '@storepulse/scorer';
import { SimulatorModule } from '@storepulse/simulator';
import { TrainerModule } from '@storepulse/trainer';
import { PlatformModule } from '../../apps/platform/src/platform.module';

/**
 * Every app's root-module composition, as its apps/<app>/src/main.ts writes it, for walking the
 * route table (test/access/routes.spec.ts). Nothing here is started: the Kafka client and the
 * ClickHouse handle are never used by a walk, so they are empty stand-ins.
 */
export const config: AppConfig = loadConfig({
  NODE_ENV: 'test',
  COLLECTOR_ALLOW_ANONYMOUS: 'true',
});
const logger = createLogger('silent', 'routes-test');
const metrics = new PipelineMetrics(false);
const kafka = {} as unknown as Kafka;
const clickhouse = {} as unknown as ClickHouseHandle;
const infra = {
  kafka,
  kafkaInfo: { brokers: [], localBroker: false },
  clickhouse,
} as unknown as Infra & {
  clickhouse: ClickHouseHandle;
};

/** Module identifiers a main.ts may list in its root module's imports, and what they are. */
export const MODULES: Record<string, () => Type | DynamicModule> = {
  ConfigModule: () => ConfigModule.forRoot(config),
  ObservabilityModule: () => ObservabilityModule.forRoot(logger, metrics),
  AccessModule: () => AccessModule.forRoot(config),
  KafkaModule: () => KafkaModule.forRoot(kafka, infra.kafkaInfo),
  ClickHouseModule: () => ClickHouseModule.forRoot(clickhouse),
  AggregatorModule: () => AggregatorModule,
  FeaturesModule: () => FeaturesModule,
  CollectorModule: () => CollectorModule,
  MonitorModule: () => MonitorModule,
  ScorerModule: () => ScorerModule,
  DemandModule: () => DemandModule.forConfig(config),
  SimulatorModule: () => SimulatorModule,
  TrainerModule: () => TrainerModule,
};

/** The all-in-one process with every part enabled (the defaults). */
export function platformRoot(): DynamicModule {
  return PlatformModule.forRoot({ config, logger, metrics, infra });
}
