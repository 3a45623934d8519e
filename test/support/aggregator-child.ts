import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, configFromProcessEnv } from '@storepulse/config';
import { ClickHouseModule, createClickHouse, runMigrations } from '@storepulse/clickhouse';
import { KafkaModule, createKafka } from '@storepulse/kafka';
import {
  HealthRegistry,
  ObservabilityModule,
  PipelineMetrics,
  createLogger,
} from '@storepulse/observability';
import { AggregatorModule, AggregatorService } from '@storepulse/aggregator';

/**
 * Test entry: the aggregator alone (AggregatorModule) over the embedded ClickHouse engine in
 * CLICKHOUSE_DATA_DIR against KAFKA_BROKERS, as a child process the crash tests can SIGKILL.
 * Prints `READY` and then its counters as JSON lines every 250 ms.
 */
async function main(): Promise<void> {
  const config = configFromProcessEnv();
  const logger = createLogger(config.logLevel, 'aggregator-child');
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const brokers = config.kafka.brokers ?? [];
  const kafka = createKafka({ brokers, clientId: 'aggregator-child', logger });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, new PipelineMetrics(false), new HealthRegistry()),
      KafkaModule.forRoot(kafka, { brokers, localBroker: false }),
      ClickHouseModule.forRoot(ch),
      AggregatorModule,
    ],
  })
  class ChildModule {}
  const app = await NestFactory.createApplicationContext(ChildModule, { logger: false });
  const svc = app.get(AggregatorService);
  process.stdout.write('READY\n');
  const timer = setInterval(() => {
    process.stdout.write(`COUNTERS ${JSON.stringify(svc.counters())}\n`);
  }, 250);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    app
      .close()
      .then(() => ch.close())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
