import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ConfigModule, processEnvironment } from '@storepulse/config';
import { ClickHouseModule } from '@storepulse/clickhouse';
import { KafkaModule } from '@storepulse/kafka';
import { ObservabilityModule, PinoNestLogger } from '@storepulse/observability';
import {
  AccessModule,
  connectInfra,
  handleSignals,
  listenHttp,
  runMain,
  StartupError,
} from '@storepulse/runtime';
import { FeaturesModule } from '@storepulse/features';
import { AggregatorModule } from './aggregator.module';
import { ONLINE_FEED_PROVIDER } from './online-feed';

/** Standalone aggregator: KAFKA_BROKERS → ClickHouse server (CLICKHOUSE_URL); serves /metrics and /health. */
runMain('storepulse-aggregator', async ({ config, logger, metrics }) => {
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: 'server-only',
    env: processEnvironment(),
  });
  const ch = infra.clickhouse;
  if (!ch) throw new StartupError('ClickHouse was not connected');
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      AccessModule.forRoot(config),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      ClickHouseModule.forRoot(ch),
      AggregatorModule,
      FeaturesModule,
    ],
    providers: [ONLINE_FEED_PROVIDER],
  })
  class AggregatorAppModule {}
  const app = await NestFactory.create(AggregatorAppModule, { logger: new PinoNestLogger(logger) });
  handleSignals(app, () => infra.close(), logger, 15_000);
  await listenHttp(app, config, logger);
  logger.info({ port: config.httpPort }, 'aggregator running');
});
