import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ConfigModule, processEnvironment } from '@storepulse/config';
import { ClickHouseModule } from '@storepulse/clickhouse';
import { KafkaModule } from '@storepulse/kafka';
import { ObservabilityModule, PinoNestLogger } from '@storepulse/observability';
import { setupApiDocs } from '@storepulse/monitor';
import {
  AccessModule,
  connectInfra,
  handleSignals,
  keepAlive,
  listenHttp,
  runMain,
  StartupError,
} from '@storepulse/runtime';
import { ScorerModule } from './scorer.module';
import { ScorerService } from './scorer.service';
import { DemandModule } from './demand/demand.module';
import { ReplenishmentService } from './demand/replenishment';

/** Standalone scorer (propensity scores, demand forecasts, replenishment): KAFKA_BROKERS and a ClickHouse server (CLICKHOUSE_URL); serves its API, /metrics and /health. */
runMain('storepulse-scorer', async ({ config, logger, metrics }) => {
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
      ScorerModule,
      DemandModule.forConfig(config),
    ],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: new PinoNestLogger(logger) });
  setupApiDocs(app, 'StorePulse scorer');
  app.connectMicroservice(
    { strategy: app.get(ScorerService).transport() },
    { inheritAppConfig: true },
  );
  if (config.replenishment.enabled)
    app.connectMicroservice(
      { strategy: app.get(ReplenishmentService).transport() },
      { inheritAppConfig: true },
    );
  handleSignals(app, () => infra.close(), logger, 15_000);
  await listenHttp(app, config, logger);
  keepAlive(app);
  await app.startAllMicroservices();
  logger.info({ port: config.httpPort }, 'scorer running');
});
