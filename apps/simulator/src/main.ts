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
} from '@storepulse/runtime';
import { SimulatorModule } from './simulator.module';

/**
 * Standalone simulator: produces a realistic storefront into KAFKA_BROKERS; serves /metrics and /health.
 * With CLICKHOUSE_URL it also writes the inventory KPI snapshots the dashboard reads.
 */
runMain('storepulse-simulator', async ({ config, logger, metrics }) => {
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    // With CLICKHOUSE_URL, the inventory KPI snapshots for the dashboard go there (LOOP.md).
    clickhouse: config.clickhouse.mode === 'server' ? 'server-only' : 'none',
    env: processEnvironment(),
  });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      AccessModule.forRoot(config),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      ...(infra.clickhouse ? [ClickHouseModule.forRoot(infra.clickhouse)] : []),
      SimulatorModule,
    ],
  })
  class SimulatorAppModule {}
  const app = await NestFactory.create(SimulatorAppModule, { logger: new PinoNestLogger(logger) });
  handleSignals(app, () => infra.close(), logger, 15_000);
  await listenHttp(app, config, logger);
  logger.info(
    { port: config.httpPort, eventsPerSec: config.simulator.eventsPerSec },
    'simulator running',
  );
});
