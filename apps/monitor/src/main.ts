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
  httpBaseUrl,
  listenHttp,
  runMain,
} from '@storepulse/runtime';
import { setupApiDocs } from './docs';
import { MonitorModule } from './monitor.module';

/**
 * Standalone monitor: needs only KAFKA_BROKERS. With CLICKHOUSE_URL it also shows dead-letter reasons.
 * Serves the dashboard at /, the API under /api (docs at /api/docs), /metrics and /health.
 */
runMain('storepulse-monitor', async ({ config, logger, metrics }) => {
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: config.clickhouse.mode === 'server' ? 'server-only' : 'none',
    env: processEnvironment(),
  });
  const ch = infra.clickhouse;
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      AccessModule.forRoot(config),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      ...(ch ? [ClickHouseModule.forRoot(ch)] : []),
      MonitorModule,
    ],
  })
  class MonitorAppModule {}
  const app = await NestFactory.create(MonitorAppModule, { logger: new PinoNestLogger(logger) });
  setupApiDocs(app, 'StorePulse monitor');
  handleSignals(app, () => infra.close(), logger, 15_000);
  await listenHttp(app, config, logger);
  logger.info({ port: config.httpPort }, 'monitor running');
  const base = httpBaseUrl(config);
  console.log(
    [
      '',
      'StorePulse monitor is running.',
      `  dashboard  ${base}/`,
      `  api        ${base}/api/lag  (docs /api/docs)`,
      `  metrics    ${base}/metrics`,
      '',
    ].join('\n'),
  );
});
