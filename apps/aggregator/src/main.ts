import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ConfigModule, processEnvironment } from '@storepulse/config';
import { ClickHouseModule } from '@storepulse/clickhouse';
import { KafkaModule } from '@storepulse/kafka';
import { HealthRegistry, ObservabilityModule, PinoNestLogger } from '@storepulse/observability';
import { connectInfra, handleSignals, runMain, StartupError } from '@storepulse/runtime';
import { FeaturesModule } from '@storepulse/features';
import { AggregatorModule } from './aggregator.module';

/** Standalone aggregator: KAFKA_BROKERS → ClickHouse server (CLICKHOUSE_URL); serves /metrics and /health. */
runMain('storepulse-aggregator', async ({ config, logger, metrics }) => {
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: 'server-only',
    env: processEnvironment(),
  });
  const ch = infra.clickhouse;
  if (!ch) throw new StartupError('ClickHouse was not connected');
  const health = new HealthRegistry();
  health.register({
    name: 'clickhouse',
    check: async () => ({ ok: (await ch.client.ping()).success }),
  });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics, health),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      ClickHouseModule.forRoot(ch),
      AggregatorModule,
      FeaturesModule,
    ],
  })
  class AggregatorAppModule {}
  const app = await NestFactory.create(AggregatorAppModule, { logger: new PinoNestLogger(logger) });
  handleSignals(app, () => infra.close(), logger, 15_000);
  await app.listen(config.httpPort);
  logger.info({ port: config.httpPort }, 'aggregator running');
});
