import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import {
  ConfigError,
  ConfigModule,
  configFromProcessEnv,
  processEnvironment,
} from '@storepulse/config';
import { ClickHouseModule } from '@storepulse/clickhouse';
import { KafkaModule } from '@storepulse/kafka';
import {
  HealthRegistry,
  ObservabilityModule,
  PinoNestLogger,
  PipelineMetrics,
  createLogger,
} from '@storepulse/observability';
import { connectInfra, handleSignals, StartupError } from '@storepulse/runtime';
import { setupApiDocs } from './docs';
import { MonitorModule } from './monitor.module';

/**
 * Standalone monitor: needs only KAFKA_BROKERS. With CLICKHOUSE_URL it also shows dead-letter reasons.
 * Serves the dashboard at /, the API under /api (docs at /api/docs), /metrics and /health.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = configFromProcessEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, 'storepulse-monitor');
  const metrics = new PipelineMetrics();
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: config.clickhouse.mode === 'server' ? 'server-only' : 'none',
    env: processEnvironment(),
  });
  const health = new HealthRegistry();
  const ch = infra.clickhouse;
  if (ch)
    health.register({
      name: 'clickhouse',
      check: async () => ({ ok: (await ch.client.ping()).success }),
    });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics, health),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      ...(ch ? [ClickHouseModule.forRoot(ch)] : []),
      MonitorModule,
    ],
  })
  class MonitorAppModule {}
  const app = await NestFactory.create(MonitorAppModule, { logger: new PinoNestLogger(logger) });
  setupApiDocs(app, 'StorePulse monitor');
  handleSignals(app, () => infra.close(), logger, 15_000);
  await app.listen(config.httpPort);
  logger.info({ port: config.httpPort }, 'monitor running');
  console.log(
    [
      '',
      'StorePulse monitor is running.',
      `  dashboard  http://localhost:${config.httpPort}/`,
      `  api        http://localhost:${config.httpPort}/api/lag  (docs /api/docs)`,
      `  metrics    http://localhost:${config.httpPort}/metrics`,
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof StartupError ? `startup failed: ${e.message}` : e);
  process.exit(1);
});
