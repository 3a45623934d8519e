import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import {
  ConfigError,
  ConfigModule,
  configFromProcessEnv,
  processEnvironment,
} from '@storepulse/config';
import { KafkaModule } from '@storepulse/kafka';
import {
  ObservabilityModule,
  PinoNestLogger,
  PipelineMetrics,
  createLogger,
} from '@storepulse/observability';
import { connectInfra, handleSignals, StartupError } from '@storepulse/runtime';
import { SimulatorModule } from './simulator.module';

/** Standalone simulator: produces a realistic storefront into KAFKA_BROKERS; serves /metrics and /health. */
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
  const logger = createLogger(config.logLevel, 'storepulse-simulator');
  const metrics = new PipelineMetrics();
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: 'none',
    env: processEnvironment(),
  });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      SimulatorModule,
    ],
  })
  class SimulatorAppModule {}
  const app = await NestFactory.create(SimulatorAppModule, { logger: new PinoNestLogger(logger) });
  handleSignals(app, () => infra.close(), logger, 15_000);
  await app.listen(config.httpPort);
  logger.info(
    { port: config.httpPort, eventsPerSec: config.simulator.eventsPerSec },
    'simulator running',
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof StartupError ? `startup failed: ${e.message}` : e);
  process.exit(1);
});
